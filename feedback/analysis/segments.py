"""Segments: which respondents and visitors an analysis looks at (an answer, the NPS group, language, device class,
new or returning visitor, referred or not, how they arrived, kiosk or own phone; all combined with "and").

A segment is read from the query string (`read_segment`, the same parameters on every page, download and API read)
or saved under a name per workspace (`SavedSegment`, its conditions stored as `Segment.document()`). It turns into
SQL conditions twice: on responses (`response_conditions`, every answer and completion count) and on scans
(`scan_conditions`, the scans and visitors); an answer cannot split scans, so a segment with an answer condition
has no scan conditions and its pages say that scans are not counted for it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from feedback.extensions import db
from feedback.qr.models import ARRIVAL_VALUES, Arrival, Scan
from feedback.surveys.models import Answer, Response
from feedback.surveys.questions import CHOICE_TYPES, NPS_GROUPS, SCALES, QuestionSpec, QuestionType
from feedback.texts import LANGUAGES

#: The query parameters of a segment (the same on every page, download and API read).
SEGMENT_KEYS = ("segment", "answer", "nps", "language", "device", "visitor", "referred", "arrival", "kiosk")
#: Device classes a segment can choose (bots are never counted).
SEGMENT_DEVICES = ("mobile", "tablet", "desktop", "other")
#: A visitor is returning when the same first-party cookie scanned a code of the workspace longer ago than this (a
#: new visit, as web analytics counts one); without that cookie nobody can be recognised, so they count as new.
VISIT_GAP = timedelta(minutes=30)
MAX_ANSWER_CONDITIONS = 5
MAX_NAME = 80
_RANGE = re.compile(r"^(\d{1,2})(?:-(\d{1,2}))?$")


class Visitor(enum.StrEnum):
    """New or returning visitor."""

    NEW = "new"
    RETURNING = "returning"


@dataclass(frozen=True)
class AnswerIs:
    """An answer to one question: one of the chosen options, or a scale value in [low, high]."""

    key: str
    values: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None

    @property
    def token(self) -> str:
        """The condition as a query value: `key:option|option` or `key:low-high`."""
        if self.values:
            return f"{self.key}:{'|'.join(self.values)}"
        return f"{self.key}:{self.low}" if self.low == self.high else f"{self.key}:{self.low}-{self.high}"


@dataclass(frozen=True)
class Segment:
    """The chosen conditions; None or empty = not narrowed by it."""

    answers: tuple[AnswerIs, ...] = ()
    nps: str | None = None
    language: str | None = None
    device: str | None = None
    visitor: str | None = None
    referred: bool | None = None
    arrival: str | None = None
    kiosk: bool | None = None
    #: The saved segment these conditions came from (its id and name), if any.
    saved_id: int | None = field(default=None, compare=False)
    name: str = field(default="", compare=False)

    @property
    def active(self) -> bool:
        """Whether anything narrows the analysis."""
        return bool(self.answers) or any(
            value is not None
            for value in (self.nps, self.language, self.device, self.visitor, self.referred, self.arrival, self.kiosk)
        )

    @property
    def splits_scans(self) -> bool:
        """Whether scans (and visitors) can be narrowed too: not by an answer, which only a response has."""
        return not self.answers and self.nps is None

    def query(self) -> dict[str, str | list[str]]:
        """The segment as query parameters (a saved one by its id), for links and forms that keep it."""
        if self.saved_id is not None:
            return {"segment": str(self.saved_id)}
        values: dict[str, str | list[str]] = {
            "answer": [a.token for a in self.answers],
            "nps": self.nps or "",
            "language": self.language or "",
            "device": self.device or "",
            "visitor": self.visitor or "",
            "referred": _yes_no(self.referred),
            "arrival": self.arrival or "",
            "kiosk": _yes_no(self.kiosk),
        }
        return {key: value for key, value in values.items() if value}

    def conditions_query(self) -> dict[str, str | list[str]]:
        """The conditions as query parameters even for a saved segment (what its form shows)."""
        return replace(self, saved_id=None).query()

    def document(self) -> dict[str, Any]:
        """The conditions as stored with a saved segment."""
        return {key: value for key, value in self.conditions_query().items()}

    def response_conditions(self) -> list[sa.ColumnElement[bool]]:
        """The segment as conditions on `Response` (and its answers and scan, through EXISTS)."""
        found: list[sa.ColumnElement[bool]] = []
        for condition in self.answers:
            answer = aliased(Answer)
            if condition.values:
                value = answer.value_text.in_(condition.values)
            else:
                value = answer.value_number.between(condition.low, condition.high)
            found.append(
                sa.exists().where(answer.response_id == Response.id, answer.question_key == condition.key, value)
            )
        if self.nps is not None:
            answer = aliased(Answer)
            found.append(
                sa.exists().where(
                    answer.response_id == Response.id,
                    answer.question_type == QuestionType.NPS.value,
                    answer.value_number.between(*NPS_GROUPS[self.nps]),
                )
            )
        if self.language is not None:
            found.append(Response.language == self.language)
        if self.referred is not None:
            found.append(Response.invite_id.is_not(None) if self.referred else Response.invite_id.is_(None))
        if self.kiosk is not None:
            found.append(Response.kiosk.is_(self.kiosk))
        by_scan = replace(self, answers=(), nps=None, language=None, referred=None, kiosk=None)
        if by_scan.active:
            scan = aliased(Scan)
            found.append(sa.exists().where(scan.id == Response.scan_id, *by_scan._on_scan(scan)))
        return found

    def scan_conditions(self) -> list[sa.ColumnElement[bool]] | None:
        """The segment as conditions on `Scan`; None when it cannot narrow scans (it asks about an answer)."""
        if not self.splits_scans:
            return None
        found = self._on_scan(Scan)
        if self.language is not None:
            found.append(Scan.language == self.language)
        if self.referred is not None:  # as for responses: through an invite that still counts
            found.append(Scan.invite_id.is_not(None) if self.referred else Scan.invite_id.is_(None))
        if self.kiosk is not None:
            at_kiosk = sa.func.coalesce(Scan.arrival, "") == Arrival.KIOSK.value
            found.append(at_kiosk if self.kiosk else sa.not_(at_kiosk))
        return found

    def _on_scan(self, scan: Any) -> list[sa.ColumnElement[bool]]:  # noqa: ANN401 - Scan or an alias of it
        """Device, arrival and new or returning visitor, on a scan (or an alias of it)."""
        found: list[sa.ColumnElement[bool]] = []
        if self.device is not None:
            found.append(scan.device_class == self.device)
        if self.arrival is not None:
            found.append(scan.arrival == self.arrival)
        if self.visitor is not None:
            earlier = aliased(Scan)
            returning = sa.and_(
                scan.visitor_from_cookie == sa.true(),
                sa.exists().where(
                    earlier.workspace_id == scan.workspace_id,
                    earlier.visitor_from_cookie == sa.true(),
                    earlier.visitor_key == scan.visitor_key,
                    earlier.scanned_at < _minus_gap(scan.scanned_at),
                ),
            )
            found.append(returning if self.visitor == Visitor.RETURNING else sa.not_(returning))
        return found


def _minus_gap(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    if db.engine.dialect.name == "postgresql":
        return column - sa.literal(VISIT_GAP)
    # SQLite keeps naive UTC as text; datetime() answers in the same sortable form
    return sa.func.datetime(column, f"-{int(VISIT_GAP.total_seconds() // 60)} minutes")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


class QueryArgs(Protocol):
    """A query string (werkzeug's MultiDict)."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


class SavedSegments(Protocol):
    """Finds a workspace's saved segment by id (None for an unknown or foreign one)."""

    def __call__(self, segment_id: int) -> Segment | None: ...


def read_segment(
    args: QueryArgs | Mapping[str, Any], questions: Iterable[QuestionSpec], saved: SavedSegments | None = None
) -> tuple[Segment, list[str]]:
    """The segment of a query string, and a sentence for each value that was ignored (an unknown question, option,
    language, device class, arrival …). `segment=<id>` names a saved segment; the other parameters then are ignored.
    """
    problems: list[str] = []
    value = _one(args, "segment")
    if value:
        usable = value.isascii() and value.isdigit() and len(value) < 10
        found = saved(int(value)) if saved is not None and usable else None
        if found is None:
            problems.append(str(_l("There is no such saved segment; the segment was ignored.")))
            return Segment(), problems
        return found, problems
    return parse_conditions(args, questions, problems), problems


def parse_conditions(
    args: QueryArgs | Mapping[str, Any], questions: Iterable[QuestionSpec] | None, problems: list[str]
) -> Segment:
    """The conditions of a query string, checked against the questions asked; what cannot be used is reported.
    Without `questions` (a saved segment, kept for every campaign of the workspace) an answer condition is taken as
    written: in a campaign that does not ask that question it matches nobody, it never widens the segment."""
    specs = None if questions is None else {q.key: q for q in questions if q.type in CHOICE_TYPES or q.type in SCALES}
    answers: list[AnswerIs] = []
    for token in _many(args, "answer")[: MAX_ANSWER_CONDITIONS + 1]:
        if len(answers) == MAX_ANSWER_CONDITIONS:
            problems.append(str(_l("A segment takes at most %(n)d answers; the others were ignored.", n=5)))
            break
        condition = _answer(token.strip(), specs, problems) if specs is not None else _as_written(token.strip())
        if condition is not None and condition not in answers:
            answers.append(condition)
    nps = _choice(args, "nps", NPS_GROUPS, _l("There is no such NPS group; that condition was ignored."), problems)
    language = _choice(
        args, "language", LANGUAGES, _l("There is no such language; that condition was ignored."), problems
    )
    device = _choice(
        args, "device", SEGMENT_DEVICES, _l("There is no such device class; that condition was ignored."), problems
    )
    visitor = _choice(
        args, "visitor", set(Visitor), _l("Visitors are new or returning; that condition was ignored."), problems
    )
    arrival = _choice(
        args, "arrival", ARRIVAL_VALUES, _l("There is no such way of arriving; that condition was ignored."), problems
    )
    referred, kiosk = _flag(args, "referred", problems), _flag(args, "kiosk", problems)
    return Segment(tuple(answers), nps, language, device, visitor, referred, arrival, kiosk)


def _as_written(token: str) -> AnswerIs | None:
    """A stored answer condition (`key:low-high` for a scale, `key:option|option` for a choice)."""
    key, _, value = token.partition(":")
    if not key or not value:
        return None
    match = _RANGE.match(value)
    if match:
        return AnswerIs(key[:40], low=int(match.group(1)), high=int(match.group(2) or match.group(1)))
    return AnswerIs(key[:40], values=tuple(dict.fromkeys(v[:200] for v in value.split("|") if v)))


def _answer(token: str, specs: Mapping[str, QuestionSpec], problems: list[str]) -> AnswerIs | None:
    key, _, value = token.partition(":")
    spec = specs.get(key)
    if spec is None:
        problems.append(
            str(_l("There is no choice or scale question “%(key)s”; that condition was ignored.", key=key[:40]))
        )
        return None
    if spec.type in CHOICE_TYPES:
        offered = {option.value for option in spec.options}
        values = tuple(dict.fromkeys(v for v in value.split("|") if v))
        if not values or any(v not in offered for v in values):
            message = _l(
                "“%(value)s” is not an option of “%(key)s”; that condition was ignored.", value=value[:40], key=key
            )
            problems.append(str(message))
            return None
        return AnswerIs(key, values=values)
    low_end, high_end = SCALES[spec.type]
    match = _RANGE.match(value)
    low = int(match.group(1)) if match else None
    high = int(match.group(2) or match.group(1)) if match else None
    if low is None or high is None or not low_end <= low <= high <= high_end:
        problems.append(
            str(
                _l(
                    "“%(value)s” is not a value or range of %(low)d to %(high)d for “%(key)s”; that condition was "
                    "ignored.",
                    value=value[:20],
                    low=low_end,
                    high=high_end,
                    key=key,
                )
            )
        )
        return None
    return AnswerIs(key, low=low, high=high)


def _one(args: QueryArgs | Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()[:200]


def _many(args: QueryArgs | Mapping[str, Any], key: str) -> list[str]:
    if hasattr(args, "getlist"):
        return [v for v in args.getlist(key) if v]  # type: ignore[union-attr]
    value = args.get(key)
    return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])


def _choice(
    args: QueryArgs | Mapping[str, Any], key: str, allowed: Iterable[str], message: object, problems: list[str]
) -> str | None:
    value = _one(args, key)
    if not value:
        return None
    if value not in set(allowed):
        problems.append(str(message))
        return None
    return value


def _flag(args: QueryArgs | Mapping[str, Any], key: str, problems: list[str]) -> bool | None:
    value = _one(args, key)
    if not value:
        return None
    if value not in ("yes", "no"):
        problems.append(str(_l("“%(key)s” is yes or no; that condition was ignored.", key=key)))
        return None
    return value == "yes"
