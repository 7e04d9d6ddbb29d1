"""Use cases of analysis: a campaign's ratings, roll-ups and comparisons for a period, workspace-scoped."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback.analysis import choices, comparisons, queries, ratings, rollups, stats, summaries
from feedback.analysis.customer_queries import customer_totals
from feedback.analysis.filters import Filters
from feedback.analysis.lifetime import CustomerTotals
from feedback.analysis.queries import Dimension, Key, Period, Scope
from feedback.analysis.ratings import CampaignRatings, LandingActions, TouchpointInput, TouchpointRating
from feedback.analysis.segments import Segment
from feedback.analysis.summaries import Arrivals, GroupCounts, Metric, ReferralMetrics, Referrals, Summary
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.leads.services import LeadNumbers, lead_numbers
from feedback.offers.services import Revenue, revenue_numbers
from feedback.qr.models import Code, CodeBatch
from feedback.referrals.services import referral_numbers
from feedback.surveys.models import Question, Survey, SurveyVersion
from feedback.surveys.questions import QuestionSpec, QuestionType
from feedback.tenancy import owned
from feedback.texts import Texts
from feedback.touchpoints.models import Campaign, Phase, Touchpoint
from feedback.touchpoints.services import touchpoints_of

#: Longest period a report may span; anything longer is a typo (e.g. year 2205).
MAX_PERIOD_DAYS = 3660
EARLIEST = date(2000, 1, 1)


class InvalidPeriod(DomainError):
    """A date range that is reversed or absurd."""

    status = 400


@dataclass(frozen=True)
class DateRange:
    """Inclusive local dates as the marketer entered them; either end open."""

    first: date | None = None
    last: date | None = None

    def period(self, timezone: str) -> Period:
        """The UTC [start, end) of the local days."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.first, time(), zone) if self.first else None
        end = datetime.combine(self.last + timedelta(days=1), time(), zone) if self.last else None
        return Period(start, end)


def checked_range(first: date | None, last: date | None) -> DateRange:
    """A range of real dates feedback can report on; reversed or absurd ones are refused.

    :raises InvalidPeriod: a date before 2000 or far in the future, the start after the end, or over ten years.
    """
    for day in (first, last):
        if day is not None and (day < EARLIEST or day > date.today() + timedelta(days=MAX_PERIOD_DAYS)):
            raise InvalidPeriod(_l("%(value)s is outside the range feedback reports on.", value=day.isoformat()))
    if first and last:
        if first > last:
            raise InvalidPeriod(_l("The start date lies after the end date."))
        if (last - first).days > MAX_PERIOD_DAYS:
            raise InvalidPeriod(_l("A report can span at most ten years."))
    return DateRange(first, last)


def parse_range(first: str | None, last: str | None) -> DateRange:
    """Dates in ISO form (YYYY-MM-DD), both optional; reversed, unreadable or absurd ranges are refused."""

    def parse(value: str | None) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidPeriod(_l("“%(value)s” is not a date (use YYYY-MM-DD).", value=value[:20])) from None

    return checked_range(parse(first), parse(last))


def _chosen(campaign: Campaign, touchpoint_ids: frozenset[int] | None) -> list[Touchpoint]:
    """The campaign's touchpoints (archived ones too), only those named when `touchpoint_ids` is given."""
    touchpoints = touchpoints_of(campaign, include_archived=True)
    return touchpoints if touchpoint_ids is None else [tp for tp in touchpoints if tp.id in touchpoint_ids]


def _scope(
    campaign: Campaign, touchpoints: list[Touchpoint], dates: DateRange, segment: Segment | None = None
) -> Scope:
    timezone = campaign.workspace.timezone
    return Scope(
        campaign.workspace_id,
        tuple(tp.id for tp in touchpoints),
        dates.period(timezone),
        timezone,
        dates.first,
        dates.last,
        segment if segment is not None and segment.active else None,
    )


