"""The scan path's fast lane: repeat scans of an active code get the full path's answer, each scan is stored, and
whatever the full path must decide (paused, expired, languages, surveys, sessions, webhooks) still reaches it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import fastpath, services
from feedback.qr.models import Code, Scan
from feedback.surveys import services as survey_services
from feedback.touchpoints.models import Channel
from feedback.webhooks.models import WebhookEndpoint
from tests.phone import IPHONE, WHATSAPP, visit

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile"


@pytest.fixture
def lane(app):  # noqa: ANN001,ANN201
    """The app's fast lane with a clock the test moves."""
    middleware = fastpath.lane_of(app)
    now = [1000.0]
    middleware.clock = lambda: now[0]
    middleware.now = now
    return middleware


@pytest.fixture
def landing(make_touchpoint):  # noqa: ANN001,ANN201
    """An active code of a poster whose landing page has no survey."""
    touchpoint = make_touchpoint(name="Plakat Bahnhof", channel=Channel.POSTER)
    touchpoint.headline_texts = {"de": "Frühlingsröstung", "en": "Spring roast"}
    code = services.create_code(touchpoint, "Gleis 1")
    db.session.commit()
    return code


@pytest.fixture
def redirecting(make_touchpoint):  # noqa: ANN001,ANN201
    """An active code of a TV spot that redirects to the shop."""
    touchpoint = make_touchpoint(name="TV-Spot", channel=Channel.TV_RADIO)
    touchpoint.destination_url = "https://shop.example/fruehling?ref=tv"
    code = services.create_code(touchpoint)
    db.session.commit()
    return code


def _scans(code: Code) -> list[Scan]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Scan).where(Scan.code_id == code.id).order_by(Scan.id)))


def _comparable(response) -> tuple[int, dict[str, str], bytes]:  # noqa: ANN001
    per_answer = ("Date", "Content-Length", "Retry-After")
    headers = {k: v for k, v in response.headers.items() if k not in per_answer and not k.startswith("X-RateLimit")}
    return response.status_code, headers, response.get_data()


def test_repeat_scans_get_the_full_paths_answer_and_every_scan_is_stored(client, lane, landing) -> None:
    first = visit(client, f"/t/{landing.code}")
    second = visit(client, f"/t/{landing.code}", ua=ANDROID, ip="198.51.100.9")
    third = visit(client, f"/t/{landing.code.lower()}", ua=WHATSAPP)
    assert lane.served == 2
    assert _comparable(second) == _comparable(first) == _comparable(third)
    assert "Frühlingsröstung" in second.get_data(as_text=True)
    assert "X-RateLimit-Remaining" not in second.headers  # the first visitor's limits are not everyone's
    assert (
        second.headers["Cache-Control"] == "no-store"
        and "frame-ancestors 'none'" in second.headers["Content-Security-Policy"]
    )
    assert int(second.headers["Content-Length"]) == len(second.get_data())
    rows = _scans(landing)
    assert [(r.device_class, r.os, r.is_bot, r.outcome, r.language) for r in rows] == [
        ("mobile", "iOS", False, "ok", "de"),
        ("mobile", "Android", False, "ok", "de"),
        ("bot", "", True, "ok", "de"),
    ]
    assert rows[0].visitor_key != rows[1].visitor_key  # another address and phone: another visitor
    assert {(r.workspace_id, r.touchpoint_id) for r in rows} == {(landing.workspace_id, landing.touchpoint_id)}


def test_repeat_scans_of_a_redirect_go_to_the_same_destination(client, lane, redirecting) -> None:
    first = visit(client, f"/T/{redirecting.code}")
    second = visit(client, f"/T/{redirecting.code}")
    assert lane.served == 1 and second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert "utm_source=qr" in second.headers["Location"] and "ref=tv" in second.headers["Location"]
    assert len(_scans(redirecting)) == 2


def test_each_language_gets_its_own_page(client, lane, landing) -> None:
    visit(client, f"/t/{landing.code}", lang="en-GB,en;q=0.8")
    visit(client, f"/t/{landing.code}", lang="de")
    english = visit(client, f"/t/{landing.code}", lang="en-GB,en;q=0.8")
    german = visit(client, f"/t/{landing.code}", lang="de")
    assert lane.served == 2
    assert "Spring roast" in english.get_data(as_text=True) and '<html lang="en">' in english.get_data(as_text=True)
    assert "Frühlingsröstung" in german.get_data(as_text=True)
    assert [r.language for r in _scans(landing)] == ["en", "de", "en", "de"]


def test_pausing_in_this_process_reaches_the_next_scan_at_once(client, lane, landing) -> None:
    visit(client, f"/t/{landing.code}")
    visit(client, f"/t/{landing.code}")
    services.set_paused(db.session.get(Code, landing.id), True, utcnow())
    db.session.commit()
    paused = visit(client, f"/t/{landing.code}")
    assert lane.served == 1 and "Frühlingsröstung" not in paused.get_data(as_text=True)
    assert [r.outcome for r in _scans(landing)] == ["ok", "ok", "paused"]


def test_a_change_by_another_process_is_seen_within_the_snapshot_time(app, client, lane, landing) -> None:
    visit(client, f"/t/{landing.code}")
    other_process = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other_process.begin() as connection:
        connection.execute(sa.update(Code.__table__).where(Code.id == landing.id).values(paused_at=utcnow()))
    other_process.dispose()
    visit(client, f"/t/{landing.code}")  # still the snapshot: the change is not a second old
    lane.now[0] += fastpath.TTL_SECONDS + 0.01
    visit(client, f"/t/{landing.code}")
    assert lane.served == 1
    assert [r.outcome for r in _scans(landing)] == ["ok", "ok", "paused"]


