"""Team devices: a member's browser, or one marked with "This is our device", scans and answers apart from the
customers: counted nowhere, listed separately, setting off nothing; the mark cannot be forged."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.analysis.services import campaign_ratings, code_traffic
from feedback.auth.devices import TEAM_COOKIE
from feedback.auth.models import Role
from feedback.extensions import db
from feedback.offers.models import Coupon
from feedback.qr import services as qr_services
from feedback.qr.models import Scan
from feedback.surveys.models import Response
from tests.conftest import PASSWORD
from tests.helpers import csrf_token_from
from tests.phone import LOYALTY, Respondent

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code):  # noqa: ANN201
    editor = make_user(locale="en")
    workspace = make_workspace("Rösterei", members={editor: Role.EDITOR})
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    touchpoint = make_touchpoint(campaign=campaign, name="Messestand")
    make_survey(touchpoint, "loyalty")
    campaign.incentive_text = "10 %"
    code = make_code(touchpoint)
    return editor, workspace, campaign, touchpoint, code


def _mark(app, editor, workspace, on: bool = True):  # noqa: ANN001, ANN202
    """Log in on a phone, press the button, log out: the phone keeps the mark."""
    phone = app.test_client()
    phone.post("/login", data={"email": editor.email, "password": PASSWORD})
    page = phone.get(f"/w/{workspace.slug}/members/").get_data(as_text=True)
    reply = phone.post(
        f"/w/{workspace.slug}/members/team-device",
        data={"csrf_token": csrf_token_from(page), **({"on": "1"} if on else {})},
    )
    assert reply.status_code == 302
    page = phone.get(f"/w/{workspace.slug}/members/").get_data(as_text=True)
    phone.post("/logout", data={"csrf_token": csrf_token_from(page)})
    return phone


def _counted(code) -> int:  # noqa: ANN001
    return code_traffic(code.workspace_id, "Europe/Berlin", [code.touchpoint_id]).get(code.id, (0, 0))[0]


def test_a_marked_phone_scans_and_answers_as_the_team(app, shop) -> None:
    editor, workspace, campaign, touchpoint, code = shop
    phone = _mark(app, editor, workspace)
    assert TEAM_COOKIE in {c.key for c in phone._cookies.values()}  # noqa: SLF001
    tester = Respondent(phone)
    thanks = tester.answer(f"/t/{code.code}", **LOYALTY)
    again = tester.answer(f"/t/{code.code}", **LOYALTY)  # a tester may try again: no "already answered"
    page = tester.open(thanks).get_data(as_text=True)
    assert "Team-Gerät" in page and 'class="coupon"' not in page
    db.session.expire_all()
    assert [s.outcome for s in db.session.scalars(sa.select(Scan))] == ["team", "team"]
    assert [(r.flagged, r.flag_reason) for r in db.session.scalars(sa.select(Response))] == [(True, "team")] * 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Coupon)) == 0
    assert _counted(code) == 0
    row = campaign_ratings(campaign).rows[0]
    assert row.summary.nps.n == 0 and row.touchpoint.counts.scans == 0
    stats = qr_services.code_stats(touchpoint, {})[code.id]
    assert stats.team_scans == 2
    assert again != thanks


def test_a_customer_counts_and_the_team_mark_can_be_taken_back(app, shop) -> None:
    editor, workspace, _campaign, _touchpoint, code = shop
    Respondent(app.test_client()).answer(f"/t/{code.code}", **LOYALTY)
    assert _counted(code) == 1
    phone = _mark(app, editor, workspace)
    Respondent(phone).open(f"/t/{code.code}")
    assert _counted(code) == 1
    # the same phone, logged in again, takes the mark back: afterwards its scans count like a customer's
    phone.post("/login", data={"email": editor.email, "password": PASSWORD})
    page = phone.get(f"/w/{workspace.slug}/members/").get_data(as_text=True)
    assert "This browser is marked as a device of your team." in page
    phone.post(f"/w/{workspace.slug}/members/team-device", data={"csrf_token": csrf_token_from(page)})
    page = phone.get(f"/w/{workspace.slug}/members/").get_data(as_text=True)
    phone.post("/logout", data={"csrf_token": csrf_token_from(page)})
    assert TEAM_COOKIE not in {c.key for c in phone._cookies.values()}  # noqa: SLF001
    Respondent(phone).open(f"/t/{code.code}")
    assert _counted(code) == 2


def test_a_logged_in_member_is_the_team_but_only_for_their_own_workspaces(app, auth, client, shop, make_user) -> None:
    editor, _workspace, _campaign, _touchpoint, code = shop
    auth.login(editor)
    Respondent(client).open(f"/t/{code.code}")
    stranger = make_user()
    other = app.test_client()
    other.post("/login", data={"email": stranger.email, "password": PASSWORD})
    Respondent(other).open(f"/t/{code.code}")  # logged in elsewhere: a customer of this workspace
    db.session.expire_all()
    assert sorted(s.outcome for s in db.session.scalars(sa.select(Scan))) == ["ok", "team"]


def test_a_forged_or_foreign_mark_is_ignored(app, shop) -> None:
    _editor, workspace, _campaign, _touchpoint, code = shop
    phone = app.test_client()
    phone.set_cookie(TEAM_COOKIE, "WzFd.forged")
    Respondent(phone).open(f"/t/{code.code}")
    db.session.expire_all()
    assert [s.outcome for s in db.session.scalars(sa.select(Scan))] == ["ok"]
    assert _counted(code) == 1


def test_the_touchpoint_preview_shows_the_phone_page_and_counts_nothing(client, auth, shop) -> None:
    editor, workspace, _campaign, touchpoint, _code = shop
    auth.login(editor)
    page = client.get(f"/w/{workspace.slug}/touchpoints/{touchpoint.id}/preview")
    assert page.status_code == 200 and "How likely are you to recommend" in page.get_data(as_text=True)
    assert "form-action 'none'" in page.headers["Content-Security-Policy"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    listing = client.get(f"/w/{workspace.slug}/touchpoints/{touchpoint.id}").get_data(as_text=True)
    assert f"/touchpoints/{touchpoint.id}/preview" in listing
    other = client.get(f"/w/{workspace.slug}/touchpoints/999999/preview")
    assert other.status_code == 404
