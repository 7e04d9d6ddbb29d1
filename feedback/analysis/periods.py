"""Periods and campaigns side by side, pure: which days to compare, counts in, tests out (docs/STATISTICS.md §3).

A is what the marketer looks at (the chosen period, or this campaign), B what it is measured against (the period
before, the same dates a year earlier, or another campaign). Each metric's difference A − B comes from the tests of
`comparisons` (NPS: adjusted-Wald z-test; CSAT and response rate: χ² or Fisher on the shares; effort and loyalty:
Mann–Whitney U). The campaign's total is one test per metric; the rows below it (touchpoints, or the channel and
phase pairs of two campaigns) are one Holm family per metric.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from feedback.analysis import comparisons, stats
from feedback.analysis.comparisons import METRICS, PAIR_TESTS, Comparison, Result, Verdict
from feedback.analysis.summaries import GroupCounts, Summary, summarise

#: Days compared when no period is chosen: the last four complete weeks' worth of days, today left out.
DEFAULT_DAYS = 28
#: The key of the campaign's total row.
TOTAL = "total"
#: Inclusive local dates of one side; an open end (None) reaches the first or last answer.
Span = tuple[date | None, date | None]


class Against(enum.StrEnum):
    """What the chosen period (or campaign) is compared with."""

    PREVIOUS = "previous"  # the period of equal length right before it
    LAST_YEAR = "last_year"  # the same dates one year earlier
    CAMPAIGN = "campaign"  # another campaign of the workspace


@dataclass(frozen=True)
class Days:
    """Inclusive local dates."""

    first: date
    last: date

    def __post_init__(self) -> None:
        """A reversed range is an input error, not an empty period."""
        if self.first > self.last:
            raise ValueError(f"{self.first} lies after {self.last}")

    @property
    def span(self) -> Span:
        """The dates as a span."""
        return (self.first, self.last)

    @property
    def length(self) -> int:
        """How many days the range spans."""
        return (self.last - self.first).days + 1


def default_days(today: date) -> Days:
    """The last 28 complete days before today."""
    return Days(today - timedelta(days=DEFAULT_DAYS), today - timedelta(days=1))


def previous(days: Days) -> Days:
    """The period of the same length that ends the day before `days` starts."""
    return Days(days.first - timedelta(days=days.length), days.first - timedelta(days=1))


def year_earlier(day: date) -> date:
    """The same date one year earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return date(day.year - 1, 2, 28)


def last_year(days: Days) -> Days:
    """The same dates one year earlier (a range ending on 29 February ends on the 28th, a day shorter)."""
    return Days(year_earlier(days.first), year_earlier(days.last))


def reference(against: Against, days: Days) -> Days:
    """The days B covers when A covers `days` (period comparisons only)."""
    if against is Against.PREVIOUS:
        return previous(days)
    if against is Against.LAST_YEAR:
        return last_year(days)
    raise ValueError("another campaign has its own days")


@dataclass(frozen=True)
class Group:
    """One row's input: its key and label, A's and B's counts, and which touchpoints were pooled into each side."""

    key: str
    label: str
    a: GroupCounts
    b: GroupCounts
    names_a: tuple[str, ...] = ()
    names_b: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    """One row of the comparison: both sides' numbers and one result per metric asked on either side."""

    key: str
    label: str
    a: Summary
    b: Summary
    results: tuple[Result, ...]
    names_a: tuple[str, ...] = ()
    names_b: tuple[str, ...] = ()

    @property
    def total(self) -> bool:
        """Whether this is the campaign's total row."""
        return self.key == TOTAL

    @property
    def pooled(self) -> bool:
        """Whether a side sums several touchpoints (campaign comparisons sharing a channel and phase)."""
        return len(self.names_a) > 1 or len(self.names_b) > 1

    def result(self, test: Comparison) -> Result | None:
        """The result of one metric, None when neither side was asked it."""
        return next((r for r in self.results if r.test is test), None)


@dataclass(frozen=True)
class PeriodComparison:
    """The campaign total first, then its rows; the days of each side and the touchpoints left unmatched."""

    against: Against
    lines: tuple[Line, ...]
    a_days: Span = (None, None)
    b_days: Span = (None, None)
    only_a: tuple[str, ...] = field(default_factory=tuple)
    only_b: tuple[str, ...] = field(default_factory=tuple)
    #: The other campaign (campaign comparisons): its id and name.
    other_id: int | None = None
    other_name: str = ""


def _one(test: Comparison, a: Summary, b: Summary) -> Result | None:
    """`comparisons.compare_one`, but a metric answered on one side only is "too few" rather than absent."""
    found = comparisons.compare_one(test, a, b)
    if found is not None or test not in METRICS:
        return found
    n_a, n_b = a.n(METRICS[test]), b.n(METRICS[test])
    if not (n_a or n_b):
        return None
    return Result(test, n_a, n_b, None, None, None, None, None, "", Verdict.TOO_FEW)


def compare(
    against: Against,
    total: Group,
    groups: Sequence[Group],
    days: tuple[Span, Span] = ((None, None), (None, None)),
    unmatched: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    other: tuple[int | None, str] = (None, ""),
) -> PeriodComparison:
    """The total (one test per metric) and the rows (one Holm family per metric over the rows tested)."""
    summaries = [(g, summarise(g.a), summarise(g.b)) for g in (total, *groups)]
    found: list[list[Result]] = [[] for _ in summaries]
    for test in PAIR_TESTS:
        results = [_one(test, a, b) for _, a, b in summaries]
        head, rows = results[0], results[1:]
        if head is not None:
            found[0].append(comparisons.adjust([head])[0])
        present = [(i, r) for i, r in enumerate(rows, start=1) if r is not None]
        for (i, _), adjusted in zip(present, comparisons.adjust([r for _, r in present]), strict=True):
            found[i].append(adjusted)
    lines = tuple(
        Line(g.key, g.label, a, b, tuple(results), g.names_a, g.names_b)
        for (g, a, b), results in zip(summaries, found, strict=True)
    )
    return PeriodComparison(against, lines, days[0], days[1], unmatched[0], unmatched[1], other[0], other[1])


@dataclass(frozen=True)
class Week:
    """One ISO week (Monday first) of the trend: its NPS and completion rate with their intervals."""

    start: date
    label: str
    nps: stats.NpsEstimate
    completion_rate: stats.Proportion | None
    #: The week lies partly outside the chosen days, so it counts fewer than seven days.
    partial: bool = False

    @property
    def enough(self) -> bool:
        """At least 10 NPS answers: drawn solid with its band; fewer are drawn hollow and not joined."""
        return stats.testable(self.nps.n)


def weeks(rows: Sequence[tuple[date, str, Summary]], first: date | None = None, last: date | None = None) -> list[Week]:
    """The trend's weeks from weekly summaries (Monday, label, summary), marking weeks cut by the chosen days."""
    return [
        Week(
            start,
            label,
            summary.nps,
            summary.completion_rate,
            (first is not None and start < first) or (last is not None and start + timedelta(days=6) > last),
        )
        for start, label, summary in rows
    ]
