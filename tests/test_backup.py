"""feedback backup / restore: a consistent copy taken while scans are being written, restored exactly; refusals
change nothing."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.groupcommit import writers_of
from feedback.qr import scanwriter, services
from feedback.qr.models import Scan


def _scan_row(code, n: int) -> dict[str, object]:  # noqa: ANN001
    return {
        "workspace_id": code.workspace_id, "touchpoint_id": code.touchpoint_id, "code_id": code.id,
        "scanned_at": utcnow(), "visitor_key": f"{n:032x}", "visitor_from_cookie": False, "device_class": "mobile",
        "os": "iOS", "browser": "Safari", "language": "de", "is_bot": False, "outcome": "ok",
    }  # fmt: skip


def _scans() -> int:
    db.session.remove()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) or 0


def test_a_backup_taken_while_scans_arrive_restores_exactly(app, runner, make_touchpoint, tmp_path: Path) -> None:
    code = services.create_code(make_touchpoint(name="Plakat"))
    db.session.commit()
    rows = [_scan_row(code, n) for n in range(400)]
    writers, engine, table = writers_of(app), db.engine, Scan.__table__
    for row in rows[:200]:
        scanwriter.store(writers, engine, table, row, want_id=False)
    writing = threading.Thread(
        target=lambda: [scanwriter.store(writers, engine, table, r, want_id=False) for r in rows[200:]]
    )
    writing.start()  # the service keeps writing while the backup runs
    target = tmp_path / "feedback.backup"
    result = runner.invoke(args=["backup", str(target)])
    writing.join()
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and target.stat().st_size > 0
    assert _scans() == 400
    db.session.execute(sa.delete(Scan))  # after the backup: everything lost, say
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    restored = _scans()
    assert 200 <= restored <= 400  # everything committed before the copy began, and nothing torn
    keys = set(db.session.scalars(sa.select(Scan.visitor_key)))
    assert {f"{n:032x}" for n in range(200)} <= keys and len(keys) == restored


def test_refused_backups_and_restores_change_nothing(app, runner, make_touchpoint, tmp_path: Path) -> None:
    code = services.create_code(make_touchpoint(name="Plakat"))
    db.session.commit()
    scanwriter.store(writers_of(app), db.engine, Scan.__table__, _scan_row(code, 1), want_id=False)
    existing = tmp_path / "taken.backup"
    existing.write_bytes(b"keep me")
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"this is not a backup" * 100)
    attempts = {
        "backup over an existing file": ["backup", str(existing)],
        "restore without --yes": ["restore", str(existing)],
        "restore of a missing file": ["restore", str(tmp_path / "missing.backup"), "--yes"],
        "restore of a broken file": ["restore", str(garbage), "--yes"],
    }
    for what, args in attempts.items():
        result = runner.invoke(args=args)
        assert result.exit_code != 0, what
        assert "Error:" in result.output and "Traceback" not in result.output, what
    assert existing.read_bytes() == b"keep me"
    assert _scans() == 1
