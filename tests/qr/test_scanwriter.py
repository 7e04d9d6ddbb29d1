"""Group commit on the scan path: concurrent scans share transactions, each is acknowledged only once stored."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.groupcommit import writers_of
from feedback.qr import scanwriter
from feedback.qr import services as qr_services
from feedback.qr.models import Scan
from tests.helpers import count


def _values(code: tuple[int, int, int], n: int) -> dict[str, object]:
    workspace_id, touchpoint_id, code_id = code
    return {
        "workspace_id": workspace_id,
        "touchpoint_id": touchpoint_id,
        "code_id": code_id,
        "scanned_at": utcnow(),
        "visitor_key": f"{n:032x}",
        "visitor_from_cookie": False,
        "device_class": "mobile",
        "os": "iOS",
        "browser": "Safari",
        "language": "de",
        "is_bot": False,
        "outcome": "ok",
    }


def test_concurrent_scans_are_all_stored_in_fewer_transactions(app, make_touchpoint, monkeypatch) -> None:
    made = qr_services.create_code(make_touchpoint())
    db.session.commit()
    code = (made.workspace_id, made.touchpoint_id, made.id)  # plain ids: threads must not touch ORM objects
    transactions = []
    original = scanwriter.ScanWriter._insert

    def counting(self, batch):  # noqa: ANN001, ANN202
        transactions.append(len(batch))
        return original(self, batch)

    monkeypatch.setattr(scanwriter.ScanWriter, "_insert", counting)
    writers, engine, table = writers_of(app), db.engine, Scan.__table__
    ids: list[int | None] = []
    start = threading.Barrier(16)

    def scan_many(worker: int) -> None:
        start.wait()
        for i in range(25):
            ids.append(scanwriter.store(writers, engine, table, _values(code, worker * 100 + i)))

    threads = [threading.Thread(target=scan_many, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.commit()
    assert None not in ids and len(set(ids)) == 400 and count(Scan) == 400
    stored = set(db.session.scalars(sa.select(Scan.id)))
    assert stored == set(ids)  # every acknowledged id is a stored row
    assert sum(transactions) == 400 and len(transactions) < 400  # commits were shared


def test_one_bad_scan_costs_only_itself(app, make_touchpoint) -> None:
    made = qr_services.create_code(make_touchpoint())
    db.session.commit()
    code = (made.workspace_id, made.touchpoint_id, made.id)
    writers, engine, table = writers_of(app), db.engine, Scan.__table__
    results: dict[str, int | None] = {}
    start = threading.Barrier(8)

    def scan(name: str, values: dict[str, object]) -> None:
        start.wait()
        results[name] = scanwriter.store(writers, engine, table, values)

    bad = {**_values(code, 999), "device_class": "toaster"}  # breaks a CHECK constraint
    jobs = [("bad", bad)] + [(f"ok{i}", _values(code, i)) for i in range(7)]
    threads = [threading.Thread(target=scan, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.commit()
    assert results["bad"] is None
    assert all(results[f"ok{i}"] is not None for i in range(7)) and count(Scan) == 7
