"""A customer's phone for tests: it scans a code or opens an invite, answers the survey, takes an invite link and
leaves its contact details, the way the respondent pages ask for it.

    phone = Respondent(client)
    thanks = phone.answer(f"/t/{code.code}", q_nps="10", q_csat="5")
    link = phone.take_invite(thanks)
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import urlsplit

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


_phones = itertools.count(1)


class Respondent:
    """One phone (one test client, so one cookie jar) with the headers of `PHONE` unless told otherwise. Each phone
    is another person on another network (its own /24), unless its client was given an address already: the
    repeat rules take the same network and device within the window for the same person."""

    def __init__(self, client: FlaskClient, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = {**PHONE, **(headers or {})}
        if client.environ_base.get("REMOTE_ADDR", "127.0.0.1") == "127.0.0.1":
            n = next(_phones)
            client.environ_base["REMOTE_ADDR"] = f"10.{n // 256 % 256}.{n % 256}.9"

    def open(self, path: str, **kwargs: Any) -> TestResponse:
        """GET a page as this phone."""
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path: str, data: dict[str, Any]) -> TestResponse:
        """POST a form as this phone."""
        return self.client.post(path, data=data, headers=self.headers)

    def form(self, path: str) -> tuple[str, dict[str, str]]:
        """Open a /t or /i link; where its survey form posts to, and the form's hidden fields."""
        html = self.open(path).get_data(as_text=True)
        fields = form_fields(html)
        assert "state" in fields, f"no survey form at {path}: {html[:500]}"
        action = re.search(r'<form method="post" action="(/t/[A-Z0-9]+)"', html)
        return (action.group(1) if action else path), fields

    def submit(self, path: str, **answers: str | list[str]) -> TestResponse:
        """Open the link and send the first page with these answers (form fields such as q_nps="9"; a list for a
        multiple choice)."""
        action, fields = self.form(path)
        return self.post(action, {**fields, **answers})

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
        after = self.post(action, {"r": token})
        assert after.status_code == 303
        html = self.open(after.headers["Location"]).get_data(as_text=True)
        return re.search(r'class="invite__link"><a href="([^"]+)"', html).group(1)

    def leave_contact(self, thanks_url: str, **details: str) -> TestResponse:
        """Send the contact step of the thank-you page (name, email, phone, consent="yes")."""
        page = self.open(thanks_url).get_data(as_text=True)
        token = re.search(r'name="r" value="([^"]+)"', page).group(1)
        action = re.search(r'action="(/t/[A-Z0-9]+/contact)"', page).group(1)
        return self.post(action, {"r": token, **details})


def path_of(link: str) -> str:
    """The path of a link the app shows with its public address (https://fb.example/i/… → /i/…)."""
    return urlsplit(link).path


# --- shorthands of the steps above, for tests that play one step at a time -------------------------------------

#: A link-preview bot (counted as a bot, never as a person).
WHATSAPP = "WhatsApp/2.24.6.77 A"
VISITOR_IP = "203.0.113.77"
#: What the trade-fair template's one page takes (nps, csat, ces, follow_up).
TRADE_FAIR = {"q_nps": "9", "q_csat": "4", "q_ces": "6", "q_follow_up": "offer"}


def visit(client, path: str, ua: str = IPHONE, lang: str = "de-DE,de;q=0.9", ip: str = VISITOR_IP, method="GET"):  # noqa: ANN001,ANN201
    """Open a path like a phone (or, with another `ua`, a bot) would, from `ip`."""
    return client.open(
        path, method=method, headers={"User-Agent": ua, "Accept-Language": lang}, environ_base={"REMOTE_ADDR": ip}
    )


def open_form(client: FlaskClient, code: Any, lang: str = "de") -> dict[str, str]:
    """Scan the code and return the hidden fields of its survey form."""
    html = client.get(f"/t/{code.code}", headers={**PHONE, "Accept-Language": lang}).get_data(as_text=True)
    fields = form_fields(html)
    assert "state" in fields, html[:2000]
    return fields


def answer_all(client: FlaskClient, code: Any, fields: dict[str, str], **overrides: str) -> TestResponse:
    """Submit the trade-fair page with valid answers (and `overrides`)."""
    return client.post(f"/t/{code.code}", data={**fields, **TRADE_FAIR, **overrides}, headers=PHONE)


def answer(client: FlaskClient, path: str, nps: str = "10") -> str:
    """Open a /t or /i link, answer the loyalty survey, and return the thank-you page's URL."""
    return Respondent(client).answer(path, **{**LOYALTY, "q_nps": nps})


def take_invite(client: FlaskClient, thanks_url: str) -> str:
    """Press "Get my invite link" and return the invite link shown."""
    return Respondent(client).take_invite(thanks_url)
