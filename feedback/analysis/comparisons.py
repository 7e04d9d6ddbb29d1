"""Comparisons between groups, pure: summaries in, tests with Holm-adjusted p-values out (STATS.md §3–§7, §11).

One test, one direction: a result's direction, size and p come from the same test — an NPS difference from the
adjusted-Wald z-test, a share difference (CSAT top-2-box, response rate) from χ² or Fisher on that share, a scale
(effort, loyalty) from Mann–Whitney U with its probability of superiority. Families are fixed, so the same
comparison shows the same adjusted p wherever it appears: per metric, all pairs of the groups with at least 10
answers (`pairwise`), or every such group against the rest of its campaign (`against_rest`).
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from feedback.analysis import stats
from feedback.analysis.summaries import GroupCounts, Metric, Summary, summarise


class Comparison(enum.StrEnum):
    """Which comparison a result is."""

    NPS = "nps"  # adjusted-Wald z-test of two NPS
    CSAT = "csat"  # top-2-box shares: χ² or Fisher
    CES = "ces"  # Mann–Whitney U on the 1–7 answers
    LOYALTY = "loyalty"  # Mann–Whitney U on the loyalty items
    RESPONSE_RATE = "response_rate"  # completions per scan: χ² or Fisher
    BENCHMARK = "benchmark"  # NPS against a fixed value


class Effect(enum.StrEnum):
    """What a result's effect measures."""

    POINTS = "points"  # NPS difference in points
    SHARE = "share"  # difference of two shares, −1…1
    SUPERIORITY = "superiority"  # probability that an answer at A is higher than one at B (ties count half)


EFFECTS: dict[Comparison, Effect] = {
    Comparison.NPS: Effect.POINTS,
    Comparison.BENCHMARK: Effect.POINTS,
    Comparison.CSAT: Effect.SHARE,
    Comparison.RESPONSE_RATE: Effect.SHARE,
    Comparison.CES: Effect.SUPERIORITY,
    Comparison.LOYALTY: Effect.SUPERIORITY,
}
#: The comparisons of two groups, in the order they are shown.
PAIR_TESTS = (Comparison.NPS, Comparison.CSAT, Comparison.CES, Comparison.LOYALTY, Comparison.RESPONSE_RATE)
METRICS: dict[Comparison, Metric] = {
    Comparison.NPS: Metric.NPS,
    Comparison.CSAT: Metric.CSAT,
    Comparison.CES: Metric.CES,
    Comparison.LOYALTY: Metric.LOYALTY,
}


class Verdict(enum.StrEnum):
    """What a result lets a marketer say."""

    HIGHER = "higher"
    LOWER = "lower"
    NOT_ENOUGH_EVIDENCE = "not_enough_evidence"
    NO_VARIATION = "no_variation"
    TOO_FEW = "too_few"  # a side has fewer than 10 answers: no test shown


@dataclass(frozen=True)
class Result:
    """One comparison of A against B."""

    test: Comparison
    n_a: int
    n_b: int
    #: The tested effect of A against B: NPS points (raw), share difference, or probability of superiority.
    effect: float | None
    #: The centre of `ci`: the adjusted-Wald difference for NPS, the effect itself otherwise.
    centre: float | None
    ci: stats.Interval | None
    p: float | None
    p_adjusted: float | None
    method: str
    verdict: Verdict
    #: +1 when the test finds A above B, −1 below, 0 when it cannot tell (the sign of the tested quantity).
    direction: int = 0
    #: How many tests share the Holm adjustment (1: unadjusted).
    family: int = 1
    #: The value A was tested against (benchmark comparisons only) and the alternative taken.
    benchmark: float | None = None
    side: stats.Side = stats.Side.TWO_SIDED

    @property
    def kind(self) -> Effect:
        """What `effect` measures."""
        return EFFECTS[self.test]

    @property
    def tested(self) -> bool:
        """Whether a p-value exists (both sides large enough and with variation)."""
        return self.p is not None and self.verdict is not Verdict.NO_VARIATION


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _too_few(test: Comparison, n_a: int, n_b: int, effect: float | None = None) -> Result:
    return Result(test, n_a, n_b, effect, effect, None, None, None, "", Verdict.TOO_FEW)


def _no_variation(test: Comparison, n_a: int, n_b: int, effect: float | None) -> Result:
    return Result(test, n_a, n_b, effect, effect, None, 1.0, None, "none", Verdict.NO_VARIATION)


