"""Exact counts per workspace-local day: rolled up once a day is over, computed live for the days still open.

Every number analysis shows is a sum over days of (touchpoint, day, dimension, key, measure, value) counts.
Days older than `OPEN_DAYS` are stored in `daily_count` the first time someone reads them; the days after that
are counted live with the same queries, so both paths agree by construction. A write that touches a rolled-up
day (a late answer, a flag, a deleted response) removes that day's roll-up in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from feedback.analysis.models import DailyCount, MonthlyCount, RetainedCount, RolledUpDay, RolledUpMonth
from feedback.analysis.segments import Segment
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr.models import Scan, ScanOutcome
from feedback.replica import read_engine
from feedback.surveys.models import Answer, Question, Response
from feedback.surveys.questions import NPS_GROUPS, SCALES, QuestionType

#: Today and the day before stay live: responses started late in the evening are still being completed.
OPEN_DAYS = 2
SCALE_TYPES = (QuestionType.NPS, QuestionType.CSAT, QuestionType.CES, QuestionType.RATING)
DIMENSIONS = ("touchpoint", "code", "device", "language", "arrival")
TREND_MEASURES = ("scans", "visitors", "starts", "completions", QuestionType.NPS.value)
#: Dimensions read one row per day (of the trend measures): "day" sums the touchpoints asked for, "touchpoint_day"
#: keeps them apart (the trend lines of lists).
BY_DAY = ("day", "touchpoint_day")
#: Inside `answering_at_once`, a read counts at most this many closed days live that are not rolled up yet; with
#: more it raises StillCounting, rather than waiting for them or giving figures without them.
LIVE_PENDING_DAYS = 7
_pending: ContextVar[set[date] | None] = ContextVar("rollups_pending", default=None)


class StillCounting(Exception):  # noqa: N818 - a state, not a fault
    """More closed days than LIVE_PENDING_DAYS are not rolled up yet (`answering_at_once`): the page says which
    instead of showing figures without them."""

    def __init__(self, days: list[date]) -> None:
        super().__init__(f"{len(days)} days not rolled up yet")
        self.days = days


@dataclass(frozen=True)
class Count:
    """One row of counts, rolled up or live."""

    touchpoint_id: int
    day: date
    dimension: str
    key: str
    measure: str
    value: int
    n: int


def utc_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which a local day starts."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _offset_minutes(day: date, zone: ZoneInfo) -> int:
    offset = datetime.combine(day, time(), zone).utcoffset() or timedelta()
    return int(offset.total_seconds() // 60)


def _segments(first: date, last: date, zone: ZoneInfo) -> Iterator[tuple[date, date, int | None]]:
    """Runs of days with one UTC offset all day long (day = date(utc + offset)); a day on which the offset
    changes (daylight saving) is a run of its own, cut by its exact bounds (offset None)."""
    day = first
    while day <= last:
        offset = _offset_minutes(day, zone)
        if _offset_minutes(day + timedelta(days=1), zone) != offset:
            yield day, day, None
            day += timedelta(days=1)
            continue
        end = day
        while end < last and _offset_minutes(end + timedelta(days=2), zone) == offset:
            end += timedelta(days=1)
        yield day, end, offset
        day = end + timedelta(days=1)


def _local_day(column: sa.ColumnElement[datetime], segment_first: date, offset: int | None) -> sa.ColumnElement:
    if offset is None:
        return sa.literal(segment_first.isoformat())
    if db.engine.dialect.name == "postgresql":
        return sa.cast(column + sa.literal(timedelta(minutes=offset)), sa.Date)
    return sa.func.date(column, f"{offset:+d} minutes")


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _count_segment(
    connection: sa.Connection,
    workspace_id: int,
    first: date,
    last: date,
    offset: int | None,
    zone: ZoneInfo,
    scans_only: bool = False,
    narrowed: Narrowed | None = None,
) -> list[Count]:
    """Every count of the workspace's local days [first, last], straight from the raw rows and the retained
    counts; with `scans_only`, the counts of the raw scans not yet retained and nothing else; `narrowed` keeps to
    some touchpoints, dimensions and a segment (whose counts the retained scans cannot give)."""
    start, end = utc_start(first, zone), utc_start(last + timedelta(days=1), zone)
    rows: list[Count] = []
    narrowed = narrowed or Narrowed()
    scan_where, response_where = narrowed.scan_where(), narrowed.response_where()
    scan_day = _local_day(Scan.scanned_at, first, offset)
    scan_keys = {
        "touchpoint": sa.literal(""),
        "code": sa.cast(sa.func.coalesce(Scan.code_id, 0), sa.String),
        "device": Scan.device_class,
        "language": Scan.language,
        # how people arrived at each code (symbol, typed address or code …), "<code id>:<arrival>"; scans only
        "arrival": sa.cast(sa.func.coalesce(Scan.code_id, 0), sa.String) + ":" + sa.func.coalesce(Scan.arrival, ""),
    }
    for dimension, key in scan_keys.items():
        if not narrowed.wants(dimension) or scan_where is None:
            continue
        query = (
            sa.select(Scan.touchpoint_id, scan_day, key, sa.func.count(), sa.func.count(sa.distinct(Scan.visitor_key)))
            .where(
                Scan.workspace_id == workspace_id,
                Scan.scanned_at >= start,
                Scan.scanned_at < end,
                Scan.is_bot.is_(False),
                Scan.outcome == ScanOutcome.OK.value,
                Scan.retained_at.is_(None),  # counted in retained_count
                *scan_where,
            )
            .group_by(Scan.touchpoint_id, scan_day, key)
        )
        for tp, day, k, scans, visitors in connection.execute(query):
            rows.append(Count(tp, _as_date(day), dimension, str(k or ""), "scans", 0, scans))
            if dimension != "arrival":
                rows.append(Count(tp, _as_date(day), dimension, str(k or ""), "visitors", 0, visitors))
    if scans_only:
        return rows
    retained = sa.select(
        RetainedCount.touchpoint_id,
        RetainedCount.day,
        RetainedCount.dimension,
        RetainedCount.key,
        RetainedCount.measure,
        RetainedCount.value,
        sa.func.sum(RetainedCount.n),
    ).where(RetainedCount.workspace_id == workspace_id, RetainedCount.day.between(first, last), *narrowed.tp_where())
    for tp, day, dimension, k, measure, value, n in (
        connection.execute(retained.group_by(*retained.selected_columns[:6])) if narrowed.segment is None else ()
    ):
        if narrowed.wants(dimension):
            rows.append(Count(tp, _as_date(day), dimension, k, measure, value, int(n)))
    response_day = _local_day(Response.started_at, first, offset)
    response_keys = {
        "touchpoint": sa.literal(""),
        "code": sa.cast(sa.func.coalesce(Response.code_id, 0), sa.String),
        "device": sa.func.coalesce(Scan.device_class, ""),
        "language": Response.language,
    }
    in_period = (
        Response.workspace_id == workspace_id,
        Response.started_at >= start,
        Response.started_at < end,
        Response.flagged.is_(False),
        *response_where,
    )
    # the NPS groups a response's NPS answers fall in (one row per group: a response asked twice may be in two), so
    # that a segment of one NPS group reads the roll-ups
    nps, started = aliased(Answer), aliased(Response)
    group = sa.case(
        *((nps.value_number.between(low, high), name) for name, (low, high) in NPS_GROUPS.items()), else_=""
    )
    groups = (
        sa.select(nps.response_id, group.label("nps_group"))
        .join(started, started.id == nps.response_id)
        .where(
            nps.workspace_id == workspace_id,
            nps.question_type == QuestionType.NPS.value,
            nps.value_number.is_not(None),
            started.started_at >= start,
            started.started_at < end,
        )
        .distinct()
        .subquery()
    )
    response_keys["nps_group"] = groups.c.nps_group
    for dimension, key in response_keys.items():
        if not narrowed.wants(dimension):
            continue
        query = (
            sa.select(Response.touchpoint_id, response_day, key, sa.func.count(), sa.func.count(Response.completed_at))
            .select_from(Response)
            .where(*in_period)
            .group_by(Response.touchpoint_id, response_day, key)
        )
        if dimension == "device":
            query = query.outerjoin(Scan, Scan.id == Response.scan_id)
        if dimension == "nps_group":
            query = query.join(groups, groups.c.response_id == Response.id)
        for tp, day, k, starts, completions in connection.execute(query):
            rows.append(Count(tp, _as_date(day), dimension, str(k or ""), "starts", 0, starts))
            rows.append(Count(tp, _as_date(day), dimension, str(k or ""), "completions", 0, completions))
    answer_keys = {**response_keys, "item": Answer.question_key}
    # Scales whose low end is the good one are turned (r' = min + max − r) before they are pooled (STATS.md §1);
    # only rating questions marked as loyalty count as the loyalty metric, every rating counts as an item.
    turned = sa.case(
        *((Question.type == t.value, low + high - Answer.value_number) for t, (low, high) in SCALES.items()),
        else_=Answer.value_number,
    )
    oriented = sa.case((Question.higher_is_better, Answer.value_number), else_=turned)
    metric_answer = sa.or_(Question.type != QuestionType.RATING.value, Question.loyalty)
    for dimension, key in answer_keys.items():
        if not narrowed.wants(dimension):
            continue
        if dimension == "item":
            chosen = Answer.question_type == QuestionType.RATING.value
        else:
            chosen = sa.and_(Answer.question_type.in_([t.value for t in SCALE_TYPES]), metric_answer)
        query = (
            sa.select(Response.touchpoint_id, response_day, key, Answer.question_type, oriented, sa.func.count())
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .join(Question, sa.and_(Question.version_id == Response.version_id, Question.key == Answer.question_key))
            .where(*in_period, chosen, Answer.value_number.is_not(None))
            .group_by(Response.touchpoint_id, response_day, key, Answer.question_type, oriented)
        )
        if dimension == "device":
            query = query.outerjoin(Scan, Scan.id == Response.scan_id)
        if dimension == "nps_group":
            query = query.join(groups, groups.c.response_id == Answer.response_id)
        for tp, day, k, question_type, value, n in connection.execute(query):
            rows.append(Count(tp, _as_date(day), dimension, str(k or ""), question_type, int(value), n))
    return rows


@dataclass(frozen=True)
class Narrowed:
    """What a live count may leave out: other touchpoints, other dimensions, and the rows outside a segment."""

    touchpoint_ids: frozenset[int] | None = None
    dimensions: frozenset[str] | None = None
    segment: Segment | None = None
    #: False: count no scans (the segment cannot narrow some of them).
    scans: bool = True

    def wants(self, dimension: str) -> bool:
        """Whether the counts of a dimension are needed."""
        return self.dimensions is None or dimension in self.dimensions

    def tp_where(self, column: sa.ColumnElement[int] | None = None) -> list[sa.ColumnElement[bool]]:
        """The touchpoint condition on a column (the retained counts' by default)."""
        if self.touchpoint_ids is None:
            return []
        return [(RetainedCount.touchpoint_id if column is None else column).in_(sorted(self.touchpoint_ids))]

    def scan_where(self) -> list[sa.ColumnElement[bool]] | None:
        """Conditions on scans; None when no scan counts (the segment asks about an answer)."""
        found = self.tp_where(Scan.touchpoint_id)
        if not self.scans:
            return None
        if self.segment is None:
            return found
        narrowing = self.segment.scan_conditions()
        return None if narrowing is None else found + narrowing

    def response_where(self) -> list[sa.ColumnElement[bool]]:
        """Conditions on responses (and so on their answers)."""
        found = self.tp_where(Response.touchpoint_id)
        return found + (self.segment.response_conditions() if self.segment is not None else [])


def count_live(
    connection: sa.Connection,
    workspace_id: int,
    first: date,
    last: date,
    zone: ZoneInfo,
    scans_only: bool = False,
    narrowed: Narrowed | None = None,
) -> list[Count]:
    """The counts of the local days [first, last] from the rows as they are now (see `_count_segment`)."""
    rows: list[Count] = []
    for seg_first, seg_last, offset in _segments(first, last, zone):
        rows += _count_segment(connection, workspace_id, seg_first, seg_last, offset, zone, scans_only, narrowed)
    return rows


def _roll_up(workspace_id: int, first: date, last: date, timezone: str) -> None:
    """Store the counts of the local days [first, last] that are not rolled up yet (own short transaction)."""
    zone = ZoneInfo(timezone)
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        try:
            with connection.begin():
                done = set(
                    connection.scalars(
                        sa.select(RolledUpDay.day).where(
                            RolledUpDay.workspace_id == workspace_id,
                            RolledUpDay.day.between(first, last),
                            RolledUpDay.timezone == timezone,
                        )
                    )
                )
                missing = [d for d in _days(first, last) if d not in done]
                if not missing:
                    return
                connection.execute(
                    sa.delete(RolledUpDay).where(RolledUpDay.workspace_id == workspace_id, RolledUpDay.day.in_(missing))
                )
                connection.execute(
                    sa.delete(DailyCount).where(DailyCount.workspace_id == workspace_id, DailyCount.day.in_(missing))
                )
                for run_first, run_last in _runs(missing):
                    counts = count_live(connection, workspace_id, run_first, run_last, zone)
                    insert_counts(connection, workspace_id, counts)
                connection.execute(
                    sa.insert(RolledUpDay),
                    [{"workspace_id": workspace_id, "day": d, "timezone": timezone} for d in missing],
                )
        except IntegrityError:
            return  # another request rolled the same days up at the same moment


def insert_counts(
    connection: sa.Connection,
    workspace_id: int,
    counts: list[Count],
    table: type[DailyCount] | type[RetainedCount] = DailyCount,
) -> None:
    """Store count rows (daily roll-ups, or the retention job's counts) in batches."""
    batch = [
        {
            "workspace_id": workspace_id,
            "touchpoint_id": c.touchpoint_id,
            "day": c.day,
            "dimension": c.dimension,
            "key": c.key,
            "measure": c.measure,
            "value": c.value,
            "n": c.n,
        }
        for c in counts
    ]
    for start in range(0, len(batch), 5000):
        connection.execute(sa.insert(table), batch[start : start + 5000])


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive runs of sorted days."""
    start = previous = days[0]
    for day in days[1:]:
        if day != previous + timedelta(days=1):
            yield start, previous
            start = day
        previous = day
    yield start, previous


def _data_days(connection: sa.Connection, workspace_id: int, zone: ZoneInfo) -> tuple[date, date] | None:
    """The workspace's first and last local day with a scan, a response or retained counts (indexed min/max
    lookups)."""
    found = []
    for column in (Scan.scanned_at, Response.started_at):
        for edge in (sa.func.min, sa.func.max):  # one aggregate per query: SQLite then reads one index entry
            value = connection.scalar(sa.select(edge(column)).where(column.class_.workspace_id == workspace_id))
            if value is not None:
                found.append(value if value.tzinfo else value.replace(tzinfo=UTC))
    days = [value.astimezone(zone).date() for value in found]
    for edge in (sa.func.min, sa.func.max):  # days whose raw scans the retention job deleted
        value = connection.scalar(sa.select(edge(RetainedCount.day)).where(RetainedCount.workspace_id == workspace_id))
        if value is not None:
            days.append(_as_date(value))
    if not days:
        return None
    return min(days), max(days)


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _whole_months(first: date, last: date) -> list[date]:
    """First days of the months that lie entirely within [first, last]."""
    month = first if first.day == 1 else _month_end(first) + timedelta(days=1)
    months = []
    while _month_end(month) <= last:
        months.append(month)
        month = _month_end(month) + timedelta(days=1)
    return months


def _roll_up_months(workspace_id: int, months: list[date], timezone: str) -> None:
    """Sum the (already rolled-up) days of whole months into `monthly_count` (own short transaction)."""
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        try:
            with connection.begin():
                done = set(
                    connection.scalars(
                        sa.select(RolledUpMonth.month).where(
                            RolledUpMonth.workspace_id == workspace_id,
                            RolledUpMonth.month.in_(months),
                            RolledUpMonth.timezone == timezone,
                        )
                    )
                )
                missing = [m for m in months if m not in done]
                if not missing:
                    return
                connection.execute(
                    sa.delete(RolledUpMonth).where(
                        RolledUpMonth.workspace_id == workspace_id, RolledUpMonth.month.in_(missing)
                    )
                )
                connection.execute(
                    sa.delete(MonthlyCount).where(
                        MonthlyCount.workspace_id == workspace_id, MonthlyCount.day.in_(missing)
                    )
                )
                columns = ("touchpoint_id", "dimension", "key", "measure", "value")
                for month in missing:
                    summed = sa.select(
                        DailyCount.workspace_id,
                        sa.literal(month, sa.Date),
                        *(getattr(DailyCount, c) for c in columns),
                        sa.func.sum(DailyCount.n),
                    ).where(DailyCount.workspace_id == workspace_id, DailyCount.day.between(month, _month_end(month)))
                    summed = summed.group_by(DailyCount.workspace_id, *(getattr(DailyCount, c) for c in columns))
                    connection.execute(
                        sa.insert(MonthlyCount).from_select(["workspace_id", "day", *columns, "n"], summed)
                    )
                connection.execute(
                    sa.insert(RolledUpMonth),
                    [{"workspace_id": workspace_id, "month": m, "timezone": timezone} for m in missing],
                )
        except IntegrityError:
            return


def _read(
    connection: sa.Connection,
    table: type[DailyCount] | type[MonthlyCount],
    workspace_id: int,
    wanted: set[int],
    dimension: str,
    days: sa.ColumnElement[bool],
    held: tuple[str, str] | None = None,
) -> Iterator[Count]:
    """Summed roll-up rows of one dimension; with `held` (a device class or language segment), the rows of that
    dimension and key, per touchpoint, as the touchpoint dimension's."""
    by_day = dimension in BY_DAY
    # Per touchpoint only where the caller needs it; other dimensions sum over the touchpoints asked for.
    touchpoint = table.touchpoint_id if dimension in ("touchpoint", "item", "touchpoint_day") else sa.literal(0)
    key = sa.literal("") if held else table.key
    group = [touchpoint, key, table.measure, table.value, *([table.day] if by_day else [])]
    stored = held[0] if held else ("touchpoint" if by_day else dimension)
    query = (
        sa.select(*group, sa.func.sum(table.n))
        .where(
            table.workspace_id == workspace_id,
            table.dimension == stored,
            table.key == held[1] if held else sa.true(),
            days,
            table.touchpoint_id.in_(wanted),
            # the trend shows scans, responses and NPS per day: leave the other answers unread
            table.measure.in_(TREND_MEASURES) if by_day else sa.true(),
        )
        .group_by(*group)
    )
    for row in connection.execute(query):
        tp, found_key, measure, value = row[:4]
        day = _as_date(row[4]) if by_day else date.min
        yield Count(tp, day, dimension, found_key, measure, value, int(row[-1]))


