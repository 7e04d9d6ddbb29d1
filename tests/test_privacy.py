"""No raw IP address is stored anywhere: after scans, answers, invites and unknown-code attempts from IPv4 and IPv6
addresses, a walk over every column of every table finds none of them (nor their /24 or /48 networks), and the
access log format we ship has no client address."""

from __future__ import annotations

import ipaddress

import pytest
import sqlalchemy as sa

from feedback.cli import gunicorn_settings
from feedback.extensions import db
from feedback.qr import services
from feedback.qr.visitors import anonymise_ip
from feedback.surveys import services as survey_services
from tests.phone import PHONE, answer_all, open_form

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag

ADDRESSES = ["203.0.113.77", "2001:db8:85a3::8a2e:370:7334", "::ffff:198.51.100.23"]


def _every_stored_text() -> list[str]:
    """Every value of every column of every table, as text."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            found += [str(value) for value in row if value is not None]
    return found


@pytest.mark.parametrize("address", ADDRESSES)
def test_no_table_holds_the_visitors_address(app, client, make_touchpoint, address) -> None:
    touchpoint = make_touchpoint(name="Messe")
    survey_services.attach(touchpoint, survey_services.create_survey(touchpoint.workspace_id, "Messe", "trade-fair"))
    code = services.create_code(touchpoint)
    db.session.commit()
    client.environ_base["REMOTE_ADDR"] = address
    fields = open_form(client, code)
    assert answer_all(client, code, fields).status_code == 303
    client.get(f"/t/{code.code}", headers=PHONE)  # again: the fast lane or "already answered"
    client.get("/t/ZZZZ9999", headers=PHONE)  # an unknown code is counted by its text
    client.get("/i/ABCD-EFGH-JKMN", headers=PHONE)  # an unknown invite
    db.session.expire_all()
    ip = ipaddress.ip_address(address)
    plain = str(getattr(ip, "ipv4_mapped", None) or ip)
    forbidden = {address, plain, anonymise_ip(address), ip.exploded}
    stored = _every_stored_text()
    assert len(stored) > 50  # the walk saw the rows that were written
    leaks = [value for value in stored for text in forbidden if text and text in value]
    assert leaks == []


def test_the_access_log_format_has_no_client_address() -> None:
    log_format = gunicorn_settings("127.0.0.1", 8000, 2, 32)["access_log_format"]
    for field in ("%(h)s", "%({x-forwarded-for}i)s", "%({x-real-ip}i)s", "%(u)s"):
        assert field not in log_format
