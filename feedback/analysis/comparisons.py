"""Comparisons between two groups, pure: two summaries in, tests with Holm-adjusted p-values out (STATS.md §3–§7)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

from feedback.analysis import stats
from feedback.analysis.ratings import Metric, Summary


class Comparison(enum.StrEnum):
    """Which comparison a result is."""

    NPS = "nps"  # adjusted-Wald z-test of two NPS
    CSAT = "csat"  # Mann–Whitney U on the 1–5 answers
    CES = "ces"  # Mann–Whitney U on the 1–7 answers
    LOYALTY = "loyalty"  # Mann–Whitney U on the loyalty items
    RESPONSE_RATE = "response_rate"  # completions per scan: χ² or Fisher
    BENCHMARK = "benchmark"  # NPS against a fixed value, one-sided


class Verdict(enum.StrEnum):
    """What a result lets a marketer say."""

    HIGHER = "higher"
    LOWER = "lower"
    NOT_ENOUGH_EVIDENCE = "not_enough_evidence"
    NO_VARIATION = "no_variation"
    TOO_FEW = "too_few"  # a side has fewer than 10 answers: no test shown


@dataclass(frozen=True)
class Result:
    """One comparison of A against B; `diff` is A − B on the metric's own scale (points, mean or share)."""

    test: Comparison
    n_a: int
    n_b: int
    diff: float | None
    ci: stats.Interval | None
    p: float | None
    p_adjusted: float | None
    method: str
    verdict: Verdict
    #: The value A was tested against (benchmark comparisons only).
    benchmark: float | None = None


def _verdict(diff: float | None, p_adjusted: float | None) -> Verdict:
    if diff is None or p_adjusted is None:
        return Verdict.TOO_FEW
    if p_adjusted < stats.ALPHA:
        return Verdict.HIGHER if diff > 0 else Verdict.LOWER
    return Verdict.NOT_ENOUGH_EVIDENCE


def _too_few(test: Comparison, n_a: int, n_b: int, diff: float | None) -> Result:
    return Result(test, n_a, n_b, diff, None, None, None, "", Verdict.TOO_FEW)


def _nps(a: Summary, b: Summary) -> Result:
    n_a, n_b = a.nps.n, b.nps.n
    raw_diff = a.nps.nps - b.nps.nps if a.nps.nps is not None and b.nps.nps is not None else None
    if not (stats.testable(n_a) and stats.testable(n_b)):
        return _too_few(Comparison.NPS, n_a, n_b, raw_diff)
    result = stats.compare_nps(a.nps, b.nps)
    assert result is not None
    return Result(Comparison.NPS, n_a, n_b, result.diff, result.ci, result.p, None, "adjusted_wald_z", Verdict.TOO_FEW)


def _ordinal(
    test: Comparison, metric: Metric, mean_a: float | None, mean_b: float | None, a: Summary, b: Summary
) -> Result:
    counts_a, counts_b = a.counts.of(metric), b.counts.of(metric)
    n_a, n_b = sum(counts_a.values()), sum(counts_b.values())
    diff = mean_a - mean_b if mean_a is not None and mean_b is not None else None
    if not (stats.testable(n_a) and stats.testable(n_b)):
        return _too_few(test, n_a, n_b, diff)
    result = stats.mann_whitney(counts_a, counts_b)
    assert result is not None
    if result.no_variation:
        return Result(test, n_a, n_b, diff, None, 1.0, None, "none", Verdict.NO_VARIATION)
    return Result(test, n_a, n_b, diff, None, result.p, None, f"mann_whitney_{result.method}", Verdict.TOO_FEW)


def _response_rate(a: Summary, b: Summary) -> Result:
    ca, cb = a.counts, b.counts
    share_a = a.response_rate.share if a.response_rate else None
    share_b = b.response_rate.share if b.response_rate else None
    diff = share_a - share_b if share_a is not None and share_b is not None else None
    if (
        a.response_rate is None
        or b.response_rate is None
        or not (stats.testable(ca.scans) and stats.testable(cb.scans))
    ):
        return _too_few(Comparison.RESPONSE_RATE, ca.scans, cb.scans, diff)
    result = stats.compare_rates(ca.completions, ca.scans, cb.completions, cb.scans)
    assert result is not None
    if result.no_variation:
        return Result(Comparison.RESPONSE_RATE, ca.scans, cb.scans, diff, None, 1.0, None, "none", Verdict.NO_VARIATION)
    return Result(
        Comparison.RESPONSE_RATE, ca.scans, cb.scans, diff, None, result.p, None, result.test, Verdict.TOO_FEW
    )


def adjust(results: Sequence[Result]) -> list[Result]:
    """Holm-adjust the p-values of the results that have one (the family shown together) and give verdicts."""
    tested = [i for i, r in enumerate(results) if r.p is not None and r.verdict is not Verdict.NO_VARIATION]
    adjusted = stats.holm([results[i].p for i in tested])  # type: ignore[misc]
    out = list(results)
    for i, p in zip(tested, adjusted, strict=True):
        out[i] = replace(results[i], p_adjusted=p, verdict=_verdict(results[i].diff, p))
    return out


def compare(a: Summary, b: Summary) -> list[Result]:
    """NPS, CSAT, CES, loyalty and response rate of A against B, each where both sides were asked."""
    results = [_response_rate(a, b)]
    if a.nps.n and b.nps.n:
        results.insert(0, _nps(a, b))
    for test, metric, mean_a, mean_b in (
        (Comparison.CSAT, Metric.CSAT, a.csat.share, b.csat.share),
        (Comparison.CES, Metric.CES, a.ces.mean, b.ces.mean),
        (Comparison.LOYALTY, Metric.LOYALTY, a.loyalty.mean, b.loyalty.mean),
    ):
        if a.n(metric) and b.n(metric):  # a metric one side never asked is no comparison
            results.append(_ordinal(test, metric, mean_a, mean_b, a, b))
    return adjust(results)


def against_benchmark(a: Summary, benchmark: float) -> Result:
    """A's NPS against a benchmark NPS (e.g. the industry's), one-sided."""
    if not stats.testable(a.nps.n):
        diff = a.nps.nps - benchmark if a.nps.nps is not None else None
        return replace(_too_few(Comparison.BENCHMARK, a.nps.n, 0, diff), benchmark=benchmark)
    result = stats.nps_against_benchmark(a.nps, benchmark)
    assert result is not None
    verdict = (
        (Verdict.HIGHER if result.above else Verdict.LOWER) if result.p < stats.ALPHA else Verdict.NOT_ENOUGH_EVIDENCE
    )
    return Result(
        Comparison.BENCHMARK, a.nps.n, 0, result.diff, None, result.p, result.p, "one_sided_z", verdict, benchmark
    )


def across(summaries: Sequence[Summary]) -> dict[Metric, stats.KruskalWallis]:
    """Kruskal–Wallis across all groups, per metric with answers in at least two groups."""
    results = {}
    for metric in Metric:
        groups = [s.counts.of(metric) for s in summaries]
        result = stats.kruskal_wallis(groups)
        if result is not None:
            results[metric] = result
    return results
