"""A respondent who sends the survey faster than a person reads it is asked once to take a moment, with the answers
kept; the second send counts (with the reward) when it came after the minimum fill time, and is stored flagged when
it is still too fast."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.offers.models import Coupon
from feedback.respondent import lane
from feedback.respondent import views as respondent_views
from feedback.surveys.models import Response
from tests.helpers import count
from tests.phone import LOYALTY, Respondent, form_fields

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=30)  # a test answers at once: always too fast


@pytest.fixture
def shop(client, auth, make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code):  # noqa: ANN201
    """A code showing the loyalty survey; the campaign gives a coupon for every counted answer."""
    editor = make_user()
    workspace = make_workspace("Rösterei", members={editor: Role.EDITOR})
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    touchpoint = make_touchpoint(campaign=campaign, name="Flyer")
    make_survey(touchpoint, "loyalty")
    code = make_code(touchpoint)
    auth.login(editor)
    offer = {"name": "10 %", "texts-de": "10 % Rabatt", "texts-en": "10 % off", "touchpoint_id": "", "with_coupon": "y"}
    reply = client.post(f"/w/{workspace.slug}/campaigns/{campaign.id}/offers", data={**offer, "valid_days": "30"})
    assert reply.status_code == 302
    return code


@pytest.fixture
def plain_code(make_touchpoint, make_survey, make_code):  # noqa: ANN201
    """A code whose completions set nothing off (the group-commit path takes them)."""
    touchpoint = make_touchpoint(name="Theke")
    make_survey(touchpoint, "loyalty")
    return make_code(touchpoint)


@pytest.fixture
def later(monkeypatch):  # noqa: ANN201
    """Move the respondent pages' clock forward by some seconds (the views' and the submit lane's)."""

    def move(seconds: int) -> None:
        start = utcnow()
        monkeypatch.setattr(respondent_views, "utcnow", lambda: start + timedelta(seconds=seconds))
        monkeypatch.setattr(lane, "utcnow", lambda: start + timedelta(seconds=seconds))

    return move


def _send_fast(app, code) -> tuple[Respondent, str]:  # noqa: ANN001
    phone = Respondent(app.test_client(), {"Accept-Language": "en"})
    reply = phone.submit(f"/t/{code.code}", **LOYALTY)
    assert reply.status_code == 200, reply.status_code
    return phone, reply.get_data(as_text=True)


def _send_again(phone: Respondent, code, html: str):  # noqa: ANN001, ANN202
    fields = form_fields(html)
    kept = dict(re.findall(r'name="(q_[a-z_]+)" value="([^"]*)" checked', html))
    return phone.post(f"/t/{code.code}", {**fields, **kept})


@pytest.mark.parametrize("which", ["shop", "plain_code"])
def test_a_fast_send_asks_to_take_a_moment_with_the_answers_kept_and_nothing_counted(app, request, which) -> None:
    code = request.getfixturevalue(which)
    _, html = _send_fast(app, code)
    assert "Please take a moment" in html and "send them again" in html
    kept = dict(re.findall(r'name="(q_[a-z_]+)" value="([^"]*)" checked', html))
    assert kept == LOYALTY
    assert count(Response) == 0 and count(Coupon) == 0


def test_the_request_is_in_the_respondents_language(app, shop) -> None:
    phone = Respondent(app.test_client(), {"Accept-Language": "de-DE"})
    html = phone.submit(f"/t/{shop.code}", **LOYALTY).get_data(as_text=True)
    assert "Bitte nehmen Sie sich einen Moment Zeit" in html


def test_sending_again_after_the_minimum_time_completes_with_the_coupon(app, shop, later) -> None:
    phone, html = _send_fast(app, shop)
    later(31)
    reply = _send_again(phone, shop, html)
    assert reply.status_code == 303 and "/thanks?r=" in reply.headers["Location"]
    stored = db.session.scalar(sa.select(Response))
    assert stored.completed_at is not None and not stored.flagged
    assert count(Coupon) == 1


def test_the_group_commit_path_completes_the_second_send_too(app, plain_code, later) -> None:
    phone, html = _send_fast(app, plain_code)
    later(31)
    reply = _send_again(phone, plain_code, html)
    assert reply.status_code == 303
    stored = db.session.scalar(sa.select(Response))
    assert stored.completed_at is not None and not stored.flagged


@pytest.mark.parametrize("which", ["shop", "plain_code"])
def test_a_second_fast_send_is_stored_flagged_without_a_reward(app, request, which) -> None:
    code = request.getfixturevalue(which)
    phone, html = _send_fast(app, code)
    reply = _send_again(phone, code, html)
    assert reply.status_code == 303
    stored = db.session.scalar(sa.select(Response))
    assert stored.flagged and stored.flag_reason == "too_fast"
    assert count(Coupon) == 0


def test_a_filled_honeypot_is_stored_flagged_at_once(app, shop) -> None:
    phone = Respondent(app.test_client())
    reply = phone.submit(f"/t/{shop.code}", **LOYALTY, leave_empty="http://spam.example")
    assert reply.status_code == 303
    assert db.session.scalar(sa.select(Response.flag_reason)) == "honeypot,too_fast"
