"""Printed codes keep working while the database refuses writes: the visitor gets the page, the lost scan is logged
and counted."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.qr import fastpath, services
from feedback.qr.models import Scan
from feedback.touchpoints.models import Channel
from tests.phone import Respondent, path_of, visit


def _refuse_writes(engine: sa.Engine) -> None:
    """From now on every new connection of the engine may only read (as on a replica or a full disk)."""

    def read_only(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()
        cursor.close()

    db.session.remove()
    engine.dispose()
    sa.event.listen(engine, "connect", read_only)


@pytest.mark.parametrize("destination", [None, "https://shop.example/fruehling"])
def test_scans_are_answered_while_the_database_is_read_only(app, client, make_touchpoint, caplog, destination) -> None:
    touchpoint = make_touchpoint(name="Plakat", channel=Channel.POSTER)
    touchpoint.headline_texts = {"de": "Frühlingsröstung"}
    touchpoint.destination_url = destination
    code = services.create_code(touchpoint)
    db.session.commit()
    path = f"/t/{code.code}"
    before = client.get("/healthz").get_json()["scans_not_stored"]
    _refuse_writes(db.engine)
    with caplog.at_level(logging.ERROR):
        answers = [visit(client, path) for _ in range(3)]  # the first through Flask, the others the fast lane
    assert [a.status_code for a in answers] == [302 if destination else 200] * 3
    if destination is None:
        assert all("Frühlingsröstung" in a.get_data(as_text=True) for a in answers)
    assert "could not be stored" in caplog.text
    health = client.get("/healthz").get_json()
    assert health["scans_not_stored"] == before + 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == 0


def _unreachable(engine: sa.Engine) -> Callable[[], None]:
    """From now on the engine cannot connect (a database server that is down); returns what brings it back."""
    dbapi_error = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args) -> None:  # noqa: ANN002
        raise dbapi_error("connection refused: the database server is down")

    db.session.remove()
    engine.dispose()
    sa.event.listen(engine, "do_connect", refuse)

    def back() -> None:
        sa.event.remove(engine, "do_connect", refuse)

    return back


@pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)
def test_invite_links_are_answered_while_the_database_is_read_only(app, client, make_touchpoint, make_survey) -> None:
    touchpoint = make_touchpoint(name="Plakat", channel=Channel.POSTER)
    make_survey(touchpoint, "loyalty")
    code = services.create_code(touchpoint)
    db.session.commit()
    phone = Respondent(app.test_client())
    link = phone.take_invite(phone.answer(f"/t/{code.code}"))
    before = client.get("/healthz").get_json()["scans_not_stored"]
    _refuse_writes(db.engine)
    opened = visit(client, path_of(link))
    assert opened.status_code == 200 and 'name="state"' in opened.get_data(as_text=True)  # the survey, as invited
    assert client.get("/healthz").get_json()["scans_not_stored"] == before + 1


@pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)
def test_codes_answer_from_their_last_good_answer_while_the_database_is_down(
    app, client, make_touchpoint, make_survey, caplog
) -> None:
    landing = make_touchpoint(name="Plakat", channel=Channel.POSTER)
    landing.headline_texts = {"de": "Frühlingsröstung"}
    redirect = make_touchpoint(name="Flyer", channel=Channel.FLYER)
    redirect.destination_url = "https://shop.example/fruehling"
    survey = make_touchpoint(name="Messestand")
    make_survey(survey, "loyalty")
    codes = [services.create_code(t) for t in (landing, redirect, survey)]
    db.session.commit()
    paths = [f"/T/{c.code}" for c in codes]
    for path in paths[:2]:
        assert visit(client, path).status_code in (200, 302)  # the full path's answers: the fast lane keeps them
    phone = Respondent(app.test_client())
    action, fields = phone.form(paths[2])  # a survey opened before the outage, sent during it
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(Scan))
    lane = fastpath.lane_of(app)
    lane.clock = lambda: time.monotonic() + 3600  # an hour later: every snapshot is stale, the full path is asked
    before = client.get("/healthz").get_json()["scans_not_stored"]
    back = _unreachable(db.engine)
    try:
        with caplog.at_level(logging.ERROR):
            shown, sent, asked, unknown = (visit(client, p) for p in [*paths, "/T/ZZZZ2345"])
        assert shown.status_code == 200 and "Frühlingsröstung" in shown.get_data(as_text=True)
        assert sent.status_code == 302 and sent.headers["Location"].startswith("https://shop.example/fruehling")
        # a survey page cannot be made without the database: a polite page that asks to come back, not an error
        for answer_ in (asked, unknown):
            assert answer_.status_code == 503 and answer_.headers["Retry-After"] == "30"
            assert "Bitte versuchen Sie es in einer Minute noch einmal" in answer_.get_data(as_text=True)
            assert answer_.headers["Content-Security-Policy"] and "Traceback" not in answer_.get_data(as_text=True)
        sent_during = phone.post(action, {**fields, "q_nps": "9", "q_csat": "5", "q_repurchase": "4"})
        assert sent_during.status_code == 503
        assert "Das konnte gerade nicht gespeichert werden" in sent_during.get_data(as_text=True)
        assert "database unavailable" in caplog.text
        assert client.get("/healthz").get_json()["scans_not_stored"] == before + 2  # served, not stored: counted
        assert client.get("/readyz").status_code == 503
    finally:
        back()
    db.session.remove()
    assert [visit(client, p).status_code for p in paths] == [200, 302, 200]  # back: scans stored again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == stored + 3
