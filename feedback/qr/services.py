"""Use cases for codes and scans."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from feedback.auth.models import Workspace
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.groupcommit import writers_of
from feedback.qr import scanwriter
from feedback.qr.codes import CODE_LENGTH, InvalidCode, generate_code, normalise_code
from feedback.qr.models import Arrival, Code, CodeState, Scan, ScanOutcome, UnknownCodeHit
from feedback.qr.visitors import Visit
from feedback.tenancy import get_owned, owned
from feedback.texts import language_list
from feedback.touchpoints.models import Campaign, Touchpoint
from feedback.webhooks.services import has_scan_subscribers

log = logging.getLogger(__name__)
MAX_LABEL = 80


class DuplicateLabel(DomainError):
    """Labels tell a touchpoint's codes apart, so they are unique per touchpoint."""

    status = 409
    message = _l("This touchpoint already has a code with this label.")


class CodeChanges(TypedDict, total=False):
    """Some settings of a code (an API PATCH): a setting left out, or a label or `paused` of None, stays as it is;
    `expires_on` None lets the code never expire."""

    label: str | None
    paused: bool | None
    #: The last day (workspace time) the code leads to its page.
    expires_on: date | None


@dataclass(frozen=True)
class ResolvedCode:
    """What the scan path needs about a code, loaded in one query."""

    code: Code
    touchpoint: Touchpoint
    campaign_slug: str
    #: The workspace's name: the brand customers know.
    brand: str
    timezone: str
    #: An archived campaign is over: its codes and invite links show the "ended" page.
    campaign_archived: bool = False
    #: The workspace's main language: where a landing text lacks the visitor's language.
    main_language: str = "de"


@dataclass(frozen=True)
class CodeStats:
    """Scan counts of one code; bots are never counted."""

    scans: int
    #: Visitors counted per day (distinct visitors of each day, summed over the days).
    unique_visitors: int
    bot_scans: int
    blocked_scans: int
    last_scan: datetime | None
    #: Scans from the workspace's own devices (feedback.auth.devices): listed here, counted nowhere.
    team_scans: int = 0


def create_code(touchpoint: Touchpoint, label: str = "") -> Code:
    """Give a touchpoint a new printed code with a fresh random token; the caller commits.

    :raises DuplicateLabel: another code of the touchpoint has this label.
    """
    label = label.strip()[:MAX_LABEL]
    if _label_taken(touchpoint.workspace_id, touchpoint.id, label):
        raise DuplicateLabel()
    while True:  # 40 random bits: a collision is rare, but a printed code must never be reused
        token = generate_code(CODE_LENGTH)
        if db.session.scalar(sa.select(Code.id).where(Code.code == token)) is None:
            break
    code = Code(workspace_id=touchpoint.workspace_id, touchpoint_id=touchpoint.id, code=token, label=label)
    db.session.add(code)
    db.session.flush()
    return code


def relabel(code: Code, label: str) -> None:
    """Give a code another label; the caller commits.

    :raises DuplicateLabel: another code of the touchpoint has this label.
    """
    label = label.strip()[:MAX_LABEL]
    if _label_taken(code.workspace_id, code.touchpoint_id, label, but=code.id):
        raise DuplicateLabel()
    code.label = label


def _label_taken(workspace_id: int, touchpoint_id: int, label: str, but: int | None = None) -> bool:
    """Whether another code of the touchpoint has this label (case does not matter; empty labels never clash)."""
    if not label:
        return False
    query = owned(Code, workspace_id, Code.touchpoint_id == touchpoint_id, sa.func.lower(Code.label) == label.lower())
    if but is not None:
        query = query.where(Code.id != but)
    return db.session.scalar(query.with_only_columns(Code.id).limit(1)) is not None


def set_paused(code: Code, paused: bool, now: datetime) -> None:
    """Pause or resume a code; a paused code answers with a 'campaign has ended' page."""
    code.paused_at = now if paused else None


