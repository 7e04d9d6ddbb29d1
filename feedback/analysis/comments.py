"""A campaign's open-text answers: the filters of the comments page and the API (search text, touchpoints, NPS group,
language, period; all combined with "and"), the query that lists them, the highlighting of the search text and the
CSV of the same rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from feedback.analysis import themes
from feedback.analysis.queries import Scope, counted, nps_of_responses
from feedback.analysis.segments import Segment
from feedback.analysis.services import DateRange, InvalidPeriod, parse_range
from feedback.exports import PLAIN, CsvDialect, csv_stream
from feedback.extensions import db
from feedback.surveys.models import Answer, Question, Response
from feedback.surveys.questions import NPS_GROUPS, QuestionType
from feedback.texts import LANGUAGES, Texts, texts
from feedback.touchpoints.models import Campaign, Touchpoint

#: The longest search text; longer ones are cut.
MAX_SEARCH = 100
COMMENTS_PER_PAGE = 50
#: The themes are found in at most this many answers (the newest), so the page stays fast.
MAX_THEME_ANSWERS = 20_000
#: The CSV's columns (stable names: scripts read them).
CSV_COLUMNS = ["answered_at", "touchpoint", "question_key", "question", "answer", "nps", "nps_group", "language"]


class QueryArgs(Protocol):
    """A query string (werkzeug's MultiDict)."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class CommentFilters:
    """The chosen filters; empty = not filtered by it. Each is one more condition of the query (`conditions`)."""

    search: str = ""
    touchpoints: frozenset[int] = frozenset()
    group: str | None = None
    language: str | None = None
    dates: DateRange = DateRange()
    #: The respondents looked at (analysis/segments.py): one more condition, on the responses.
    segment: Segment = field(default_factory=Segment)

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (the period aside)."""
        return bool(self.search or self.touchpoints or self.group or self.language or self.segment.active)

    def conditions(self, nps: sa.ColumnElement[int | None]) -> list[sa.ColumnElement[bool]]:
        """The filters as SQL conditions on Answer and Response (the period is the scope's)."""
        found: list[sa.ColumnElement[bool]] = []
        if self.search:
            found.append(sa.func.lower(Answer.value_text).like(f"%{like_escaped(self.search.lower())}%", escape="\\"))
        if self.touchpoints:
            found.append(Answer.touchpoint_id.in_(sorted(self.touchpoints)))
        if self.group:
            found.append(nps.between(*NPS_GROUPS[self.group]))
        if self.language:
            found.append(Response.language == self.language)
        return found

    def query(self) -> dict[str, str | list[str]]:
        """The filters as query parameters (for links and forms that keep them)."""
        values: dict[str, str | list[str]] = {
            "q": self.search,
            "touchpoint": [str(i) for i in sorted(self.touchpoints)],
            "group": self.group or "",
            "language": self.language or "",
            "from": self.dates.first.isoformat() if self.dates.first else "",
            "to": self.dates.last.isoformat() if self.dates.last else "",
            **self.segment.query(),
        }
        return {key: value for key, value in values.items() if value}


def like_escaped(text: str) -> str:
    """Text for a LIKE pattern with backslash as the escape character: %, _ and \\ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def read_comment_filters(
    args: QueryArgs, touchpoints: Iterable[Touchpoint], segment: Segment | None = None
) -> tuple[CommentFilters, list[str]]:
    """The filters of a query string, and a sentence for each value that was ignored: a touchpoint that is not one
    of the campaign's (another campaign's or workspace's, or not a number), an unknown group or language, an
    unreadable period. The search text loses control characters and is cut to MAX_SEARCH characters."""
    ids = {str(tp.id): tp.id for tp in touchpoints}
    problems: list[str] = []
    search = re.sub(r"[\x00-\x1f\x7f]", " ", args.get("q") or "").strip()[:MAX_SEARCH]
    chosen = {ids.get(value.strip()) for value in args.getlist("touchpoint") if value.strip()}
    if None in chosen:
        problems.append(str(_l("This campaign has no such touchpoint; the touchpoint filter was ignored.")))
    group = (args.get("group") or "").strip() or None
    if group is not None and group not in NPS_GROUPS:
        problems.append(str(_l("There is no such NPS group; the group filter was ignored.")))
        group = None
    language = (args.get("language") or "").strip() or None
    if language is not None and language not in LANGUAGES:
        problems.append(str(_l("There is no such language; the language filter was ignored.")))
        language = None
    try:
        dates = parse_range(args.get("from"), args.get("to"))
    except InvalidPeriod as error:
        problems.append(f"{error.message} {_l('Showing all time instead.')}")
        dates = DateRange()
    touchpoint_ids = frozenset(i for i in chosen if i is not None)
    return CommentFilters(search, touchpoint_ids, group, language, dates, segment or Segment()), problems


def nps_group(nps: int | None) -> str | None:
    """The NPS group (detractors, passives, promoters) of a score, None without one."""
    if nps is None:
        return None
    return next((name for name, (low, high) in NPS_GROUPS.items() if low <= nps <= high), None)


@dataclass(frozen=True)
class Comment:
    """One open-text answer with its question, touchpoint and the NPS answer of the same response."""

    answer_id: int
    text: str
    answered_at: datetime
    question_key: str
    question_texts: Texts
    touchpoint_id: int
    touchpoint: str
    language: str
    nps: int | None

    @property
    def group(self) -> str | None:
        """The NPS group of the response."""
        return nps_group(self.nps)

    def question(self, language: str) -> str:
        """The question's text in `language` (or its fallback), its key when it has none."""
        return self.question_texts.pick(language) or self.question_key


@dataclass(frozen=True)
class CommentPage:
    """One page of the filtered comments, how many match and how many the campaign has in all."""

    comments: list[Comment]
    matching: int
    total: int
    page: int = 1
    per_page: int = COMMENTS_PER_PAGE
    filters: CommentFilters = field(default_factory=CommentFilters)

    @property
    def pages(self) -> int:
        """The number of pages (at least one)."""
        return max(1, -(-self.matching // self.per_page))


def _scope(campaign: Campaign, dates: DateRange, segment: Segment) -> Scope:
    touchpoint_ids = db.session.scalars(
        sa.select(Touchpoint.id).where(
            Touchpoint.workspace_id == campaign.workspace_id, Touchpoint.campaign_id == campaign.id
        )
    )
    timezone = campaign.workspace.timezone
    narrowed = segment if segment.active else None
    return Scope(campaign.workspace_id, tuple(touchpoint_ids), dates.period(timezone), timezone, segment=narrowed)


def _comments(campaign: Campaign, filters: CommentFilters, dates: DateRange) -> sa.Select:
    """The campaign's counted text answers passing the filters, with what a Comment shows (unordered)."""
    nps = nps_of_responses(campaign.workspace_id)
    query = (
        sa.select(
            Answer.id,
            Answer.value_text,
            Answer.answered_at,
            Answer.question_key,
            Question.text,
            Answer.touchpoint_id,
            Touchpoint.name,
            Response.language,
            nps.c.nps,
        )
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Touchpoint, Touchpoint.id == Answer.touchpoint_id)
        .outerjoin(Question, sa.and_(Question.version_id == Response.version_id, Question.key == Answer.question_key))
        .outerjoin(nps, nps.c.response_id == Answer.response_id)
        .where(
            Answer.workspace_id == campaign.workspace_id,
            Answer.question_type == QuestionType.TEXT.value,
            Answer.value_text.is_not(None),
            Answer.value_text != "",
            *filters.conditions(nps.c.nps),
        )
    )
    return counted(query, _scope(campaign, dates, filters.segment))


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _newest_first(query: sa.Select) -> sa.Select:
    return query.order_by(Answer.answered_at.desc(), Answer.id.desc())


def _comment(row: sa.Row) -> Comment:
    answer_id, text, answered_at, key, question, touchpoint_id, name, language, nps = row
    return Comment(answer_id, text, answered_at, key, texts(question), touchpoint_id, name, language, nps)


def comment_page(campaign: Campaign, filters: CommentFilters, page: int = 1, per_page: int = COMMENTS_PER_PAGE) -> (
    CommentPage
):
    """One page of the campaign's open-text answers passing the filters, newest first, with the number that pass
    and the number the campaign has in all (same rule as every count: flagged responses excluded)."""
    query = _comments(campaign, filters, filters.dates)
    rows = db.session.execute(_newest_first(query).limit(per_page).offset((page - 1) * per_page))
    everything = _comments(campaign, CommentFilters(), DateRange())
    return CommentPage([_comment(r) for r in rows], _count(query), _count(everything), page, per_page, filters)


def all_comments(campaign: Campaign, filters: CommentFilters) -> Iterator[Comment]:
    """Every open-text answer passing the filters, newest first (for the download)."""
    for row in db.session.execute(_newest_first(_comments(campaign, filters, filters.dates))):
        yield _comment(row)


def theme_comments(campaign: Campaign, filters: CommentFilters, cap: int = MAX_THEME_ANSWERS) -> (
    tuple[list[themes.Comment], bool]
):
    """The answers passing the filters as themes.py reads them (response, text, language, NPS group), the newest
    `cap` ones, in one query without paging; and whether there were more."""
    query = _comments(campaign, filters, filters.dates)
    columns = query.selected_columns
    rows = db.session.execute(
        _newest_first(query.with_only_columns(Answer.response_id, columns[1], columns[7], columns[8])).limit(cap + 1)
    ).all()
    found = [themes.Comment(r[0], r[1], r[2], nps_group(r[3])) for r in rows[:cap]]
    return found, len(rows) > cap


def comments_csv(campaign: Campaign, filters: CommentFilters, language: str, dialect: CsvDialect = PLAIN) -> (
    Iterator[str]
):
    """The filtered comments as CSV (CSV_COLUMNS), times in the workspace's zone where the dialect writes local
    times, questions in `language`."""
    rows = (
        [c.answered_at, c.touchpoint, c.question_key, c.question(language), c.text, c.nps, c.group, c.language]
        for c in all_comments(campaign, filters)
    )
    return csv_stream(CSV_COLUMNS, rows, dialect.in_zone(campaign.workspace.timezone))


def highlighted(text: str, search: str) -> Markup:
    """The text, escaped, with each occurrence of `search` (any case) in <mark>. The text is split at the matches
    before escaping, so a search for "<b" or "&amp" matches what the respondent typed, never the escaping."""
    if not search:
        return escape(text)
    parts: list[Markup] = []
    last = 0
    for match in re.finditer(re.escape(search), text, re.IGNORECASE):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group())
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)
