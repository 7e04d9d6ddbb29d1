"""Periods and campaigns side by side from the database: each side's counts per touchpoint from the ratings' daily
roll-ups (`services.touchpoint_counts`), handed to the pure `periods` module (docs/STATISTICS.md §3)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from feedback.analysis import periods
from feedback.analysis.periods import TOTAL, Against, Days, Group, PeriodComparison, Week
from feedback.analysis.segments import Segment
from feedback.analysis.services import DateRange, touchpoint_counts, weekly
from feedback.analysis.summaries import GroupCounts, total
from feedback.errors import DomainError
from feedback.templating import channel_label, phase_label
from feedback.touchpoints.models import Campaign, Phase, Touchpoint
from feedback.touchpoints.services import get_campaign, list_campaigns, touchpoints_of

#: No chosen days: all of them.
ALL_DAYS = DateRange()


class NoOtherCampaign(DomainError):
    """A campaign comparison without the campaign to compare with, or with the campaign itself."""

    status = 400


def today_of(campaign: Campaign) -> date:
    """Today in the workspace's time zone."""
    return datetime.now(ZoneInfo(campaign.workspace.timezone)).date()


def chosen_days(dates: DateRange, today: date) -> Days:
    """The days of A: the chosen range; an open start reaches 28 days back, an open end yesterday (or the start),
    and no range at all is the last 28 complete days."""
    if dates.first is None and dates.last is None:
        return periods.default_days(today)
    last = dates.last or max(dates.first, today - timedelta(days=1))  # type: ignore[type-var]
    first = dates.first or last - timedelta(days=periods.DEFAULT_DAYS - 1)
    return Days(first, last)


def _range(days: Days) -> DateRange:
    return DateRange(days.first, days.last)


def period_comparison(
    campaign: Campaign, dates: DateRange, against: Against, today: date | None = None, segment: Segment | None = None
) -> PeriodComparison:
    """The chosen days (or the last 28 complete ones) against the period before or the same dates a year earlier,
    per touchpoint with answers or scans on either side (archived ones too) and for the whole campaign."""
    days = chosen_days(dates, today or today_of(campaign))
    before = periods.reference(against, days)
    a = touchpoint_counts(campaign, _range(days), segment)
    b = touchpoint_counts(campaign, _range(before), segment)
    groups = [
        Group(str(tp.id), tp.name, a.get(tp.id, GroupCounts()), b.get(tp.id, GroupCounts()), (tp.name,), (tp.name,))
        for tp in touchpoints_of(campaign, include_archived=True)
        if tp.id in a or tp.id in b
    ]
    whole = Group(TOTAL, campaign.name, total(a.values()), total(b.values()))
    return periods.compare(against, whole, groups, (days.span, before.span))


Pooled = dict[tuple[str, str], tuple[GroupCounts, list[str]]]


def _pooled(touchpoints: list[Touchpoint], counts: dict[int, GroupCounts]) -> Pooled:
    """Counts summed per (channel, phase), with the names of the touchpoints summed."""
    found: Pooled = defaultdict(lambda: (GroupCounts(), []))
    for tp in touchpoints:
        summed, names = found[(tp.channel, tp.phase)]
        found[(tp.channel, tp.phase)] = (summed + counts.get(tp.id, GroupCounts()), [*names, tp.name])
    return found


def campaign_comparison(
    campaign: Campaign,
    other_id: int | None,
    dates: DateRange = ALL_DAYS,
    other_dates: DateRange = ALL_DAYS,
    segment: Segment | None = None,
) -> PeriodComparison:
    """This campaign against another of its workspace, each over its own days (all of them unless chosen),
    touchpoints matched by channel and phase; several sharing a channel and phase are pooled by summing counts.

    :raises NoOtherCampaign: no other campaign named, or this one.
    :raises NotFound: the other campaign does not exist in this workspace.
    """
    if other_id is None:
        raise NoOtherCampaign(_l("Choose the campaign to compare with."))
    other = get_campaign(campaign.workspace_id, other_id)
    if other.id == campaign.id:
        raise NoOtherCampaign(_l("That is this campaign: choose another one to compare with."))
    mine, theirs = touchpoints_of(campaign, include_archived=True), touchpoints_of(other, include_archived=True)
    counts_a, counts_b = touchpoint_counts(campaign, dates, segment), touchpoint_counts(other, other_dates, segment)
    a, b = _pooled(mine, counts_a), _pooled(theirs, counts_b)
    order = {phase.value: i for i, phase in enumerate(Phase)}
    matched = sorted(set(a) & set(b), key=lambda key: (order.get(key[1], 99), key[0]))
    groups = [
        Group(
            f"{channel}/{phase}",
            f"{channel_label(channel)} · {phase_label(phase)}",
            a[(channel, phase)][0],
            b[(channel, phase)][0],
            tuple(a[(channel, phase)][1]),
            tuple(b[(channel, phase)][1]),
        )
        for channel, phase in matched
    ]
    whole = Group(TOTAL, str(_l("the whole campaign")), total(counts_a.values()), total(counts_b.values()))
    only_a = tuple(tp.name for tp in mine if (tp.channel, tp.phase) not in b)
    only_b = tuple(tp.name for tp in theirs if (tp.channel, tp.phase) not in a)
    spans = ((dates.first, dates.last), (other_dates.first, other_dates.last))
    return periods.compare(Against.CAMPAIGN, whole, groups, spans, (only_a, only_b), (other.id, other.name))


def comparison(
    campaign: Campaign,
    against: Against,
    dates: DateRange = ALL_DAYS,
    other_id: int | None = None,
    other_dates: DateRange = ALL_DAYS,
    today: date | None = None,
    segment: Segment | None = None,
) -> PeriodComparison:
    """The comparison the marketer chose (page, download and API answer through this one function), of the
    respondents and visitors of `segment` on both sides when one is given."""
    if against is Against.CAMPAIGN:
        return campaign_comparison(campaign, other_id, dates, other_dates, segment)
    return period_comparison(campaign, dates, against, today, segment)


def campaign_trend(campaign: Campaign, dates: DateRange = ALL_DAYS, segment: Segment | None = None) -> list[Week]:
    """The campaign's weeks (of the chosen days, else from its first to its last answer) with NPS and completion
    rate and their intervals, from the same roll-ups as the ratings (counted live for a segment)."""
    rows = weekly(campaign, dates, segment=segment)
    return periods.weeks([(row.key, row.label, row.summary) for row in rows], dates.first, dates.last)  # type: ignore[misc]


def other_campaigns(campaign: Campaign) -> list[Campaign]:
    """The workspace's other campaigns, newest first (what the selector offers)."""
    return [c for c, _ in list_campaigns(campaign.workspace_id, include_archived=True) if c.id != campaign.id]
