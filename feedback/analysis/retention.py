"""Retention: raw scans older than a configured age become exact daily counts, and the raw rows are deleted.

A raw scan holds a pseudonymous visitor key, the device and the language of one visit; after a year nobody needs
that, only how many scans and visitors each touchpoint had on each day. The job counts the old scans of a stretch
of days exactly as the roll-ups do (per touchpoint, code, device, language and arrival; scans and visitors), puts
the counts in `retained_count` and deletes the raw rows, in one transaction: a scan is always either a raw row or
part of a retained count, never both and never neither. Ratings, exports and the API add retained counts to the
raw rows left, so their totals do not change. Scans of team devices, like bots, are counted nowhere and deleted.

Scans a response or an invite open refers to are kept (the response's device and the referral statistics read
them) but marked `retained_at`, so they are not counted twice. Bot visits and scans of paused or expired codes,
which no count includes, are deleted without a trace. Retained days are cut in the workspace's time zone of the
moment; a later change of zone leaves them where they fell. What stays raw-only: returning visitors (first-party
cookie visits across days) are computed from the raw scans, so they cover the retention period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from feedback.analysis import rollups
from feedback.analysis.models import RetainedCount
from feedback.auth.models import Workspace
from feedback.config import MIN_RETENTION_DAYS
from feedback.extensions import db
from feedback.qr.models import Scan
from feedback.surveys.models import Response

#: Retention shorter than this is refused: recent days are still answered and compared week on week.
MIN_DAYS = MIN_RETENTION_DAYS
#: Days per transaction: a month of a busy workspace is a few million rows at most.
CHUNK_DAYS = 31


@dataclass(frozen=True)
class Retained:
    """What one run did for one workspace."""

    workspace: str
    days: int
    scans_counted: int
    scans_deleted: int


def cutoff_day(days: int, timezone: str, now: datetime) -> date:
    """The first local day whose scans stay raw."""
    return now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=days)


def retain_workspace(workspace_id: int, slug: str, timezone: str, days: int, now: datetime) -> Retained:
    """Turn the workspace's raw scans older than `days` days (whole local days) into retained counts."""
    if days < MIN_DAYS:
        raise ValueError(f"retention must keep at least {MIN_DAYS} days of raw scans")
    zone = ZoneInfo(timezone)
    keep_from = cutoff_day(days, timezone, now)
    with db.engine.connect() as connection:
        oldest = connection.scalar(
            sa.select(sa.func.min(Scan.scanned_at)).where(Scan.workspace_id == workspace_id, Scan.retained_at.is_(None))
        )
    if oldest is None or oldest.astimezone(zone).date() >= keep_from:
        return Retained(slug, 0, 0, 0)
    first = oldest.astimezone(zone).date()
    total = Retained(slug, 0, 0, 0)
    while first < keep_from:
        last = min(first + timedelta(days=CHUNK_DAYS - 1), keep_from - timedelta(days=1))
        counted, deleted = _retain_days(workspace_id, first, last, zone, now)
        total = Retained(
            slug,
            total.days + (last - first).days + 1,
            total.scans_counted + counted,
            total.scans_deleted + deleted,
        )
        first = last + timedelta(days=1)
    return total


def _retain_days(workspace_id: int, first: date, last: date, zone: ZoneInfo, now: datetime) -> tuple[int, int]:
    """Count the raw scans of the local days [first, last] and delete them, in one write transaction: (scans
    counted, rows deleted)."""
    start, end = rollups.utc_start(first, zone), rollups.utc_start(last + timedelta(days=1), zone)
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            # one run at a time per workspace (SQLite: the write lock already; PostgreSQL: this row lock), so no
            # two runs count the same rows
            connection.execute(sa.select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())
            counts = rollups.count_live(connection, workspace_id, first, last, zone, scans_only=True)
            rollups.insert_counts(connection, workspace_id, counts, RetainedCount)
            old = sa.and_(
                Scan.workspace_id == workspace_id,
                Scan.scanned_at >= start,
                Scan.scanned_at < end,
                Scan.retained_at.is_(None),
            )
            referred = sa.or_(
                Scan.invite_id.is_not(None), sa.exists().where(Response.scan_id == Scan.id)
            )  # kept for the response's device and the referral statistics, counted no more
            deleted = connection.execute(sa.delete(Scan).where(old, sa.not_(referred))).rowcount
            connection.execute(sa.update(Scan).where(old).values(retained_at=now))
    counted = sum(c.n for c in counts if c.dimension == "touchpoint" and c.measure == "scans")
    return counted, deleted


def run(days: int, now: datetime, workspace_slug: str | None = None) -> list[Retained]:
    """Retain every workspace's (or one workspace's) raw scans older than `days` days."""
    if days < MIN_DAYS:
        raise ValueError(f"retention must keep at least {MIN_DAYS} days of raw scans")
    query = sa.select(Workspace.id, Workspace.slug, Workspace.timezone).order_by(Workspace.slug)
    if workspace_slug is not None:
        query = query.where(Workspace.slug == workspace_slug)
    workspaces = list(db.session.execute(query))
    db.session.commit()  # the job's transactions are its own; no read of the session may outlive them
    return [retain_workspace(ws_id, slug, zone, days, now) for ws_id, slug, zone in workspaces]
