"""Aggregates the database counts: GROUP BY a dimension (touchpoint, code, device, language, day) × answer value.

Nothing here loads individual responses: every function returns a few rows per group. Bots' scans and flagged
responses are excluded everywhere; every query is limited to one workspace and the given touchpoints.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from feedback.analysis.segments import Segment
from feedback.extensions import db
from feedback.qr.models import LandingAction, Scan
from feedback.surveys.models import Answer, Response
from feedback.surveys.questions import QuestionType

Key = int | str | date | None


class Dimension(enum.StrEnum):
    """What a roll-up groups by."""

    TOUCHPOINT = "touchpoint"
    CODE = "code"
    DEVICE = "device"
    LANGUAGE = "language"
    DAY = "day"
    #: "<code id>:<arrival>", scans only
    ARRIVAL = "arrival"


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; either end open."""

    start: datetime | None = None
    end: datetime | None = None

    def where(self, column: sa.ColumnElement[datetime]) -> list[sa.ColumnElement[bool]]:
        """Conditions limiting a time column to the period."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return conditions


@dataclass(frozen=True)
class Scope:
    """Which rows an aggregate may see: one workspace, some touchpoints, a period (UTC instants and the
    workspace-local days it was made of)."""

    workspace_id: int
    touchpoint_ids: tuple[int, ...]
    period: Period = Period()
    timezone: str = "UTC"
    first: date | None = None
    last: date | None = None
    #: Who is looked at (None or an inactive segment: everyone).
    segment: Segment | None = None

    @property
    def segmented(self) -> bool:
        """Whether a segment narrows the rows."""
        return self.segment is not None and self.segment.active

    def response_conditions(self) -> list[sa.ColumnElement[bool]]:
        """The segment's conditions on Response (none without a segment)."""
        return self.segment.response_conditions() if self.segmented else []  # type: ignore[union-attr]

    def scan_conditions(self) -> list[sa.ColumnElement[bool]] | None:
        """The segment's conditions on Scan; None when it cannot narrow scans (an answer condition)."""
        return self.segment.scan_conditions() if self.segmented else []  # type: ignore[union-attr]


@dataclass(frozen=True)
class ScanCounts:
    """Scans that reached the landing page (no bots) and distinct visitor keys among them."""

    scans: int = 0
    visitors: int = 0


@dataclass(frozen=True)
class ResponseCounts:
    """Survey starts (responses with at least one saved answer) and completions, flagged ones excluded."""

    starts: int = 0
    completions: int = 0


def _day(column: sa.ColumnElement[datetime]) -> sa.ColumnElement[date]:
    # func.date works on both databases; SQLite answers with text, normalised in _key.
    return sa.func.date(column)


def _key(value: Key) -> Key:
    return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 and value[4] == "-" else value


def _scan_key(dimension: Dimension) -> sa.ColumnElement[Key]:
    return {
        Dimension.TOUCHPOINT: Scan.touchpoint_id,
        Dimension.CODE: Scan.code_id,
        Dimension.DEVICE: Scan.device_class,
        Dimension.LANGUAGE: Scan.language,
        Dimension.DAY: _day(Scan.scanned_at),
    }[dimension]


def _response_key(dimension: Dimension) -> sa.ColumnElement[Key]:
    return {
        Dimension.TOUCHPOINT: Response.touchpoint_id,
        Dimension.CODE: Response.code_id,
        Dimension.DEVICE: Scan.device_class,
        Dimension.LANGUAGE: Response.language,
        Dimension.DAY: _day(Response.started_at),
    }[dimension]


def counted(query: sa.Select, scope: Scope) -> sa.Select:
    """`query` (joined to Response) limited to the responses every number counts: the scope's workspace, touchpoints
    and period (on the start), flagged ones excluded."""
    return _responses(query, scope, Dimension.TOUCHPOINT)


def nps_of_responses(workspace_id: int) -> sa.Subquery:
    """A subquery (response_id, nps): each response's NPS answer, for joining to its other answers."""
    return (
        sa.select(Answer.response_id, sa.func.max(Answer.value_number).label("nps"))
        .where(Answer.workspace_id == workspace_id, Answer.question_type == QuestionType.NPS.value)
        .group_by(Answer.response_id)
        .subquery()
    )


