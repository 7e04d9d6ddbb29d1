"""Which lead activities go with winning, pure: counts in, frozen results out (no Flask, no SQL).

Per activity, the leads that had it (before they were won) against the leads that did not: the share of each that
was won with its Wilson 95 % interval, the difference with Newcombe's interval and its test (STATS.md §4: χ² without
correction, Fisher's exact test when an expected count is below 5), Holm-adjusted over the activities tested
(§7). A test is run only when both groups hold at least 10 leads (§9). A relative weight is suggested only for an
activity whose adjusted test is significant: the strongest positive difference is 100, the others in proportion to
their difference; an activity that goes significantly with fewer wins is suggested 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feedback.analysis import stats
from feedback.analysis.stats import ALPHA, Interval, InvalidCounts, Proportion, RateComparison

#: Below this many won leads, or this many leads, the evidence is thin and the page says so.
FEW_WON, FEW_LEADS = 10, 30


@dataclass(frozen=True)
class ActivityCount:
    """Of the leads counted, how many had the activity (before they were won), and how many of those were won."""

    activity: str
    leads: int
    won: int


@dataclass(frozen=True)
class ActivityEvidence:
    """How one activity relates to winning."""

    activity: str
    #: The won share of the leads with the activity, and of those without it.
    with_activity: Proportion
    without_activity: Proportion
    #: The test of the difference; None when a group has fewer than 10 leads (no test shown).
    comparison: RateComparison | None
    #: Holm-adjusted p over the activities tested; None when not tested.
    p_adjusted: float | None
    #: Tests adjusted together (the family).
    family: int
    significant: bool
    #: Suggested relative weight, 0–100 (100: the strongest significant activity); None unless significant.
    weight: int | None

    @property
    def diff(self) -> float | None:
        """Won share with − won share without (0…1), where both groups have leads."""
        if self.with_activity.share is None or self.without_activity.share is None:
            return None
        return self.with_activity.share - self.without_activity.share

    @property
    def ci(self) -> Interval | None:
        """Newcombe's 95 % interval of the difference, where both groups have leads."""
        if self.with_activity.n == 0 or self.without_activity.n == 0:
            return None
        return stats.newcombe(self.with_activity, self.without_activity)


@dataclass(frozen=True)
class WeightEvidence:
    """Every activity's evidence, with the numbers of leads and won leads it rests on."""

    leads: int
    won: int
    activities: tuple[ActivityEvidence, ...]

    @property
    def small(self) -> bool:
        """Fewer than FEW_WON won leads or FEW_LEADS leads: intervals are wide, suggestions unstable."""
        return self.won < FEW_WON or self.leads < FEW_LEADS

    @property
    def overall(self) -> Proportion:
        """The won share of all leads counted."""
        return stats.wilson(self.won, self.leads)


def _checked(leads: int, won: int, counts: Sequence[ActivityCount]) -> None:
    if leads < 0 or won < 0 or won > leads:
        raise InvalidCounts(f"{won} won of {leads} leads")
    for count in counts:
        if count.leads < 0 or count.won < 0 or count.won > count.leads:
            raise InvalidCounts(f"{count.activity}: {count.won} won of {count.leads} leads")
        if count.leads > leads or count.won > won:
            raise InvalidCounts(f"{count.activity}: more leads or wins than there are")


def suggest(leads: int, won: int, counts: Sequence[ActivityCount]) -> WeightEvidence:
    """The evidence per activity for `leads` leads of which `won` were won.

    :raises InvalidCounts: negative counts, more won than leads, or an activity with more leads or wins than all.
    """
    _checked(leads, won, counts)
    found: list[tuple[ActivityCount, Proportion, Proportion, RateComparison | None]] = []
    for count in counts:
        rest_leads, rest_won = leads - count.leads, won - count.won
        comparison = None
        if stats.testable(count.leads) and stats.testable(rest_leads):
            comparison = stats.compare_rates(count.won, count.leads, rest_won, rest_leads)
        found.append((count, stats.wilson(count.won, count.leads), stats.wilson(rest_won, rest_leads), comparison))
    tested = [i for i, (_c, _a, _b, comparison) in enumerate(found) if comparison is not None]
    adjusted = dict(zip(tested, stats.holm([found[i][3].p for i in tested]), strict=True))  # type: ignore[union-attr]
    significant = {i for i, p in adjusted.items() if p < ALPHA and not found[i][3].no_variation}  # type: ignore[union-attr]
    rises = {i: found[i][1].share - found[i][2].share for i in significant}  # type: ignore[operator]
    strongest = max((d for d in rises.values() if d > 0), default=0.0)
    evidence = []
    for i, (count, with_activity, without_activity, comparison) in enumerate(found):
        weight = None
        if i in significant:
            weight = round(100 * rises[i] / strongest) if rises[i] > 0 and strongest > 0 else 0
        evidence.append(
            ActivityEvidence(
                activity=count.activity,
                with_activity=with_activity,
                without_activity=without_activity,
                comparison=comparison,
                p_adjusted=adjusted.get(i),
                family=len(tested),
                significant=i in significant,
                weight=weight,
            )
        )
    return WeightEvidence(leads=leads, won=won, activities=tuple(evidence))
