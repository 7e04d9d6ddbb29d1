"""Landing actions: clicks on a landing page's call, calendar, follow and main button go through the service's
redirect, which counts them (no JavaScript) and sends the phone to the touchpoint's stored target."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback.analysis.services import DateRange, campaign_ratings
from feedback.auth.models import Membership, Role
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.qr.models import LandingAction, Scan
from feedback.touchpoints.models import Channel
from tests.conftest import AuthActions
from tests.helpers import count
from tests.phone import PHONE

CURL = {"User-Agent": "curl/8.5.0", "Accept": "*/*", "Accept-Language": "de"}


@pytest.fixture
def fair(make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN001, ANN201
    """A trade-fair touchpoint whose landing page has every action, its code, and the workspace's owner."""
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner, name="Nordlicht")
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Messe", Channel.TRADE_FAIR)
    touchpoint.cta_url, touchpoint.cta_label = "https://shop.example.com/messe", {"de": "Zum Shop"}
    touchpoint.phone, touchpoint.social_url = "+49 40 123456", "https://instagram.com/nordlicht"
    touchpoint.event_starts_at = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    return {"owner": owner, "workspace": workspace, "touchpoint": touchpoint, "code": code}


def _rows() -> list[LandingAction]:
    return list(db.session.scalars(sa.select(LandingAction).order_by(LandingAction.id)))


def test_each_action_is_counted_and_sent_to_the_touchpoints_stored_target(client, fair) -> None:
    code = fair["code"].code
    landing = client.get(f"/t/{code}", headers=PHONE).get_data(as_text=True)
    for action in ("call", "calendar", "follow", "cta"):
        assert f'href="/t/{code}/go/{action}"' in landing
    targets = {
        "call": "tel:+4940123456",
        "calendar": f"/t/{code}/event.ics",
        "follow": "https://instagram.com/nordlicht",
        "cta": "https://shop.example.com/messe",
    }
    for action, target in targets.items():
        reply = client.get(f"/t/{code}/go/{action}", headers=PHONE)
        assert reply.status_code == 302 and reply.headers["Location"] == target, action
        assert reply.headers["Cache-Control"] == "no-store"
    rows = _rows()
    assert [r.action for r in rows] == ["call", "calendar", "follow", "cta"]
    scan_key = db.session.scalar(sa.select(Scan.visitor_key))
    assert {(r.visitor_key, r.device_class, r.is_bot, r.team) for r in rows} == {(scan_key, "mobile", False, False)}
    assert {r.touchpoint_id for r in rows} == {fair["touchpoint"].id} and {r.code_id for r in rows} == {fair["code"].id}
    # the printed symbol's upper-case form works too
    assert client.get(f"/T/{code}/go/call", headers=PHONE).headers["Location"] == "tel:+4940123456"


def test_the_target_never_comes_from_the_request(client, fair) -> None:
    code = fair["code"].code
    for path in (
        f"/t/{code}/go/cta?url=https://evil.example/",
        f"/t/{code}/go/cta?next=//evil.example",
        f"/t/{code}/go/follow?to=javascript:alert(1)",
    ):
        assert "evil" not in client.get(path, headers=PHONE).headers["Location"]
        assert "javascript" not in client.get(path, headers=PHONE).headers["Location"]
    fair["touchpoint"].cta_url = "javascript:alert(1)"  # a value that slipped past the form is not followed
    db.session.commit()
    assert client.get(f"/t/{code}/go/cta", headers=PHONE).status_code == 404


def test_unknown_actions_and_missing_targets_are_a_404_in_the_visitors_language(client, fair, make_code) -> None:
    code = fair["code"].code
    for path in (f"/t/{code}/go/fax", f"/t/{code}/go/", f"/t/{code}/go/CALL", f"/t/{code}/go/call%00"):
        reply = client.get(path, headers=PHONE)
        assert reply.status_code == 404, path
        assert "Traceback" not in reply.get_data(as_text=True)
    german = client.get(f"/t/{code}/go/fax", headers=PHONE).get_data(as_text=True)
    assert "nicht gefunden" in german.lower()
    plain = make_code(survey=None)  # a touchpoint without phone, event, profile or button
    for action in ("call", "calendar", "follow", "cta"):
        assert client.get(f"/t/{plain.code}/go/{action}", headers=PHONE).status_code == 404
    assert client.get("/t/ZZZZZZZZ/go/call", headers=PHONE).status_code == 404
    assert count(LandingAction) == 0


def test_a_paused_code_answers_like_its_scan_and_counts_nothing(client, fair) -> None:
    fair["code"].paused_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    reply = client.get(f"/t/{fair['code'].code}/go/call", headers=PHONE)
    assert reply.status_code == 200 and "Location" not in reply.headers and count(LandingAction) == 0