def _asked_metrics(workspace_id: int, touchpoints: list[Touchpoint]) -> dict[int, frozenset[Metric]]:
    """The metrics each touchpoint's current survey asks."""
    survey_ids = {tp.survey_id for tp in touchpoints if tp.survey_id}
    surveys = {s.id: s for s in db.session.scalars(owned(Survey, workspace_id, Survey.id.in_(survey_ids)))}
    by_type = {t: m for m, t in summaries.METRIC_TYPES.items()}
    asked: dict[int, frozenset[Metric]] = {}
    for tp in touchpoints:
        survey = surveys.get(tp.survey_id) if tp.survey_id else None
        types = {q.type for q in survey.current.questions} if survey and survey.versions else set()
        asked[tp.id] = frozenset(by_type[QuestionType(t)] for t in types if QuestionType(t) in by_type)
    return asked


def _key(dimension: Dimension, count: rollups.Count) -> Key:
    """The typed group key of a roll-up row."""
    if dimension is Dimension.TOUCHPOINT:
        return count.touchpoint_id
    if dimension is Dimension.DAY:
        return count.day
    if dimension is Dimension.CODE:
        return int(count.key) if count.key not in ("", "0") else None
    return count.key or None


def _group_counts(scope: Scope, dimension: Dimension) -> dict[Key, GroupCounts]:
    """Scans, visitors (per day), starts, completions and scale answers per group, from the daily counts."""
    rows = rollups.daily_counts(
        scope.workspace_id,
        scope.touchpoint_ids,
        scope.timezone,
        scope.first,
        scope.last,
        dimension.value,
        segment=scope.segment,
    )
    return _fold(rows, lambda count: _key(dimension, count))