def end_of_day(day: date, timezone: str) -> datetime:
    """The first instant after `day` in the workspace's time zone, as UTC."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(timezone))


def set_expiry(code: Code, day: date | None, workspace: Workspace) -> None:
    """Let a code expire at the end of `day` (workspace time), or never when `day` is None."""
    code.expires_at = None if day is None else end_of_day(day, workspace.timezone)


def change_code(workspace: Workspace, code_id: int, changes: CodeChanges, now: datetime) -> Code:
    """Relabel, pause or resume, or set the last day of one of the workspace's codes; the caller commits.

    :param changes: the settings to change (see CodeChanges); pausing takes effect at `now`.
    :raises NotFound: the code is not one of this workspace's.
    :raises DuplicateLabel: another code of the touchpoint has the new label.
    """
    code = get_code(workspace.id, code_id)
    label = changes.get("label")
    if label is not None:
        relabel(code, label)
    paused = changes.get("paused")
    if paused is not None:
        set_paused(code, paused, now)
    if "expires_on" in changes:
        set_expiry(code, changes["expires_on"], workspace)
    return code


def codes_of(touchpoint: Touchpoint) -> list[Code]:
    """The touchpoint's shared codes (not the personal ones of mailing batches), oldest first."""
    return list(
        db.session.scalars(
            owned(Code, touchpoint.workspace_id, Code.touchpoint_id == touchpoint.id, Code.batch_id.is_(None)).order_by(
                Code.id
            )
        )
    )


def get_code(workspace_id: int, code_id: int) -> Code:
    """One code of the workspace or NotFound."""
    return get_owned(Code, workspace_id, code_id)


def write_in_own_transaction(statement: sa.Executable) -> object:
    """Run one write in its own short transaction that takes the write lock first (SQLite: BEGIN IMMEDIATE).

    Separate from the request's session, so the scan path's read never turns into a lock upgrade (which SQLite
    refuses at once when another writer came in between) and the loaded touchpoint is not expired by a commit.
    """
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            result = connection.execute(statement)
            return result.scalar() if result.returns_rows else None


def resolve_code(typed: str) -> ResolvedCode | None:
    """The code a visitor typed or scanned, with its touchpoint, in one indexed query; None when unknown."""
    try:
        token = normalise_code(typed)
    except InvalidCode:
        return None
    row = db.session.execute(
        sa.select(Code, Touchpoint, Campaign.slug, Workspace.name, Workspace.timezone, Campaign.archived_at)
        .add_columns(Workspace.languages)
        .join(Touchpoint, Touchpoint.id == Code.touchpoint_id)
        .join(Campaign, Campaign.id == Touchpoint.campaign_id)
        .join(Workspace, Workspace.id == Code.workspace_id)
        .where(Code.code == token)
    ).first()
    if row is None:
        return None
    return ResolvedCode(
        code=row[0],
        touchpoint=row[1],
        campaign_slug=row[2],
        brand=row[3],
        timezone=row[4],
        campaign_archived=row[5] is not None,
        main_language=language_list(row[6] or "")[0],
    )


def outcome_for(code: Code, now: datetime, campaign_archived: bool = False) -> ScanOutcome:
    """What a scan of the code leads to now; a code of an archived campaign answers like a paused one (unless it
    expired)."""
    if campaign_archived and code.state(now) is CodeState.ACTIVE:
        return ScanOutcome.PAUSED
    return {
        CodeState.ACTIVE: ScanOutcome.OK,
        CodeState.PAUSED: ScanOutcome.PAUSED,
        CodeState.EXPIRED: ScanOutcome.EXPIRED,
    }[code.state(now)]