def daily_counts(
    workspace_id: int,
    touchpoint_ids: Iterable[int],
    timezone: str,
    first: date | None,
    last: date | None,
    dimension: str,
    today: date | None = None,
    segment: Segment | None = None,
) -> list[Count]:
    """Counts of one dimension for the local days [first, last] (open ends: all data, up to today).

    Closed days come from the roll-ups (whole months from `monthly_count`, other days from `daily_count`), the
    days still open are counted live; the "day" and "touchpoint_day" dimensions keep one row per day. A segment of
    one device class, language or NPS group is read from the roll-ups of that dimension (touchpoint dimension only);
    any other active segment is counted live from the raw rows, with the same queries narrowed by it.
    """
    zone = ZoneInfo(timezone)
    today = today or datetime.now(zone).date()
    wanted = set(touchpoint_ids)
    reader = read_engine()  # the replica inside replica.reads(), else the primary
    with reader.connect() as connection:
        data = _data_days(connection, workspace_id, zone)
    if data is None or not wanted:
        return []
    first = max(first or data[0], data[0])
    last = min(last or today, today, data[1])
    if first > last:
        return []
    held = None
    if segment is not None and segment.active:
        # the roll-ups hold a segment of one device class or one language, per touchpoint, for whole periods
        held = _held_by_summaries(segment) if dimension == "touchpoint" else None
        if held is None:
            return _count_narrowed(workspace_id, wanted, zone, first, last, dimension, segment)
    closed_until = today - timedelta(days=OPEN_DAYS)
    rows: list[Count] = []
    pending = _pending.get()
    if first <= closed_until and pending is not None:
        rolled_last = min(last, closed_until)
        rows += _read_ready(reader, workspace_id, wanted, dimension, first, rolled_last, timezone, held, pending)
        first = rolled_last + timedelta(days=1)
    elif first <= closed_until:
        rolled_last = min(last, closed_until)
        _roll_up(workspace_id, first, rolled_last, timezone)
        months = [] if dimension in BY_DAY else _whole_months(first, rolled_last)
        if months:
            _roll_up_months(workspace_id, months, timezone)
        if reader is not db.engine and not _rolled_up_on(reader, workspace_id, first, rolled_last, months, timezone):
            reader = db.engine  # the replica has not replayed these roll-ups yet
        with reader.connect() as connection:
            rows += _read_rolled_up(connection, workspace_id, wanted, dimension, first, rolled_last, months, held)
        first = rolled_last + timedelta(days=1)
    if first <= last:
        with reader.connect() as connection:
            rows += _live(connection, workspace_id, wanted, dimension, first, last, zone, held)
    return rows


