"""How people arrive at a code (issue: typed vs scanned): the symbol encodes /T/<CODE>, the printed text /t/<code>,
the form at /t takes a typed code; invites and personal mailings are their own. Each code shows its scan share with a
Wilson interval, and what it means for the print."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from scipy.stats import binomtest

from feedback.analysis.services import code_arrivals
from feedback.analysis.summaries import Arrivals, Scannability
from feedback.auth.models import Membership, Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import fastpath, personal
from feedback.qr.models import Code, Scan
from tests.phone import visit


def _arrivals(code: Code) -> list[str | None]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Scan.arrival).where(Scan.code_id == code.id).order_by(Scan.id)))


@pytest.fixture
def code(make_code):  # noqa: ANN001, ANN201
    return make_code(survey=None)


def test_each_way_of_arriving_is_recorded(client, code) -> None:
    visit(client, f"/T/{code.code}")  # what the symbol encodes
    visit(client, f"/t/{code.code.lower()}")  # the printed address, typed
    typed = visit(client, f"/t?code={code.code[:4]}-{code.code[4:]}")  # the form for the printed code
    assert typed.status_code == 303
    visit(client, typed.headers["Location"])
    assert _arrivals(code) == ["symbol", "typed_url", "typed_code"]


def test_replayed_scans_keep_their_arrival(client, app, code) -> None:
    """The fast lane answers repeat scans from its snapshot and records upper- and lower-case paths apart."""
    lane = fastpath.lane_of(app)
    for path in (f"/T/{code.code}", f"/T/{code.code}", f"/t/{code.code}", f"/T/{code.code}"):
        visit(client, path, ip="198.51.100.7")
    assert lane.served >= 2
    assert _arrivals(code) == ["symbol", "symbol", "typed_url", "symbol"]


def test_personal_mailing_codes_arrive_as_personal_mailing(client, make_touchpoint) -> None:
    touchpoint = make_touchpoint(name="Kundenmailing")
    batch = personal.create_batch(touchpoint, "März", ["K-1", "K-2"])
    db.session.commit()
    first = db.session.scalars(sa.select(Code).where(Code.batch_id == batch.id).order_by(Code.id)).first()
    visit(client, f"/T/{first.code}")
    visit(client, f"/T/{first.code}")
    assert _arrivals(first) == ["personal_mailing", "personal_mailing"]


def test_invite_opens_arrive_as_invite(client, make_code, make_invite) -> None:
    invite = make_invite()
    visit(client, f"/i/{invite.code}")
    db.session.expire_all()
    assert db.session.scalars(sa.select(Scan.arrival).where(Scan.invite_id == invite.id)).all() == ["invite"]


def _add_scans(code: Code, arrival: str, n: int, days_ago: int = 0) -> None:
    when = utcnow() - timedelta(days=days_ago)
    for i in range(n):
        db.session.add(
            Scan(
                workspace_id=code.workspace_id,
                touchpoint_id=code.touchpoint_id,
                code_id=code.id,
                scanned_at=when,
                visitor_key=f"{arrival}{i}".ljust(32, "0"),
                device_class="mobile",
                arrival=arrival,
            )
        )
    db.session.commit()


def test_scan_share_has_a_wilson_interval_and_a_verdict_only_when_the_interval_decides(code) -> None:
    _add_scans(code, "symbol", 8, days_ago=20)  # rolled up ...
    _add_scans(code, "typed_url", 10, days_ago=20)
    _add_scans(code, "symbol", 4)  # ... and live
    _add_scans(code, "typed_code", 8)
    _add_scans(code, "personal_mailing", 3)  # not a visit through the shared print
    arrivals = code_arrivals(code.workspace_id, "Europe/Berlin", [code.touchpoint_id])[code.id]
    assert (arrivals.scanned, arrivals.typed, arrivals.through_print) == (12, 18, 30)
    share = arrivals.scan_share
    wilson = binomtest(12, 30).proportion_ci(method="wilson")
    assert share.share == pytest.approx(0.4)
    assert (share.ci.low, share.ci.high) == (pytest.approx(wilson.low), pytest.approx(wilson.high))
    assert arrivals.scannability is Scannability.LOW  # the whole interval (0.25–0.58) lies below 70 %
    assert Arrivals({"symbol": 5, "typed_url": 2}).scannability is Scannability.TOO_FEW
    assert Arrivals({"symbol": 18, "typed_url": 2}).scannability is Scannability.UNCLEAR  # 90 %, CI from 69.9 %
    assert Arrivals({"symbol": 95, "typed_url": 5}).scannability is Scannability.FINE


def test_the_code_page_the_touchpoint_page_and_the_command_show_the_scan_share(
    client, auth, runner, make_user, code
) -> None:
    _add_scans(code, "symbol", 6)
    _add_scans(code, "typed_url", 14)
    owner = make_user()
    db.session.add(Membership(user_id=owner.id, workspace_id=code.workspace_id, role=Role.OWNER.value))
    db.session.commit()
    auth.login(owner)
    ws = code.touchpoint.campaign.workspace.slug
    page = client.get(f"/w/{ws}/codes/{code.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Only 30%" in page and "of 20 visits arrive by scanning, 14 typed the address or code" in page
    assert "print the code larger or with more contrast" in page
    listing = client.get(f"/w/{ws}/touchpoints/{code.touchpoint_id}").get_data(as_text=True)
    assert "30.0" in listing and "Scan share" in listing
    campaign = code.touchpoint.campaign_id
    rating = client.get(f"/w/{ws}/campaigns/{campaign}/ratings/{code.touchpoint_id}").get_data(as_text=True)
    assert "The print: Only 30%" in rating and "print the code larger" in rating
    kit = client.get(f"/w/{ws}/campaigns/{campaign}/codes.zip")
    guide = zipfile.ZipFile(io.BytesIO(kit.data)).read("PRINTING-GUIDE.txt").decode()
    assert "fewer than 70 % of the visits through a print arrive by scanning" in guide
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(runner.invoke(args=["codes"]).output))}
    row = rows[code.code]
    assert (row["scanned_symbol"], row["typed_url"], row["typed_code"]) == ("6", "14", "0")
    wilson = binomtest(6, 20).proportion_ci(method="wilson")
    assert float(row["scan_share"]) == pytest.approx(0.3)
    assert float(row["scan_share_low"]) == pytest.approx(wilson.low)
    assert float(row["scan_share_high"]) == pytest.approx(wilson.high)


def test_scans_before_arrivals_were_recorded_are_named_and_left_out_of_the_share(code) -> None:
    db.session.add(
        Scan(
            workspace_id=code.workspace_id,
            touchpoint_id=code.touchpoint_id,
            code_id=code.id,
            scanned_at=utcnow(),
            visitor_key="old".ljust(32, "0"),
            device_class="mobile",
        )
    )
    db.session.commit()
    arrivals = code_arrivals(code.workspace_id, "Europe/Berlin", [code.touchpoint_id])[code.id]
    assert arrivals.of("") == 1 and arrivals.scan_share is None