def _fold(rows: Iterable[rollups.Count], key_of: Callable[[rollups.Count], Key]) -> dict[Key, GroupCounts]:
    """Rows of daily counts added up per group."""
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    answers: dict[Key, dict[QuestionType, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for count in rows:
        key = key_of(count)
        if count.measure in ("scans", "visitors", "starts", "completions"):
            totals[key][count.measure] += count.n
        else:
            values = answers[key][QuestionType(count.measure)]
            values[count.value] = values.get(count.value, 0) + count.n
    return {
        key: GroupCounts(
            scans=totals[key]["scans"],
            visitors=totals[key]["visitors"],
            starts=totals[key]["starts"],
            completions=totals[key]["completions"],
            answers={t: dict(v) for t, v in answers[key].items()},
        )
        for key in set(totals) | set(answers)
    }


#: Days of the trend line in lists of campaigns and touchpoints, and of their "last days" columns.
TREND_DAYS = 28
RECENT_DAYS = 7


@dataclass(frozen=True)
class Traffic:
    """The numbers of a touchpoint (or, added up, of a campaign) in lists: all days, the last 7 days, and scans per
    day over the last 28 for a trend line; from the same roll-ups as the ratings, so they agree with them."""

    summary: Summary
    recent: GroupCounts
    daily_scans: tuple[int, ...]

    def __add__(self, other: Traffic) -> Traffic:
        """Two disjoint groups (touchpoints) together: counts add up, the metrics are computed afresh."""
        return Traffic(
            summaries.summarise(self.summary.counts + other.summary.counts),
            self.recent + other.recent,
            tuple(a + b for a, b in zip(self.daily_scans, other.daily_scans, strict=True)),
        )


def empty_traffic() -> Traffic:
    """The numbers of a group without data."""
    return Traffic(summaries.summarise(GroupCounts()), GroupCounts(), (0,) * TREND_DAYS)


def traffic(
    workspace_id: int, timezone: str, touchpoint_ids: Iterable[int], today: date | None = None
) -> dict[int, Traffic]:
    """Each touchpoint's numbers for the lists of campaigns and touchpoints (touchpoints without data are left out;
    `empty_traffic()` stands for them). Visitors are counted per day, as everywhere (STATS.md §1)."""
    ids = list(touchpoint_ids)
    today = today or datetime.now(ZoneInfo(timezone)).date()
    first_day = today - timedelta(days=TREND_DAYS - 1)
    recent_first = today - timedelta(days=RECENT_DAYS - 1)
    totals = _fold(
        rollups.daily_counts(workspace_id, ids, timezone, None, None, Dimension.TOUCHPOINT.value, today),
        lambda count: count.touchpoint_id,
    )
    days = rollups.daily_counts(workspace_id, ids, timezone, first_day, today, "touchpoint_day", today)
    recent = _fold((c for c in days if c.day >= recent_first), lambda count: count.touchpoint_id)
    daily: dict[int, list[int]] = defaultdict(lambda: [0] * TREND_DAYS)
    for count in days:
        if count.measure == "scans":
            daily[count.touchpoint_id][(count.day - first_day).days] += count.n
    return {
        tp: Traffic(
            summaries.summarise(totals.get(tp, GroupCounts())),
            recent.get(tp, GroupCounts()),
            tuple(daily[tp]) if tp in daily else (0,) * TREND_DAYS,
        )
        for tp in (set(totals) | set(recent) | set(daily)) & set(ids)
    }


def code_traffic(workspace_id: int, timezone: str, touchpoint_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Scans and visitors (counted per day, STATS.md §1) per code over all days: the numbers of the ratings' code
    roll-up, for every list of codes (touchpoint page, code page, `feedback codes`), exact after scan retention."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for count in rollups.daily_counts(workspace_id, touchpoint_ids, timezone, None, None, Dimension.CODE.value):
        key = _key(Dimension.CODE, count)
        if isinstance(key, int) and count.measure in ("scans", "visitors"):
            totals[key][count.measure == "visitors"] += count.n
    return {code_id: (scans, visitors) for code_id, (scans, visitors) in totals.items()}


def code_arrivals(workspace_id: int, timezone: str, touchpoint_ids: Iterable[int]) -> dict[int, Arrivals]:
    """How the counted scans of each code arrived (symbol, typed address, typed code, invite, personal mailing)
    over all days, from the same roll-ups as `code_traffic`."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for count in rollups.daily_counts(workspace_id, touchpoint_ids, timezone, None, None, Dimension.ARRIVAL.value):
        code, _, arrival = count.key.partition(":")
        if count.measure == "scans" and code.isdigit() and code != "0":
            found[int(code)][arrival] = found[int(code)].get(arrival, 0) + count.n
    return {code_id: Arrivals(counts) for code_id, counts in found.items()}


def _asks_ratings(workspace_id: int) -> bool:
    """Whether any survey version of the workspace has a rating question (without one no answer is a rating)."""
    query = (
        sa.select(Question.id)
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .join(Survey, Survey.id == SurveyVersion.survey_id)
        .where(Survey.workspace_id == workspace_id, Question.type == QuestionType.RATING.value)
    )
    return db.session.scalar(query.limit(1)) is not None


def _rating_item_counts(scope: Scope) -> dict[int, dict[str, dict[int, int]]]:
    """Loyalty items one by one: {touchpoint: {question key: {value: count}}}; not counted at all (a live pass for
    most segments) when the workspace asks no rating question."""
    result: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    if not _asks_ratings(scope.workspace_id):
        return {}
    for count in rollups.daily_counts(
        scope.workspace_id, scope.touchpoint_ids, scope.timezone, scope.first, scope.last, "item", segment=scope.segment
    ):
        values = result[count.touchpoint_id][count.key]
        values[count.value] = values.get(count.value, 0) + count.n
    return {tp: dict(items) for tp, items in result.items()}


def _outcomes(
    revenue: Revenue | None, leads: LeadNumbers | None, customers: CustomerTotals | None = None
) -> ratings.Outcomes:
    revenue, leads = revenue or Revenue(), leads or LeadNumbers()
    return ratings.Outcomes(
        coupons_issued=revenue.issued,
        redemptions=revenue.redeemed,
        revenue=revenue.revenue,
        leads=leads.contacts,
        leads_qualified=leads.marketing_qualified,
        leads_sales_ready=leads.sales_ready,
        leads_won=leads.won,
        won_value=leads.won_value,
        customers=customers or CustomerTotals(),
    )


def campaign_ratings(
    campaign: Campaign, dates: DateRange = DateRange(), segment: Segment | None = None
) -> CampaignRatings:
    """Rating rows of every touchpoint of the campaign (archived ones too: their answers still count), of the
    respondents and visitors of `segment` when one is given."""
    touchpoints = touchpoints_of(campaign, include_archived=True)
    scope = _scope(campaign, touchpoints, dates, segment)
    responses = segment_responses(scope)
    counts = _group_counts(scope, Dimension.TOUCHPOINT)
    rating_items = _rating_item_counts(scope)
    asked = _asked_metrics(campaign.workspace_id, touchpoints)
    completed = {tp: c.completions for tp, c in counts.items() if isinstance(tp, int)}  # the same respondents
    referrals, _ = referral_numbers(campaign, (scope.period.start, scope.period.end), responses, completed)
    ids = [tp.id for tp in touchpoints]
    revenue = revenue_numbers(campaign.workspace_id, ids, scope.period.start, scope.period.end, responses)
    leads = lead_numbers(campaign.workspace_id, ids, scope.period.start, scope.period.end, responses)
    buyers = customer_totals(campaign.workspace_id, ids, scope.period.start, scope.period.end, responses)
    actions = queries.landing_action_counts(scope)
    kiosk = queries.kiosk_completions(scope)
    inputs = [
        TouchpointInput(
            id=tp.id,
            name=tp.name,
            channel=tp.channel,
            phase=tp.phase,
            cost=tp.cost,
            reach=tp.reach,
            counts=counts.get(tp.id, GroupCounts()),
            asked=asked[tp.id] | frozenset(m for m in Metric if counts.get(tp.id, GroupCounts()).of(m)),
            referrals=referrals[tp.id].referrals if tp.id in referrals else Referrals(),
            rating_items=rating_items.get(tp.id, {}),
            outcomes=_outcomes(revenue.get(tp.id), leads.get(tp.id), buyers.get(tp.id)),
            actions=ratings.LandingActions(**actions.get(tp.id, {})),
            kiosk_completions=kiosk.get(tp.id, 0),
        )
        for tp in touchpoints
    ]
    reach_known = rollups.scans_counted(scope.workspace_id, scope.first, scope.last, scope.segment)
    return ratings.rate_touchpoints(inputs, reach_known=reach_known)


def segment_responses(scope: Scope) -> list[sa.ColumnElement[bool]] | None:
    """The segment's conditions on Response, for the outcomes counted by other features (invites, coupons,
    contacts: each joins or looks up its response by key); None without a segment."""
    return scope.response_conditions() if scope.segmented else None


def touchpoint_counts(
    campaign: Campaign, dates: DateRange, segment: Segment | None = None
) -> dict[int, GroupCounts]:
    """What the database counted per touchpoint of the campaign (archived ones too) in the local days (the ratings'
    counts, without the ratings), of a segment when one is given: for comparisons of periods and campaigns."""
    touchpoints = touchpoints_of(campaign, include_archived=True)
    return _group_counts(_scope(campaign, touchpoints, dates, segment), Dimension.TOUCHPOINT)


@dataclass(frozen=True)
class RollupRow:
    """One group of a roll-up: a key, what to call it, and its numbers."""

    key: Key
    label: str
    summary: Summary


def choice_questions(
    campaign: Campaign,
    dates: DateRange = DateRange(),
    touchpoint_ids: frozenset[int] | None = None,
    segment: Segment | None = None,
) -> list[choices.ChoiceQuestion]:
    """Every single- and multiple-choice question the campaign's touchpoints' surveys ask or were answered with, in
    the surveys' order; options as the survey defines them, then any value answered but no longer offered (only
    the named touchpoints when `touchpoint_ids` is given)."""
    touchpoints = _chosen(campaign, touchpoint_ids)
    scope = _scope(campaign, touchpoints, dates, segment)
    counted = queries.choice_counts(scope)
    survey_ids = {tp.survey_id for tp in touchpoints if tp.survey_id}
    specs: dict[str, QuestionSpec] = {}
    for survey in db.session.scalars(
        owned(Survey, campaign.workspace_id, Survey.id.in_(survey_ids)).order_by(Survey.id)
    ):
        for spec in survey.current.specs() if survey.versions else []:
            if spec.type in queries.CHOICE_TYPES:
                specs.setdefault(spec.key, spec)
    for _touchpoint, key in counted.respondents:
        specs.setdefault(key, QuestionSpec(key, QuestionType.MULTI_CHOICE, False, text=Texts.of(en=key)))
    found = []
    for key, spec in specs.items():
        offered = [o.value for o in spec.options]
        answered = sorted({v for (_, k), values in counted.chosen.items() if k == key for v in values} - set(offered))
        analysis = choices.analyse(
            [*offered, *answered],
            {tp.id: counted.chosen.get((tp.id, key), {}) for tp in touchpoints},
            {tp.id: counted.respondents.get((tp.id, key), 0) for tp in touchpoints},
            multiple=spec.type is QuestionType.MULTI_CHOICE,
        )
        found.append(choices.ChoiceQuestion(spec, analysis))
    return found


def rollup_by_touchpoint_field(rows: Iterable[TouchpointRating], field: str) -> list[RollupRow]:
    """Sum touchpoint counts by channel or phase (no second database round trip)."""
    grouped: dict[str, GroupCounts] = defaultdict(GroupCounts)
    for row in rows:
        grouped[getattr(row.touchpoint, field)] += row.touchpoint.counts
    order = {phase.value: i for i, phase in enumerate(Phase)}
    return [
        RollupRow(key, key, summaries.summarise(counts))
        for key, counts in sorted(grouped.items(), key=lambda item: (order.get(item[0], 99), item[0]))
    ]


def rollup(
    campaign: Campaign,
    dimension: Dimension,
    dates: DateRange = DateRange(),
    touchpoint_ids: frozenset[int] | None = None,
    segment: Segment | None = None,
) -> list[RollupRow]:
    """Numbers per code (print variant), device class, language or day of the campaign (of the named touchpoints
    when `touchpoint_ids` is given, of the segment when one is given)."""
    touchpoints = _chosen(campaign, touchpoint_ids)
    counts = _group_counts(_scope(campaign, touchpoints, dates, segment), dimension)
    labels: dict[Key, str] = {}
    if dimension is Dimension.CODE:
        codes = db.session.execute(
            owned(Code, campaign.workspace_id, Code.id.in_([k for k in counts if k is not None])).with_only_columns(
                Code.id, Code.code, Code.label, Code.touchpoint_id
            )
        )
        names = {tp.id: tp.name for tp in touchpoints}
        labels = {
            cid: f"{code} · {names.get(tp, '')}{' · ' + label if label else ''}" for cid, code, label, tp in codes
        }
    rows = [
        RollupRow(key, labels.get(key, "" if key is None else str(key)), summaries.summarise(c))
        for key, c in counts.items()
    ]
    return sorted(rows, key=lambda r: (r.key is None, str(r.key)))


def weekly(
    campaign: Campaign,
    dates: DateRange = DateRange(),
    touchpoint_ids: frozenset[int] | None = None,
    segment: Segment | None = None,
) -> list[RollupRow]:
    """Days folded into ISO weeks (Monday first), with empty weeks between the first and last kept as zeros."""
    days = rollup(campaign, Dimension.DAY, dates, touchpoint_ids, segment)
    grouped: dict[date, GroupCounts] = defaultdict(GroupCounts)
    for row in days:
        if isinstance(row.key, date):
            grouped[row.key - timedelta(days=row.key.weekday())] += row.summary.counts
    if not grouped:
        return []
    week, last = min(grouped), max(grouped)
    rows = []
    while week <= last:
        year, number, _ = week.isocalendar()
        rows.append(RollupRow(week, f"{year}-W{number:02d}", summaries.summarise(grouped.get(week, GroupCounts()))))
        week += timedelta(days=7)
    return rows


def retention(
    campaign: Campaign,
    dates: DateRange = DateRange(),
    touchpoint_ids: frozenset[int] | None = None,
    segment: Segment | None = None,
) -> list[tuple[date, int, int]]:
    """Weekly cohorts of first scans (first-party cookie visitors): (week, visitors, returned on a later day)."""
    touchpoints = _chosen(campaign, touchpoint_ids)
    per_day = queries.returning_visitors(_scope(campaign, touchpoints, dates, segment))
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, (visitors, returned) in per_day.items():
        week = weeks[day - timedelta(days=day.weekday())]
        week[0] += visitors
        week[1] += returned
    return [(week, v, r) for week, (v, r) in sorted(weeks.items())]


def campaign_touchpoint(campaign: Campaign, touchpoint_id: int) -> Touchpoint | None:
    """A touchpoint of this campaign (and so of its workspace), or None."""
    return db.session.scalar(
        owned(Touchpoint, campaign.workspace_id, Touchpoint.id == touchpoint_id, Touchpoint.campaign_id == campaign.id)
    )


@dataclass(frozen=True)
class CodeGroup:
    """A row of the code roll-up: a shared code, or a mailing batch of personal codes with its codes' answers pooled
    (the batch's numbers computed from the summed counts, not averaged over its codes) and the codes' own rows."""

    row: RollupRow
    #: The batch's name and number of codes; None for a shared code.
    batch: str | None = None
    size: int = 0
    codes: tuple[RollupRow, ...] = ()


def code_groups(campaign: Campaign, rows: list[RollupRow]) -> list[CodeGroup]:
    """The code roll-up with each mailing batch's codes folded into one row, where its first code stood."""
    code_ids = [row.key for row in rows if isinstance(row.key, int)]
    batch_of: dict[int, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            owned(Code, campaign.workspace_id, Code.id.in_(code_ids), Code.batch_id.is_not(None)).with_only_columns(
                Code.id, Code.batch_id
            )
        ).all()
    )
    batches = {
        batch.id: batch
        for batch in db.session.scalars(
            owned(CodeBatch, campaign.workspace_id, CodeBatch.id.in_(set(batch_of.values())))
        )
    }
    names = {tp.id: tp.name for tp in touchpoints_of(campaign, include_archived=True)}
    members: dict[int, list[RollupRow]] = defaultdict(list)
    for row in rows:
        if isinstance(row.key, int) and row.key in batch_of:
            members[batch_of[row.key]].append(row)
    groups: list[CodeGroup] = []
    for row in rows:
        batch_id = batch_of.get(row.key) if isinstance(row.key, int) else None
        if batch_id is None:
            groups.append(CodeGroup(row))
        elif members[batch_id][0] is row:
            batch, codes = batches[batch_id], members[batch_id]
            pooled = summaries.summarise(summaries.total(code.summary.counts for code in codes))
            label = f"{batch.name} · {names.get(batch.touchpoint_id, '')}"
            batch_row = RollupRow(f"batch-{batch_id}", label, pooled)
            groups.append(CodeGroup(batch_row, batch.name, batch.size, tuple(codes)))
    return groups


@dataclass(frozen=True)
class CampaignReport:
    """Everything the campaign overview shows for one period: the ratings of the whole campaign (ranks, positions
    and tests are the campaign's whatever the filters), and the rest for the touchpoints the filters chose."""

    campaign: Campaign
    dates: DateRange
    ratings: CampaignRatings
    by_channel: list[RollupRow]
    by_phase: list[RollupRow]
    by_code: list[RollupRow]
    by_device: list[RollupRow]
    by_language: list[RollupRow]
    weeks: list[RollupRow]
    retention: list[tuple[date, int, int]]
    across: list[comparisons.Across]
    choices: list[choices.ChoiceQuestion]
    filters: Filters = Filters()
    segment: Segment = Segment()
    #: The rating rows the filters chose, in rank order, and their numbers together.
    rows: list[TouchpointRating] = field(default_factory=list)
    total: Summary | None = None
    referrals: ReferralMetrics | None = None
    actions: LandingActions = LandingActions()
    #: The code roll-up with mailing batches folded into one row each.
    codes: list[CodeGroup] = field(default_factory=list)


def campaign_report(
    campaign: Campaign, dates: DateRange = DateRange(), filters: Filters | None = None, segment: Segment | None = None
) -> CampaignReport:
    """Ratings, roll-ups, trend, retention and the test across the touchpoints of a campaign; with filters, every
    number but the ratings' ranks and tests covers only the touchpoints they choose; with a segment, every number
    (ranks and tests too) covers only its respondents and visitors."""
    filters = filters or Filters()
    segment = segment or Segment()
    result = campaign_ratings(campaign, dates, segment)
    rows = [row for row in result.rows if filters.matches(row.touchpoint)]
    ids = frozenset(row.touchpoint.id for row in rows) if filters.active else None
    by_code = rollup(campaign, Dimension.CODE, dates, ids, segment)
    return CampaignReport(
        campaign=campaign,
        dates=dates,
        ratings=result,
        by_channel=rollup_by_touchpoint_field(rows, "channel"),
        by_phase=rollup_by_touchpoint_field(rows, "phase"),
        by_code=by_code,
        by_device=rollup(campaign, Dimension.DEVICE, dates, ids, segment),
        by_language=rollup(campaign, Dimension.LANGUAGE, dates, ids, segment),
        weeks=weekly(campaign, dates, ids, segment),
        retention=retention(campaign, dates, ids, segment),
        across=comparisons.across([row.summary for row in rows]),
        choices=choice_questions(campaign, dates, ids, segment),
        filters=filters,
        segment=segment,
        rows=rows,
        total=summaries.summarise(summaries.total(row.touchpoint.counts for row in rows))
        if filters.active
        else result.total,
        referrals=summaries.referral_metrics(sum((row.touchpoint.referrals for row in rows), Referrals()))
        if filters.active
        else result.referrals,
        actions=sum((row.touchpoint.actions for row in rows), LandingActions()),
        codes=code_groups(campaign, by_code),
    )


#: What B can be in a comparison besides another touchpoint.
REST = "rest"


class GroupKind(enum.StrEnum):
    """What the compare page compares."""

    TOUCHPOINT = "touchpoint"
    CODE = "code"  # print variants
    CHANNEL = "channel"
    PHASE = "phase"


def comparison_groups(report: CampaignReport, kind: GroupKind) -> dict[str, tuple[str, Summary]]:
    """The groups of one kind with their labels (channel and phase labels are keys, translated by the view)."""
    if kind is GroupKind.TOUCHPOINT:
        return {str(row.touchpoint.id): (row.touchpoint.name, row.summary) for row in report.ratings.rows}
    rows = {GroupKind.CODE: report.by_code, GroupKind.CHANNEL: report.by_channel, GroupKind.PHASE: report.by_phase}
    return {str(row.key): (row.label, row.summary) for row in rows[kind] if row.key is not None}


def compare_groups(
    report: CampaignReport,
    groups: dict[str, tuple[str, Summary]],
    a: str,
    b: str,
    benchmark: float | None = None,
    side: stats.Side = stats.Side.TWO_SIDED,
) -> tuple[str, str, list[comparisons.Result]]:
    """A against B or against the rest of the campaign, each metric Holm-adjusted in its fixed family (all pairs of
    the listed groups, or every group against the rest), and optionally A's NPS against a benchmark (its own test).

    :raises DomainError: A or B is not one of the groups, or both are the same.
    """
    if a not in groups or (b != REST and b not in groups):
        raise DomainError(_l("Choose two of the listed groups of this campaign."))
    if a == b:
        raise DomainError(_l("That is the same touchpoint twice: choose another one or the rest of the campaign."))
    summaries_by_key = {key: summary for key, (_, summary) in groups.items()}
    a_name = groups[a][0]
    if b == REST:
        results = comparisons.against_rest(summaries_by_key, report.ratings.total.counts)[a]
        b_name = str(_l("the rest of the campaign"))
    else:
        results = comparisons.pairwise(summaries_by_key, a, b)
        b_name = groups[b][0]
    if benchmark is not None:
        results = [*results, comparisons.against_benchmark(summaries_by_key[a], benchmark, side)]
    return a_name, b_name, results