def _read_rolled_up(
    connection: sa.Connection,
    workspace_id: int,
    wanted: set[int],
    dimension: str,
    first: date,
    last: date,
    months: list[date],
    held: tuple[str, str] | None,
    only: list[date] | None = None,
) -> list[Count]:
    """The stored counts of [first, last]: the whole `months` from `monthly_count`, the other days from
    `daily_count` (all of them, or `only` these)."""
    rows: list[Count] = []
    if months:
        in_months = MonthlyCount.day.in_(months)
        rows += _read(connection, MonthlyCount, workspace_id, wanted, dimension, in_months, held)
        outside = sa.and_(*(sa.not_(DailyCount.day.between(m, _month_end(m))) for m in months))
    else:
        outside = sa.true()
    days = sa.and_(DailyCount.day.between(first, last), outside)
    if only is not None:
        runs = list(_runs(only)) if only else []
        days = sa.and_(days, sa.or_(sa.false(), *(DailyCount.day.between(a, b) for a, b in runs)))
    rows += _read(connection, DailyCount, workspace_id, wanted, dimension, days, held)
    return rows


def _live(
    connection: sa.Connection,
    workspace_id: int,
    wanted: set[int],
    dimension: str,
    first: date,
    last: date,
    zone: ZoneInfo,
    held: tuple[str, str] | None,
) -> list[Count]:
    """The counts of [first, last] from the raw rows, shaped as `_read` shapes the stored ones."""
    rows: list[Count] = []
    source = held[0] if held else ("touchpoint" if dimension in BY_DAY else dimension)
    for c in count_live(connection, workspace_id, first, last, zone):
        if c.dimension == source and c.touchpoint_id in wanted and (held is None or c.key == held[1]):
            if dimension not in BY_DAY or c.measure in TREND_MEASURES:
                rows.append(replace(c, dimension=dimension, key="") if held else c)
    return rows