def scan_values(
    workspace_id: int,
    touchpoint_id: int,
    code_id: int,
    visit: Visit,
    outcome: ScanOutcome,
    now: datetime,
    invite_id: int | None = None,
    arrival: Arrival | None = None,
) -> dict[str, object]:
    """The columns of one scan row."""
    return {
        "arrival": arrival.value if arrival else None,
        "workspace_id": workspace_id,
        "touchpoint_id": touchpoint_id,
        "code_id": code_id,
        "invite_id": invite_id,
        "scanned_at": now,
        "visitor_key": visit.visitor_key,
        "visitor_from_cookie": visit.from_cookie,
        "device_class": visit.device_class,
        "os": visit.os,
        "browser": visit.browser,
        "language": visit.language,
        "is_bot": visit.is_bot,
        "outcome": outcome.value,
    }


def record_scan(
    resolved: ResolvedCode,
    visit: Visit,
    outcome: ScanOutcome,
    now: datetime,
    invite_id: int | None = None,
    printed: bool = True,
    arrival: Arrival = Arrival.SYMBOL,
) -> int | None:
    """Store one scan and commit; its id, or None when the write failed (logged, never shown to the visitor).

    The one writer of scans: printed codes, and invite links (`printed=False`, attributed to `invite_id`), which
    count at their landing touchpoint but send no code.scanned event. The scan counts at the resolved touchpoint.
    """
    code = resolved.code
    if code.is_personal and printed:
        arrival = Arrival.PERSONAL_MAILING
    values = scan_values(code.workspace_id, resolved.touchpoint.id, code.id, visit, outcome, now, invite_id, arrival)
    notify = printed and outcome is ScanOutcome.OK and not visit.is_bot and has_scan_subscribers(code.workspace_id)
    try:
        if not notify:  # group commit: concurrent scans of this process share one transaction
            scan_id = scanwriter.store(writers_of(current_app), db.engine, Scan.__table__, values)
        else:
            scan_id = _scan_with_event(resolved, sa.insert(Scan).values(**values).returning(Scan.id), visit, now)
    except sa.exc.SQLAlchemyError:
        log.exception("scan of code %s could not be stored", code.code)
        scan_id = None
    if scan_id is None:
        current_app.extensions[LOST_SCANS].add()
    return scan_id


def record_replayed_scan(
    app: Flask,
    engine: sa.Engine,
    workspace_id: int,
    touchpoint_id: int,
    code_id: int,
    visit: Visit,
    now: datetime,
    arrival: Arrival,
) -> bool:
    """Store a scan the fast lane answered from its snapshot (always an OK scan of an active code, no webhook
    subscriber); False when the write failed (logged and counted; the visitor is served all the same). The fast
    lane runs without an app context, so it names its app."""
    values = scan_values(workspace_id, touchpoint_id, code_id, visit, ScanOutcome.OK, now, arrival=arrival)
    if scanwriter.store(writers_of(app), engine, Scan.__table__, values, want_id=False) is None:
        app.extensions[LOST_SCANS].add()
        return False
    return True


#: Where create_app keeps the app's count of scans served but not stored (app.extensions).
LOST_SCANS = "feedback.scans_not_stored"