def test_a_change_outside_any_app_context_is_seen_within_the_snapshot_time(app, client, lane, landing) -> None:
    """The count of changes lives on the app; a session that runs without an app context has no app to tell."""
    visit(client, f"/t/{landing.code}")
    engine, code_id = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"]), landing.id

    def pause() -> None:  # a new thread starts without the test's app context
        with sa.orm.Session(engine) as session:
            session.get(Code, code_id).paused_at = utcnow()
            session.commit()

    worker = threading.Thread(target=pause)
    worker.start()
    worker.join()
    engine.dispose()
    visit(client, f"/t/{landing.code}")  # still the snapshot
    lane.now[0] += fastpath.TTL_SECONDS + 0.01
    visit(client, f"/t/{landing.code}")
    assert lane.served == 1
    assert [r.outcome for r in _scans(landing)] == ["ok", "ok", "paused"]


def test_an_expired_code_is_never_replayed(client, lane, landing, monkeypatch) -> None:
    landing.expires_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    visit(client, f"/t/{landing.code}")
    monkeypatch.setattr(fastpath, "utcnow", lambda: utcnow() + timedelta(hours=2))
    visit(client, f"/t/{landing.code}")
    assert lane.served == 0


@pytest.mark.parametrize(
    "how",
    ["head", "language switch", "dashboard session"],
)
def test_requests_the_full_path_must_decide_bypass_the_fast_lane(client, lane, landing, how) -> None:
    visit(client, f"/t/{landing.code}")
    if how == "head":
        response = visit(client, f"/t/{landing.code}", method="HEAD")
    elif how == "language switch":
        response = visit(client, f"/t/{landing.code}?lang=en")
        assert "Spring roast" in response.get_data(as_text=True)
    else:
        client.set_cookie(client.application.config["SESSION_COOKIE_NAME"], "anything")
        response = visit(client, f"/t/{landing.code}")
    assert response.status_code == 200 and lane.served == 0
    assert len(_scans(landing)) == 2


def test_survey_pages_are_always_rendered_for_the_visitor(client, lane, make_touchpoint) -> None:
    touchpoint = make_touchpoint(name="Messe", channel=Channel.TRADE_FAIR)
    touchpoint.survey_id = survey_services.create_survey(touchpoint.workspace_id, "Messebesuch", "trade-fair").id
    code = services.create_code(touchpoint)
    db.session.commit()
    pages = [visit(client, f"/t/{code.code}").get_data(as_text=True) for _ in range(2)]
    assert lane.served == 0 and 'name="state"' in pages[1] and pages[0] != pages[1]  # a fresh form token each
    assert len(_scans(code)) == 2


def test_scans_that_send_a_webhook_take_the_full_path(client, lane, landing) -> None:
    db.session.add(
        WebhookEndpoint(
            workspace_id=landing.workspace_id, url="https://crm.example/hook", secret="s" * 32, events="code.scanned"
        )
    )
    db.session.commit()
    from feedback.webhooks.services import forget_subscribers

    forget_subscribers(landing.workspace_id)
    visit(client, f"/t/{landing.code}")
    visit(client, f"/t/{landing.code}")
    assert lane.served == 0
    forget_subscribers(landing.workspace_id)  # ids start again in the next test; this process's answer must not


def test_unknown_codes_are_not_remembered(client, lane) -> None:
    for _ in range(2):
        assert visit(client, "/t/ZZZZ2222").status_code == 404
    assert lane.served == 0 and lane.snapshots == {}


def test_the_fast_lane_keys_visitors_like_the_full_path(client, lane, landing) -> None:
    """The visitor key of a repeat scan is computed like the full path's (same address and phone, same key)."""
    visit(client, f"/t/{landing.code}", ua=IPHONE, ip="203.0.113.5")
    visit(client, f"/t/{landing.code}", ua=IPHONE, ip="203.0.113.99")  # same /24: the same anonymised address
    first, second = _scans(landing)
    assert lane.served == 1 and first.visitor_key == second.visitor_key


def test_while_one_request_looks_at_the_code_again_the_others_get_the_snapshot(client, lane, landing) -> None:
    visit(client, f"/t/{landing.code}")
    key = next(iter(lane.snapshots))
    lane.now[0] += fastpath.TTL_SECONDS + 0.01
    lane.refreshing.add(key)  # another thread is in the full path for this code right now
    visit(client, f"/t/{landing.code}")
    assert lane.served == 1
    lane.now[0] += fastpath.MAX_AGE_SECONDS  # too old even for that
    visit(client, f"/t/{landing.code}")
    assert lane.served == 1 and len(_scans(landing)) == 3


def test_the_writer_has_a_connection_of_its_own(app, client, landing) -> None:
    """Full-path requests hold pooled connections while they wait for the commit; the writer must not need one."""
    from feedback.groupcommit import writers_of
    from feedback.qr import scanwriter

    row = _row(landing, utcnow())
    db.session.commit()
    held = [db.engine.connect() for _ in range(db.engine.pool.size() + db.engine.pool._max_overflow)]
    try:
        assert scanwriter.store(writers_of(app), db.engine, Scan.__table__, row, want_id=False) == 0
    finally:
        for connection in held:
            connection.close()
    assert len(_scans(landing)) == 1


def _row(code: Code, when) -> dict[str, object]:  # noqa: ANN001
    return {
        "workspace_id": code.workspace_id, "touchpoint_id": code.touchpoint_id, "code_id": code.id,
        "scanned_at": when, "visitor_key": "f" * 32, "visitor_from_cookie": False, "device_class": "mobile",
        "os": "iOS", "browser": "Safari", "language": "de", "is_bot": False, "outcome": "ok",
    }  # fmt: skip
