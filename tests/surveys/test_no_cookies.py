"""A phone that keeps no cookies (in-app browsers, cookies blocked) answers like any other: the survey's state
travels in its signed form, the thank-you page's forms carry the response's secret token, and no session is
needed. Forms sent from another website are refused by what every browser says about where a POST comes from."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.surveys.models import Answer, Response
from tests.helpers import count
from tests.phone import Respondent

# production's CSRF protection on: a session-bound token would refuse these phones with a 400
pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0, WTF_CSRF_ENABLED=True)


@pytest.fixture
def booth(make_campaign, make_touchpoint, make_survey, make_code):  # noqa: ANN201
    campaign = make_campaign(name="Messe", ask_contact=True)
    touchpoint = make_touchpoint(campaign=campaign, name="Messestand")
    make_survey(touchpoint, "trade-fair")
    code = make_code(touchpoint)
    db.session.commit()
    return code


def test_a_phone_without_cookies_answers_takes_an_invite_and_leaves_its_details(app, booth) -> None:
    phone = Respondent(app.test_client(use_cookies=False))
    first = phone.open(f"/t/{booth.code}")
    assert first.status_code == 200
    assert not any("feedback_session" in c for c in first.headers.getlist("Set-Cookie"))  # no session at all
    thanks = phone.answer(f"/t/{booth.code}", q_nps="9", q_csat="5", q_ces="6", q_follow_up="offer")
    assert "/thanks?r=" in thanks
    assert count(Response) == 1 and count(Answer) == 4
    assert db.session.scalar(sa.select(Response.completed_at)) is not None
    link = phone.take_invite(thanks)
    assert "/i/" in link
    left = phone.leave_contact(thanks, email="ohne.cookies@example.com", consent="yes")
    assert left.status_code == 303 and count(Contact) == 1


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}],
    ids=["origin", "cross-site", "sibling-subdomain"],
)
def test_a_form_sent_from_another_website_is_refused(app, booth, headers: dict[str, str]) -> None:
    phone = Respondent(app.test_client(use_cookies=False))
    action, fields = phone.form(f"/t/{booth.code}")
    answers = {"q_nps": "10", "q_csat": "5", "q_ces": "6", "q_follow_up": "offer"}
    refused = phone.client.post(action, data={**fields, **answers}, headers={**phone.headers, **headers})
    assert refused.status_code == 403
    assert "von einer anderen Website gesendet" in refused.get_data(as_text=True)
    assert refused.headers["Content-Security-Policy"]
    assert count(Response) == 0
    same_site = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    taken = phone.client.post(action, data={**fields, **answers}, headers={**phone.headers, **same_site})
    assert taken.status_code == 303 and count(Response) == 1


def test_the_thank_you_forms_refuse_other_websites_too(app, booth) -> None:
    phone = Respondent(app.test_client(use_cookies=False))
    thanks = phone.answer(f"/t/{booth.code}", q_nps="9", q_csat="5", q_ces="6", q_follow_up="offer")
    page = phone.open(thanks).get_data(as_text=True)
    token = re.search(r'name="r" value="([^"]+)"', page).group(1)
    evil = {**phone.headers, "Sec-Fetch-Site": "cross-site"}
    for step, data in (("invite", {"r": token}), ("contact", {"r": token, "email": "x@example.com", "consent": "yes"})):
        assert phone.client.post(f"/t/{booth.code}/{step}", data=data, headers=evil).status_code == 403
    answer = {"state": "x", "key": "nps", "value": "9"}
    assert phone.client.post(f"/t/{booth.code}/answer", data=answer, headers=evil).status_code == 403
    assert count(Contact) == 0