def _read_ready(
    reader: Engine,
    workspace_id: int,
    wanted: set[int],
    dimension: str,
    first: date,
    last: date,
    timezone: str,
    held: tuple[str, str] | None,
    pending: set[date],
) -> list[Count]:
    """The closed days [first, last] without rolling anything up: what is rolled up on `reader`, plus the days not
    rolled up yet counted live when they are at most LIVE_PENDING_DAYS.

    :raises StillCounting: more days are missing (added to `pending`): no figure is given from part of the data.
    """
    zone = ZoneInfo(timezone)
    with reader.connect() as connection, _snapshot(connection):
        done = {
            _as_date(d)
            for d in connection.scalars(
                sa.select(RolledUpDay.day).where(
                    RolledUpDay.workspace_id == workspace_id,
                    RolledUpDay.day.between(first, last),
                    RolledUpDay.timezone == timezone,
                )
            )
        }
        months: list[date] = []
        if dimension not in BY_DAY and (whole := _whole_months(first, last)):
            ready = connection.scalars(
                sa.select(RolledUpMonth.month).where(
                    RolledUpMonth.workspace_id == workspace_id,
                    RolledUpMonth.month.in_(whole),
                    RolledUpMonth.timezone == timezone,
                )
            )
            # a month counts only with every one of its days: none of them is then also counted live
            months = sorted(m for m in map(_as_date, ready) if all(d in done for d in _days(m, _month_end(m))))
        in_months = {d for m in months for d in _days(m, _month_end(m))}
        daily = sorted(done - in_months)
        rows = _read_rolled_up(connection, workspace_id, wanted, dimension, first, last, months, held, daily)
        missing = [d for d in _days(first, last) if d not in done]
        if len(missing) > LIVE_PENDING_DAYS:
            pending.update(missing)
            raise StillCounting(missing)
        for run_first, run_last in _runs(missing) if missing else ():
            rows += _live(connection, workspace_id, wanted, dimension, run_first, run_last, zone, held)
    return rows