def test_bots_and_team_devices_are_recorded_but_not_counted(client, app, fair, make_user) -> None:
    code = fair["code"].code
    assert client.get(f"/t/{code}/go/call", headers=CURL).status_code == 302  # an HTTP library
    member = make_user(locale="de")
    db.session.add(Membership(user_id=member.id, workspace_id=fair["workspace"].id, role=Role.EDITOR.value))
    db.session.commit()
    team = app.test_client()
    AuthActions(team).login(member)  # a member's browser is one of the team's devices
    assert team.get(f"/t/{code}/go/call", headers=PHONE).status_code == 302
    person = app.test_client()
    assert person.get(f"/t/{code}/go/call", headers=PHONE).status_code == 302
    assert [(r.is_bot, r.team) for r in _rows()] == [(True, False), (False, True), (False, False)]
    row = campaign_ratings(fair["touchpoint"].campaign).rows[0]
    assert row.touchpoint.actions.call == 1 and row.touchpoint.actions.total == 1


def test_clicks_beyond_the_limit_are_sent_on_but_not_stored(client, fair) -> None:
    code = fair["code"].code
    replies = [client.get(f"/t/{code}/go/cta", headers=PHONE) for _ in range(35)]
    assert {r.status_code for r in replies} == {302}
    assert count(LandingAction) == 30
    # another network is not affected
    other = client.get(f"/t/{code}/go/cta", headers=PHONE, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 302 and count(LandingAction) == 31


def _click(fair, action: str, when: datetime, **extra: object) -> None:  # noqa: ANN001
    db.session.add(
        LandingAction(
            workspace_id=fair["workspace"].id,
            touchpoint_id=fair["touchpoint"].id,
            code_id=fair["code"].id,
            action=action,
            clicked_at=when,
            visitor_key="0" * 32,
            device_class="mobile",
            **extra,
        )
    )


def test_counts_per_action_reach_the_ratings_in_the_period(client, auth, fair, make_scans) -> None:
    when = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    make_scans(fair["touchpoint"], 20, when=when, visitors=10)
    for action, n in (("call", 3), ("calendar", 2), ("follow", 1), ("cta", 5)):
        for _ in range(n):
            _click(fair, action, when)
    _click(fair, "call", when, is_bot=True)
    _click(fair, "call", when, team=True)
    _click(fair, "call", when + timedelta(days=3))  # outside the period below
    db.session.commit()
    campaign = fair["touchpoint"].campaign
    row = campaign_ratings(campaign, DateRange(when.date(), when.date())).rows[0]
    assert [row.touchpoint.actions.of(a) for a in ("call", "calendar", "follow", "cta")] == [3, 2, 1, 5]
    assert row.touchpoint.actions.per_visitor("call", row.touchpoint.counts.visitors) == pytest.approx(0.3)
    assert campaign_ratings(campaign).rows[0].touchpoint.actions.call == 4

    auth.login(fair["owner"])
    base = f"/w/{fair['workspace'].slug}/campaigns/{campaign.id}"
    period = "?from=2026-03-10&to=2026-03-10"
    text = client.get(f"{base}/ratings.csv{period}").get_data(as_text=True).lstrip("\ufeff")
    exported = next(csv.DictReader(io.StringIO(text)))
    assert [exported[f"action_{a}"] for a in ("call", "calendar", "follow", "cta")] == ["3", "2", "1", "5"]
    assert float(exported["action_call_per_visitor"]) == pytest.approx(0.3)
    document = json.loads(client.get(f"{base}/ratings.json{period}").get_data(as_text=True))
    assert document["touchpoints"][0]["action_cta"] == 5
    book = load_workbook(io.BytesIO(client.get(f"{base}/ratings.xlsx{period}").data))
    header = [c.value for c in book["Ratings"][1]]
    assert book["Ratings"][2][header.index("action_follow")].value == 1
    explained = {r[0]: r[1] for r in book["Columns"].iter_rows(min_row=2, values_only=True)}
    assert "call button" in explained["action_call"] and "no interval" in explained["action_call_per_visitor"]

    journey = f"{base}/ratings{period}&tab=journey"
    overview = client.get(journey, headers={"Accept-Language": "en"}).get_data(as_text=True)
    table = overview[overview.index('id="landing-actions"') :].split("</table>")[0]
    assert '<th scope="row">Calls</th><td class="num">3</td><td class="num">0.30</td>' in table
    assert '<th scope="row">Main button clicks</th><td class="num">5</td><td class="num">0.50</td>' in table
    detail = client.get(f"{base}/ratings/{fair['touchpoint'].id}{period}", headers={"Accept-Language": "en"})
    html = detail.get_data(as_text=True)
    assert "Calls <strong>3</strong>" in html and "0.30 per visitor" in html
    assert "no interval: visitors are counted per day" in html
