"""Printed codes keep working while the database refuses writes: the visitor gets the page, the lost scan is logged
and counted."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.qr import services
from feedback.qr.models import Scan
from feedback.touchpoints.models import Channel
from tests.phone import visit


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
    touchpoint.headline_de = "Frühlingsröstung"
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
