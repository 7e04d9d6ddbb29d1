"""A customer's phone for tests: it scans a code or opens an invite, answers the survey, takes an invite link and
leaves its contact details, the way the respondent pages ask for it.

    phone = Respondent(client)
    thanks = phone.answer(f"/t/{code.code}", q_nps="10", q_csat="5")
    link = phone.take_invite(thanks)
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
#: The request headers of a German phone.
PHONE = {"User-Agent": IPHONE, "Accept-Language": "de-DE,de;q=0.9"}
#: What the loyalty template's one page takes (nps, csat, repurchase).
LOYALTY = {"q_nps": "10", "q_csat": "5", "q_repurchase": "5"}


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of a survey form (state, page, CSRF token)."""
    return dict(re.findall(r'name="(state|page|csrf_token)" value="([^"]*)"', html))


class Respondent:
    """One phone (one test client, so one cookie jar) with the headers of `PHONE` unless told otherwise."""

    def __init__(self, client: FlaskClient, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = {**PHONE, **(headers or {})}

    def open(self, path: str, **kwargs: Any) -> TestResponse:
        """GET a page as this phone."""
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def form(self, path: str) -> tuple[str, dict[str, str]]:
        """Open a /t or /i link; where its survey form posts to, and the form's hidden fields."""
        html = self.open(path).get_data(as_text=True)
        fields = form_fields(html)
        assert "state" in fields, f"no survey form at {path}: {html[:500]}"
        action = re.search(r'<form method="post" action="(/t/[A-Z0-9]+)"', html)
        return (action.group(1) if action else path), fields

    def submit(self, path: str, **answers: str) -> TestResponse:
        """Open the link and send the first page with these answers (form fields such as q_nps="9")."""
        action, fields = self.form(path)
        return self.client.post(action, data={**fields, **answers}, headers=self.headers)

    def answer(self, path: str, **answers: str) -> str:
        """Complete a one-page survey (the loyalty template's answers unless given); the thank-you page's URL."""
        reply = self.submit(path, **(answers or LOYALTY))
        assert reply.status_code == 303, reply.get_data(as_text=True)[:500]
        return reply.headers["Location"]

    def take_invite(self, thanks_url: str) -> str:
        """Press "Get my invite link" on the thank-you page; the invite link it then shows."""
        page = self.open(thanks_url).get_data(as_text=True)
        token = re.search(r'name="r" value="([^"]+)"', page).group(1)
        action = re.search(r'action="(/t/[A-Z0-9]+/invite)"', page).group(1)
        after = self.client.post(action, data={"r": token}, headers=self.headers)
        assert after.status_code == 303
        html = self.open(after.headers["Location"]).get_data(as_text=True)
        return re.search(r'class="invite__link"><a href="([^"]+)"', html).group(1)

    def leave_contact(self, thanks_url: str, **details: str) -> TestResponse:
        """Send the contact step of the thank-you page (name, email, phone, consent="yes")."""
        page = self.open(thanks_url).get_data(as_text=True)
        token = re.search(r'name="r" value="([^"]+)"', page).group(1)
        action = re.search(r'action="(/t/[A-Z0-9]+/contact)"', page).group(1)
        return self.client.post(action, data={"r": token, **details}, headers=self.headers)