def _nps(a: Summary, b: Summary) -> Result:
    n_a, n_b = a.nps.n, b.nps.n
    if not (stats.testable(n_a) and stats.testable(n_b)):
        return _too_few(Comparison.NPS, n_a, n_b)
    found = stats.compare_nps(a.nps, b.nps)
    assert found is not None
    return Result(
        Comparison.NPS,
        n_a,
        n_b,
        found.diff,
        found.diff_adj,
        found.ci,
        found.p,
        None,
        "adjusted_wald_z",
        Verdict.TOO_FEW,
        direction=_sign(found.z),
    )


def _shares(test: Comparison, a: stats.Proportion | None, b: stats.Proportion | None) -> Result:
    if a is None or b is None:
        return _too_few(test, a.n if a else 0, b.n if b else 0)
    if not (stats.testable(a.n) and stats.testable(b.n)):
        return _too_few(test, a.n, b.n)
    found = stats.compare_rates(a.k, a.n, b.k, b.n)
    assert found is not None
    if found.no_variation:
        return _no_variation(test, a.n, b.n, found.diff)
    return Result(
        test, a.n, b.n, found.diff, found.diff, found.ci, found.p, None, found.test, Verdict.TOO_FEW, _sign(found.diff)
    )


def _scale(test: Comparison, a: Summary, b: Summary) -> Result:
    metric = METRICS[test]
    counts_a, counts_b = a.counts.of(metric), b.counts.of(metric)
    n_a, n_b = a.n(metric), b.n(metric)
    if not (stats.testable(n_a) and stats.testable(n_b)):
        return _too_few(test, n_a, n_b)
    found = stats.mann_whitney(counts_a, counts_b)
    assert found is not None
    if found.no_variation:
        return _no_variation(test, n_a, n_b, 0.5)
    superiority = found.prob_superiority
    return Result(
        test,
        n_a,
        n_b,
        superiority,
        superiority,
        None,
        found.p,
        None,
        f"mann_whitney_{found.method}",
        Verdict.TOO_FEW,
        _sign(superiority - 0.5),
    )


def compare_one(test: Comparison, a: Summary, b: Summary) -> Result | None:
    """One unadjusted comparison of A against B; None when a side was never asked the metric."""
    if test in METRICS and not (a.n(METRICS[test]) and b.n(METRICS[test])):
        return None
    if test is Comparison.NPS:
        return _nps(a, b)
    if test is Comparison.CSAT:
        return _shares(test, a.csat, b.csat)
    if test is Comparison.RESPONSE_RATE:
        if not (a.counts.scans or b.counts.scans):
            return None
        return _shares(test, a.response_rate, b.response_rate)
    return _scale(test, a, b)


def _verdict(result: Result, p_adjusted: float) -> Verdict:
    if p_adjusted < stats.ALPHA and result.direction:
        return Verdict.HIGHER if result.direction > 0 else Verdict.LOWER
    return Verdict.NOT_ENOUGH_EVIDENCE


def adjust(results: Sequence[Result]) -> list[Result]:
    """Holm-adjust the results that were tested (one family) and give verdicts; the others pass unchanged."""
    tested = [i for i, r in enumerate(results) if r.tested]
    adjusted = stats.holm([results[i].p for i in tested])  # type: ignore[misc]
    out = list(results)
    for i, p in zip(tested, adjusted, strict=True):
        out[i] = replace(results[i], p_adjusted=p, verdict=_verdict(results[i], p), family=len(tested))
    return out


K = TypeVar("K", bound=Hashable)


def pairwise(groups: Mapping[K, Summary], a: K, b: K) -> list[Result]:
    """A against B on every metric both were asked, each Holm-adjusted within its fixed family: all pairs of the
    listed groups that have at least 10 answers of that metric (responses per scan: 10 scans)."""
    keys = list(groups)
    results = []
    for test in PAIR_TESTS:
        mine = compare_one(test, groups[a], groups[b])
        if mine is None:
            continue
        if not mine.tested:
            results.append(mine)
            continue
        family = [
            found
            for i, x in enumerate(keys)
            for y in keys[i + 1 :]
            if {x, y} != {a, b} and (found := compare_one(test, groups[x], groups[y])) is not None and found.tested
        ]
        results.append(adjust([mine, *family])[0])
    return results