class LostScans:
    """Scans the app served in this process without storing them (each error is logged); /healthz shows the
    count, which a monitor should alert on."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        """Count one more scan whose visitor was served but whose row could not be written."""
        with self._lock:
            self.count += 1


def init_app(app: Flask) -> None:
    """Give the app its count of scans not stored, at 0."""
    app.extensions[LOST_SCANS] = LostScans()


def scans_not_stored() -> int:
    """Scans the current app served in this process without storing them since it started (shown by /healthz)."""
    lost: LostScans = current_app.extensions[LOST_SCANS]
    return lost.count


def _scan_with_event(resolved: ResolvedCode, statement: sa.Executable, visit: Visit, now: datetime) -> int:
    """The scan and its code.scanned outbox rows in one short transaction (both or neither)."""
    from feedback.webhooks.delivery import wake_dispatchers
    from feedback.webhooks.payloads import code_scanned
    from feedback.webhooks.services import scan_deliveries

    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            scan_id = int(connection.execute(statement).scalar_one())
            data = code_scanned(scan_id, resolved.code, resolved.touchpoint, now, visit.device_class, visit.language)
            queued = scan_deliveries(connection, resolved.code.workspace_id, data, now)
    if queued:
        wake_dispatchers()
    return scan_id


def _printable(text: str) -> str:
    """The typed text without control characters, at most 40 characters."""
    return "".join(c for c in text if c.isprintable())[:40]


def record_unknown(typed: str, now: datetime) -> None:
    """Count an attempt to open a code that does not exist (by its text, so misprints can be found)."""
    text = _printable(typed)
    if not text:
        return
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(UnknownCodeHit)
    statement = insert.values(text=text, hits=1, first_seen=now, last_seen=now).on_conflict_do_update(
        index_elements=["text"],
        set_={"hits": UnknownCodeHit.hits + 1, "last_seen": now},
    )
    try:
        write_in_own_transaction(statement)
    except sa.exc.SQLAlchemyError:
        log.exception("unknown-code hit could not be counted")


def _counted() -> list[sa.ColumnElement[bool]]:
    """Scans that count: people (no bots) who reached the landing page."""
    return [Scan.is_bot.is_(False), Scan.outcome == ScanOutcome.OK.value]


def code_stats(touchpoint: Touchpoint, traffic: Mapping[int, tuple[int, int]]) -> dict[int, CodeStats]:
    """Scan counts per code of a touchpoint: scans and visitors (counted per day) as `traffic` gives them (the
    analysis roll-ups, `analysis.services.code_traffic`), bot and blocked scans and the last scan from the raw scans
    (GROUP BY in the database)."""
    rows = db.session.execute(
        sa.select(
            Scan.code_id,
            sa.func.count().filter(Scan.is_bot.is_(True)),
            sa.func.count().filter(
                Scan.is_bot.is_(False), Scan.outcome.in_([ScanOutcome.PAUSED.value, ScanOutcome.EXPIRED.value])
            ),
            sa.func.max(Scan.scanned_at),
            sa.func.count().filter(Scan.is_bot.is_(False), Scan.outcome == ScanOutcome.TEAM.value),
        )
        .where(Scan.workspace_id == touchpoint.workspace_id, Scan.touchpoint_id == touchpoint.id)
        .group_by(Scan.code_id)
    )
    raw = {code_id: (bots, blocked, last, team) for code_id, bots, blocked, last, team in rows}
    stats = {}
    for code_id in set(raw) | set(traffic):
        bots, blocked, last, team = raw.get(code_id, (0, 0, None, 0))
        scans, visitors = traffic.get(code_id, (0, 0))
        last_scan = last if last is None or last.tzinfo else last.replace(tzinfo=ZoneInfo("UTC"))
        stats[code_id] = CodeStats(scans, visitors, bots, blocked, last_scan, team)
    return stats


def recent_scans(touchpoint: Touchpoint, limit: int = 20) -> list[tuple[Scan, str]]:
    """The touchpoint's latest scans with their code text, newest first."""
    rows = db.session.execute(
        owned(Scan, touchpoint.workspace_id, Scan.touchpoint_id == touchpoint.id)
        .add_columns(Code.code)
        .join(Code, Code.id == Scan.code_id)
        .order_by(Scan.scanned_at.desc(), Scan.id.desc())
        .limit(limit)
    )
    return [(scan, code) for scan, code in rows]


def campaign_codes(campaign: Campaign, touchpoints: list[Touchpoint]) -> list[tuple[Code, Touchpoint]]:
    """Every shared code of the campaign's `touchpoints` (its active ones, in journey order), in that order, for the
    print sheet (personal codes of mailings go to the mail house as a mail-merge file instead)."""
    by_id = {t.id: t for t in touchpoints}
    codes = db.session.scalars(
        owned(Code, campaign.workspace_id, Code.touchpoint_id.in_(by_id), Code.batch_id.is_(None)).order_by(Code.id)
    )
    order = {t.id: i for i, t in enumerate(touchpoints)}
    return sorted(((c, by_id[c.touchpoint_id]) for c in codes), key=lambda pair: (order[pair[1].id], pair[0].id))