@contextmanager
def _snapshot(connection: sa.Connection) -> Iterator[None]:
    """One snapshot for every statement of the block: what is rolled up and what is counted live then agree even
    while a keeper commits days (SQLite's read transaction holds one; PostgreSQL needs REPEATABLE READ, which a hot
    standby allows too)."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
    with connection.begin():
        yield


def _rolled_up_on(
    engine: Engine, workspace_id: int, first: date, last: date, months: list[date], timezone: str
) -> bool:
    """Whether every day (and month) of [first, last] is rolled up on this engine's database (a replica may not
    have replayed what the primary just rolled up)."""
    with engine.connect() as connection:
        days = connection.scalar(
            sa.select(sa.func.count()).where(
                RolledUpDay.workspace_id == workspace_id,
                RolledUpDay.day.between(first, last),
                RolledUpDay.timezone == timezone,
            )
        )
        if days != (last - first).days + 1:
            return False
        if not months:
            return True
        found = connection.scalar(
            sa.select(sa.func.count()).where(
                RolledUpMonth.workspace_id == workspace_id,
                RolledUpMonth.month.in_(months),
                RolledUpMonth.timezone == timezone,
            )
        )
        return found == len(months)


def _count_narrowed(
    workspace_id: int, wanted: set[int], zone: ZoneInfo, first: date, last: date, dimension: str, segment: Segment
) -> list[Count]:
    """The live counts of one dimension of the segment, summed as `_read` sums the roll-ups."""
    source = "touchpoint" if dimension in BY_DAY else dimension
    narrowed = Narrowed(frozenset(wanted), frozenset({source}), segment)
    per_touchpoint = dimension in ("touchpoint", "item", "touchpoint_day")
    by_day = dimension in BY_DAY
    summed: dict[tuple[int, date, str, str, int], int] = defaultdict(int)
    with read_engine().connect() as connection:
        held = _held_by_summaries(segment) if source == "touchpoint" else None
        extra: list[Count] = []
        if segment.splits_scans and _has_retained(connection, workspace_id, first, last):
            if held is None:  # the summaries of the retained scans cannot be narrowed: count no scans at all
                narrowed = replace(narrowed, scans=False)
            else:
                extra = _retained_of(connection, workspace_id, wanted, first, last, held)
        # per local day, as the roll-ups: visitors are counted per day (STATS.md §1)
        counted = count_live(connection, workspace_id, first, last, zone, narrowed=narrowed)
        for c in [*counted, *extra]:
            if by_day and c.measure not in TREND_MEASURES:
                continue
            group = (c.touchpoint_id if per_touchpoint else 0, c.day if by_day else date.min, c.key, c.measure, c.value)
            summed[group] += c.n
    return [Count(tp, day, dimension, key, measure, value, n) for (tp, day, key, measure, value), n in summed.items()]


def _held_by_summaries(segment: Segment) -> tuple[str, str] | None:
    """The stored dimension and key that hold a segment asking about the device class or the language alone (the
    roll-ups and the summaries of retained scans keep those per touchpoint and day); None for any other segment."""
    if segment.device is not None and segment == Segment(device=segment.device):
        return "device", segment.device
    if segment.nps is not None and segment == Segment(nps=segment.nps):
        return "nps_group", segment.nps
    if segment.language is not None and segment == Segment(language=segment.language):
        return "language", segment.language
    return None


def _has_retained(connection: sa.Connection, workspace_id: int, first: date | None, last: date | None) -> bool:
    query = sa.select(RetainedCount.id).where(RetainedCount.workspace_id == workspace_id)
    if first is not None:
        query = query.where(RetainedCount.day >= first)
    if last is not None:
        query = query.where(RetainedCount.day <= last)
    return connection.scalar(query.limit(1)) is not None


def _retained_of(
    connection: sa.Connection, workspace_id: int, wanted: set[int], first: date, last: date, held: tuple[str, str]
) -> list[Count]:
    """The retained scan counts of one device class or language, as counts of the touchpoint dimension."""
    query = (
        sa.select(RetainedCount.touchpoint_id, RetainedCount.day, RetainedCount.measure, sa.func.sum(RetainedCount.n))
        .where(
            RetainedCount.workspace_id == workspace_id,
            RetainedCount.day.between(first, last),
            RetainedCount.dimension == held[0],
            RetainedCount.key == held[1],
            RetainedCount.touchpoint_id.in_(sorted(wanted)),
        )
        .group_by(RetainedCount.touchpoint_id, RetainedCount.day, RetainedCount.measure)
    )
    rows = connection.execute(query)
    return [Count(tp, _as_date(day), "touchpoint", "", measure, 0, int(n)) for tp, day, measure, n in rows]


def scans_counted(
    workspace_id: int, first: date | None, last: date | None, segment: Segment | None, dimension: str = "touchpoint"
) -> bool:
    """Whether a segment's scans are counted (exactly): it asks about no answer, and either no scan of those days
    was summarised by the retention job or the summaries hold it (the device class or language alone, per
    touchpoint)."""
    if segment is None or not segment.active:
        return True
    if not segment.splits_scans:
        return False
    if dimension in ("touchpoint", *BY_DAY) and _held_by_summaries(segment) is not None:
        return True
    with read_engine().connect() as connection:
        return not _has_retained(connection, workspace_id, first, last)


def forget_days(session: Session, workspace_id: int, instants: Iterable[datetime | None]) -> None:
    """Drop the roll-ups of the local days these instants may fall on (any time zone: UTC day ± 1).

    An instant of the last 24 hours falls on today or yesterday in every time zone, and those days are still open
    (never rolled up while fewer than OPEN_DAYS have passed): the answers coming in now cost no DELETE.
    """
    days = set()
    recent = utcnow() - timedelta(days=OPEN_DAYS - 1)
    for instant in instants:
        if not isinstance(instant, datetime):
            continue  # None, or a SQL expression such as now(): today is never rolled up
        if (instant if instant.tzinfo else instant.replace(tzinfo=UTC)) > recent:
            continue
        utc_day = instant.astimezone(UTC).date() if instant.tzinfo else instant.date()
        days |= {utc_day - timedelta(days=1), utc_day, utc_day + timedelta(days=1)}
    if not days:
        return
    session.execute(
        sa.delete(RolledUpDay).where(RolledUpDay.workspace_id == workspace_id, RolledUpDay.day.in_(sorted(days)))
    )
    session.execute(
        sa.delete(DailyCount).where(DailyCount.workspace_id == workspace_id, DailyCount.day.in_(sorted(days)))
    )
    months = sorted({day.replace(day=1) for day in days})
    session.execute(
        sa.delete(RolledUpMonth).where(RolledUpMonth.workspace_id == workspace_id, RolledUpMonth.month.in_(months))
    )
    session.execute(
        sa.delete(MonthlyCount).where(MonthlyCount.workspace_id == workspace_id, MonthlyCount.day.in_(months))
    )


def _touched(session: Session) -> dict[int, set[datetime | None]]:
    """Workspace → instants of rolled-up rows this flush creates, changes or deletes."""
    touched: dict[int, set[datetime | None]] = defaultdict(set)
    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            _note(session, obj, touched)
    return touched


def _note(session: Session, obj: object, touched: dict[int, set[datetime | None]]) -> None:
    """Add the instants that decide the local day of one changed object."""
    if isinstance(obj, Scan):
        touched[obj.workspace_id].add(obj.scanned_at)
    elif isinstance(obj, Response):
        touched[obj.workspace_id].add(obj.started_at)
        touched[obj.workspace_id].update(sa.inspect(obj).attrs.started_at.history.deleted or ())
    elif isinstance(obj, Answer):
        started = obj.response.started_at if obj.response is not None else None
        if started is None and obj.response_id is not None:
            started = session.scalar(sa.select(Response.started_at).where(Response.id == obj.response_id))
        touched[obj.workspace_id].update({started, obj.answered_at})


def init_app() -> None:
    """Keep roll-ups exact: every ORM write to scans, responses or answers forgets the days it touches."""
    if event.contains(Session, "before_flush", _before_flush):
        return
    event.listen(Session, "before_flush", _before_flush)


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    for workspace_id, instants in _touched(session).items():
        if workspace_id is not None:
            forget_days(session, workspace_id, instants)


def begin_at_once() -> tuple[set[date], Token[set[date] | None]]:
    """From now on reads roll up nothing themselves (`_read_ready`): the set collects the closed days they left out,
    still to be rolled up; `end_at_once(token)` ends it."""
    left_out: set[date] = set()
    return left_out, _pending.set(left_out)


def end_at_once(token: Token[set[date] | None]) -> None:
    _pending.reset(token)


@contextmanager
def answering_at_once() -> Iterator[set[date]]:
    """`begin_at_once` … `end_at_once` around a block."""
    left_out, token = begin_at_once()
    try:
        yield left_out
    finally:
        end_at_once(token)


def pending_days(workspace_id: int, timezone: str, today: date | None = None) -> list[date]:
    """The workspace's closed days with data (or inside its data's span) that are not rolled up yet."""
    zone = ZoneInfo(timezone)
    today = today or datetime.now(zone).date()
    with db.engine.connect() as connection:
        data = _data_days(connection, workspace_id, zone)
        if data is None:
            return []
        last = min(data[1], today - timedelta(days=OPEN_DAYS))
        if data[0] > last:
            return []
        done = set(
            connection.scalars(
                sa.select(RolledUpDay.day).where(
                    RolledUpDay.workspace_id == workspace_id,
                    RolledUpDay.day.between(data[0], last),
                    RolledUpDay.timezone == timezone,
                )
            )
        )
    return [d for d in _days(data[0], last) if d not in done]


def build(
    workspace_id: int, timezone: str, today: date | None = None, should_stop: Callable[[], bool] | None = None
) -> int:
    """Roll up every closed day (and whole month) of a workspace now, one day per short transaction (so scans wait
    for at most one day's counting); `should_stop` is asked before each day (a busy worker leaves the rest for
    later). How many days are rolled up."""
    for day in pending_days(workspace_id, timezone, today):
        if should_stop is not None and should_stop():
            break
        _roll_up(workspace_id, day, day, timezone)
    with db.engine.connect() as connection:
        query = sa.select(RolledUpDay.day).where(
            RolledUpDay.workspace_id == workspace_id, RolledUpDay.timezone == timezone
        )
        done = {_as_date(d) for d in connection.scalars(query)}
    if done and (should_stop is None or not should_stop()):
        months = [m for m in _whole_months(min(done), max(done)) if all(d in done for d in _days(m, _month_end(m)))]
        if months:
            _roll_up_months(workspace_id, months, timezone)
    return len(done)