def against_rest(groups: Mapping[K, Summary], everything: GroupCounts) -> dict[K, list[Result]]:
    """Every group against the rest of the campaign on every metric, Holm-adjusted per metric over the groups."""
    rests = {key: summarise(everything - summary.counts) for key, summary in groups.items()}
    found: dict[K, list[Result]] = {key: [] for key in groups}
    for test in PAIR_TESTS:
        per_group = {key: compare_one(test, summary, rests[key]) for key, summary in groups.items()}
        present = [(key, r) for key, r in per_group.items() if r is not None]
        for (key, _), result in zip(present, adjust([r for _, r in present]), strict=True):
            found[key].append(result)
    return found


def against_benchmark(a: Summary, benchmark: float, side: stats.Side = stats.Side.TWO_SIDED) -> Result:
    """A's NPS against a benchmark NPS (e.g. the industry's): two-sided unless a direction was named first."""
    if not stats.testable(a.nps.n):
        return replace(_too_few(Comparison.BENCHMARK, a.nps.n, 0), benchmark=benchmark, side=side)
    found = stats.nps_against_benchmark(a.nps, benchmark, side)
    assert found is not None
    direction = _sign(found.z) if side is stats.Side.TWO_SIDED else (1 if side is stats.Side.ABOVE else -1)
    result = Result(
        Comparison.BENCHMARK,
        a.nps.n,
        0,
        found.diff,
        found.diff_adj,
        found.ci,
        found.p,
        found.p,
        "one_sided_z" if side is not stats.Side.TWO_SIDED else "adjusted_wald_z",
        Verdict.TOO_FEW,
        direction,
        1,
        benchmark,
        side,
    )
    return replace(result, verdict=_verdict(result, found.p))


@dataclass(frozen=True)
class Across:
    """Whether the groups differ at all on one metric: NPS by χ² on the detractor/passive/promoter counts, the CSAT
    share by χ² on top-2-box counts (Fisher by permutation for small expected counts), scales by Kruskal–Wallis;
    only groups with at least 10 answers take part; Holm-adjusted over the metrics shown together."""

    metric: Metric
    method: str  # "chi2" | "fisher" | "kruskal_wallis" | "none"
    statistic: float | None
    df: int
    p: float
    p_adjusted: float | None
    groups: int
    #: Groups with 1–9 answers, left out of the test.
    excluded: int
    no_variation: bool

    @property
    def verdict(self) -> Verdict:
        """Differ (HIGHER stands for 'they differ'), not enough evidence, or no variation."""
        if self.no_variation:
            return Verdict.NO_VARIATION
        if self.p_adjusted is not None and self.p_adjusted < stats.ALPHA:
            return Verdict.HIGHER
        return Verdict.NOT_ENOUGH_EVIDENCE


def _across_one(metric: Metric, summaries: Sequence[Summary]) -> Across | None:
    answered = [s for s in summaries if s.n(metric)]
    testable = [s for s in answered if stats.testable(s.n(metric))]
    excluded = len(answered) - len(testable)
    if len(testable) < 2:
        return None
    if metric in (Metric.NPS, Metric.CSAT):
        table = (
            [[s.nps.promoters, s.nps.passives, s.nps.detractors] for s in testable]
            if metric is Metric.NPS
            else [[s.csat.k, s.csat.n - s.csat.k] for s in testable]
        )
        found = stats.contingency(table)
        assert found is not None
        return Across(
            metric, found.test, found.statistic, found.df, found.p, None, found.groups, excluded, found.no_variation
        )
    kw = stats.kruskal_wallis([s.counts.of(metric) for s in testable])
    assert kw is not None
    method = "none" if kw.no_variation else "kruskal_wallis"
    return Across(metric, method, kw.h, kw.df, kw.p, None, kw.groups, excluded, kw.no_variation)


def across(summaries: Sequence[Summary]) -> list[Across]:
    """Per metric answered in at least two groups of 10 or more answers, whether the groups differ."""
    found = [r for metric in Metric if (r := _across_one(metric, summaries)) is not None]
    tested = [i for i, r in enumerate(found) if not r.no_variation]
    for i, p in zip(tested, stats.holm([found[i].p for i in tested]), strict=True):
        found[i] = replace(found[i], p_adjusted=p)
    return found