def _responses(query: sa.Select, scope: Scope, dimension: Dimension) -> sa.Select:
    query = query.where(
        Response.workspace_id == scope.workspace_id,
        Response.touchpoint_id.in_(scope.touchpoint_ids),
        Response.flagged.is_(False),
        *scope.period.where(Response.started_at),
        *scope.response_conditions(),
    )
    if dimension is Dimension.DEVICE:
        query = query.outerjoin(Scan, Scan.id == Response.scan_id)
    return query


#: {group: {question type: {value: count}}}
AnswerCounts = dict[Key, dict[QuestionType, dict[int, int]]]

SCALE_TYPES = (QuestionType.NPS, QuestionType.CSAT, QuestionType.CES, QuestionType.RATING)


CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE)


@dataclass(frozen=True)
class ChoiceCounts:
    """Choice answers per (touchpoint, question key): respondents per option, and respondents who answered."""

    chosen: dict[tuple[int, str], dict[str, int]]
    respondents: dict[tuple[int, str], int]


def choice_counts(scope: Scope) -> ChoiceCounts:
    """Counted by the database (GROUP BY touchpoint, question, option); flagged responses excluded, partial ones
    counted, the period on the responses' start as for every other answer."""
    answered = (Answer.question_type.in_([t.value for t in CHOICE_TYPES]), Answer.value_text.is_not(None))
    respondents = sa.func.count(sa.distinct(Answer.response_id))
    chosen: dict[tuple[int, str], dict[str, int]] = {}
    query = _responses(
        sa.select(Answer.touchpoint_id, Answer.question_key, Answer.value_text, respondents)
        .join(Response, Response.id == Answer.response_id)
        .where(*answered)
        .group_by(Answer.touchpoint_id, Answer.question_key, Answer.value_text),
        scope,
        Dimension.TOUCHPOINT,
    )
    for touchpoint_id, key, value, n in db.session.execute(query):
        chosen.setdefault((touchpoint_id, key), {})[value] = n
    totals = _responses(
        sa.select(Answer.touchpoint_id, Answer.question_key, respondents)
        .join(Response, Response.id == Answer.response_id)
        .where(*answered)
        .group_by(Answer.touchpoint_id, Answer.question_key),
        scope,
        Dimension.TOUCHPOINT,
    )
    return ChoiceCounts(chosen, {(tp, key): n for tp, key, n in db.session.execute(totals)})


@dataclass(frozen=True)
class TextAnswer:
    """One free-text answer with the NPS answer of the same response (for filtering by score group)."""

    response_id: int
    question_key: str
    text: str
    answered_at: datetime
    language: str
    nps: int | None


def text_answers(
    scope: Scope, nps_range: tuple[int, int] | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[TextAnswer], int]:
    """Free-text answers, newest first, optionally only of respondents whose NPS answer lies in a range."""
    nps_answer = nps_of_responses(scope.workspace_id)
    query = (
        sa.select(
            Answer.response_id,
            Answer.question_key,
            Answer.value_text,
            Answer.answered_at,
            Response.language,
            nps_answer.c.nps,
        )
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(nps_answer, nps_answer.c.response_id == Answer.response_id)
        .where(
            Answer.workspace_id == scope.workspace_id,
            Answer.question_type == QuestionType.TEXT.value,
            Answer.value_text.is_not(None),
            Answer.value_text != "",
        )
    )
    query = counted(query, scope)
    if nps_range is not None:
        query = query.where(nps_answer.c.nps.between(*nps_range))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(Answer.answered_at.desc(), Answer.id.desc()).limit(limit).offset(offset))
    return [TextAnswer(*row) for row in rows], total


@dataclass(frozen=True)
class KeptApart:
    """Completed responses of the period that no number counts, by why, and the coupons withheld by the cap."""

    repeats: int = 0
    own_invites: int = 0
    team: int = 0
    likely_bots: int = 0
    coupons_withheld: int = 0


def kept_apart(scope: Scope) -> KeptApart:
    """What the repeat rules, team devices and the bot checks kept out of the numbers, and the coupons the cap
    withheld (counted by the database)."""
    reason = sa.func.coalesce(Response.flag_reason, "")
    first = sa.case(
        (reason.like("repeat%"), "repeat"),
        (reason.like("own_invite%"), "own_invite"),
        (reason.like("team%"), "team"),
        else_="bot",
    )
    query = (
        sa.select(first, sa.func.count())
        .where(
            Response.workspace_id == scope.workspace_id,
            Response.touchpoint_id.in_(scope.touchpoint_ids),
            Response.flagged.is_(True),
            Response.completed_at.is_not(None),
            *scope.period.where(Response.started_at),
            *scope.response_conditions(),
        )
        .group_by(first)
    )
    found = {kind: n for kind, n in db.session.execute(query)}
    withheld = db.session.scalar(
        sa.select(sa.func.count()).where(
            Response.workspace_id == scope.workspace_id,
            Response.touchpoint_id.in_(scope.touchpoint_ids),
            Response.coupon_withheld.is_(True),
            *scope.period.where(Response.started_at),
            *scope.response_conditions(),
        )
    )
    return KeptApart(
        found.get("repeat", 0), found.get("own_invite", 0), found.get("team", 0), found.get("bot", 0), withheld or 0
    )


def returning_visitors(scope: Scope) -> dict[date, tuple[int, int]]:
    """Cookie visitors by the day of their first scan: {day: (visitors, of whom came back on a later day)}.

    Only scans with a first-party cookie key count: the daily hash of other visitors changes every day. A segment
    that cannot narrow scans (an answer condition) gives none.
    """
    narrowing = scope.scan_conditions()
    if narrowing is None or (scope.segment is not None and scope.segment.visitor is not None):
        return {}  # a segment of new or returning visitors would cut off the very scans that show a return
    per_visitor = (
        sa.select(
            _day(sa.func.min(Scan.scanned_at)).label("first_day"),
            sa.func.count(sa.distinct(_day(Scan.scanned_at))).label("days"),
        )
        .where(
            Scan.workspace_id == scope.workspace_id,
            Scan.touchpoint_id.in_(scope.touchpoint_ids),
            Scan.visitor_from_cookie == sa.true(),  # "= 1", as the partial index ix_scan_cookie_visitor says
            Scan.is_bot.is_(False),
            *scope.period.where(Scan.scanned_at),
            *narrowing,
        )
        .group_by(Scan.visitor_key)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            per_visitor.c.first_day,
            sa.func.count(),
            sa.func.sum(sa.case((per_visitor.c.days > 1, 1), else_=0)),
        ).group_by(per_visitor.c.first_day)
    )
    return {_key(day): (visitors, int(returned or 0)) for day, visitors, returned in rows}


def kiosk_completions(scope: Scope) -> dict[int, int]:
    """Completions answered on a kiosk's shared screen per touchpoint (flagged ones excluded, like every count):
    started in the period, as the funnel's completions are."""
    query = (
        sa.select(Response.touchpoint_id, sa.func.count())
        .where(
            Response.workspace_id == scope.workspace_id,
            Response.touchpoint_id.in_(scope.touchpoint_ids),
            Response.flagged.is_(False),
            Response.kiosk.is_(True),
            Response.completed_at.is_not(None),
            *scope.period.where(Response.started_at),
            *scope.response_conditions(),
        )
        .group_by(Response.touchpoint_id)
    )
    return {touchpoint_id: n for touchpoint_id, n in db.session.execute(query)}


def landing_action_counts(scope: Scope) -> dict[int, dict[str, int]]:
    """Counted clicks on the landing pages' actions per touchpoint and action ({touchpoint: {"call": n, …}}): bots'
    and team devices' clicks are recorded but not counted. A click records only the device class of the visit, so
    a segment narrows them when it asks about the device alone and gives none otherwise."""
    device_only = scope.segmented and scope.segment == Segment(device=scope.segment.device)  # type: ignore[union-attr]
    if scope.segmented and not device_only:
        return {}
    query = (
        sa.select(LandingAction.touchpoint_id, LandingAction.action, sa.func.count())
        .where(
            LandingAction.workspace_id == scope.workspace_id,
            LandingAction.touchpoint_id.in_(scope.touchpoint_ids),
            LandingAction.is_bot.is_(False),
            LandingAction.team.is_(False),
            *scope.period.where(LandingAction.clicked_at),
            *([LandingAction.device_class == scope.segment.device] if device_only else []),  # type: ignore[union-attr]
        )
        .group_by(LandingAction.touchpoint_id, LandingAction.action)
    )
    found: dict[int, dict[str, int]] = {}
    for touchpoint_id, action, n in db.session.execute(query):
        found.setdefault(touchpoint_id, {})[action] = n
    return found
