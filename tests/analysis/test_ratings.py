"""Rating rows, ranking, quadrants, advice and comparisons from counts (no app, no database)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from scipy import stats as sps

from feedback.analysis import comparisons, ratings, stats
from feedback.analysis.comparisons import Comparison, Verdict
from feedback.analysis.ratings import TouchpointInput
from feedback.analysis.summaries import GroupCounts, Metric, summarise, total
from feedback.surveys.questions import QuestionType as Q
from tests.helpers import rating_input


def touchpoint(id: int, nps: dict[int, int], csat: dict[int, int] | None = None, **kw: object) -> TouchpointInput:
    """A rating input with 5 more survey starts than completions."""
    made = rating_input(id, nps, csat, **kw)  # type: ignore[arg-type]
    return replace(made, counts=replace(made.counts, starts=made.counts.starts + 5))


CAMPAIGN = [
    touchpoint(1, {10: 40, 9: 20, 8: 10, 5: 5}, {5: 30, 4: 30, 3: 10, 2: 5}, scans=400, visitors=300),
    touchpoint(2, {10: 5, 8: 20, 6: 20, 3: 15}, {5: 5, 4: 15, 3: 25, 2: 15}, scans=300, visitors=250),
    touchpoint(3, {10: 3}, {5: 3}, scans=10, visitors=9),
    touchpoint(4, {9: 12, 7: 10, 4: 8}, {4: 15, 3: 15}, scans=60, visitors=50),
    touchpoint(5, {}, None, scans=0, visitors=0, cost=None, reach=None),
]


def test_rows_carry_exact_counts_rates_and_costs() -> None:
    """Funnel rates with Wilson intervals; cost per scan / completion / promoter in cents."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    row = next(r for r in result.rows if r.touchpoint.id == 1)
    assert row.summary.nps.nps == pytest.approx(100 * (60 - 5) / 75)
    assert row.summary.response_rate.k == 75 and row.summary.response_rate.n == 400
    assert row.summary.completion_rate.share == pytest.approx(75 / 80)
    assert row.scan_rate == pytest.approx(0.3)  # visitors counted per day ÷ reach: no interval
    assert row.cost_per_scan == Decimal("1.25")
    assert row.cost_per_completion == Decimal("6.67")
    assert row.cost_per_promoter == Decimal("8.33")
    assert row.summary.csat.k == 60 and row.summary.csat.n == 75
    assert row.summary.csat_mean.mean == pytest.approx((150 + 120 + 30 + 10) / 75)


def test_the_small_perfect_touchpoint_is_rated_but_not_ranked() -> None:
    """n = 3 all top: shrunk below 100, flagged, after every ranked touchpoint."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    ranked = [r for r in result.rows if r.ranked]
    assert [r.rank for r in ranked] == [1, 2, 3]
    small = next(r for r in result.rows if r.touchpoint.id == 3)
    assert not small.ranked and small.rank is None and small.rating < 100
    assert small.flag is stats.SampleFlag.INSUFFICIENT
    assert result.rows.index(small) > result.rows.index(ranked[-1])
    assert ranked[0].touchpoint.id == 1 and ranked[-1].touchpoint.id == 2
    assert all(a.ranking_key >= b.ranking_key for a, b in zip(ranked, ranked[1:], strict=False))


def test_a_touchpoint_without_answers_has_no_rating_and_no_interval() -> None:
    """n = 0 (STATS.md §11): nulls, never NaN, and no rating at all (not the campaign mean with an interval); not
    ranked, no quadrant, advice 'measure'."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    empty = next(r for r in result.rows if r.touchpoint.id == 5)
    assert empty.summary.nps.nps is None and empty.summary.response_rate.share is None
    assert empty.rating is None and empty.rating_ci is None and empty.rating_sd is None
    assert not empty.ranked and empty.quadrant is None and empty.advice is ratings.Advice.MEASURE
    assert empty.position is None and empty.flag is stats.SampleFlag.NO_DATA


def test_quadrants_describe_the_ranked_touchpoints_and_advice_follows_the_test_against_the_campaign() -> None:
    """Quadrants are median splits of the ranked touchpoints (descriptive names); the advice comes from the position
    against the rest of the campaign: 1 is significantly above with more visitors than the median (keep), 2 below
    with more visitors (improve), 4 below with fewer (rethink or cut); 3 has 3 answers (measure)."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    by_id = {r.touchpoint.id: r for r in result.rows}
    assert by_id[1].quadrant is ratings.Quadrant.HIGH_WIDE
    assert by_id[2].quadrant is ratings.Quadrant.LOW_WIDE
    assert by_id[1].position is ratings.Position.ABOVE and by_id[1].evidence.p_adjusted < stats.ALPHA
    assert by_id[2].position is ratings.Position.BELOW
    assert by_id[1].advice is ratings.Advice.KEEP
    assert by_id[2].advice is ratings.Advice.IMPROVE
    assert by_id[3].advice is ratings.Advice.MEASURE and by_id[3].quadrant is None


def test_more_visitors_than_reach_gives_no_scan_rate() -> None:
    """A numerator above its denominator is a data error, not a rate above 100 %."""
    result = ratings.rate_touchpoints([touchpoint(1, {9: 3}, visitors=50, reach=20)])
    assert result.rows[0].scan_rate is None


def test_two_touchpoints_are_compared_on_every_metric_each_in_its_fixed_family() -> None:
    """NPS z-test, CSAT by χ² on the top-2-box shares, response rate χ²; each metric Holm-adjusted over all pairs of
    the campaign's touchpoints with at least 10 answers (1–2, 1–4, 2–4), whichever pair is looked at."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    groups = {r.touchpoint.id: r.summary for r in result.rows}
    a, b = groups[1], groups[2]
    found = {r.test: r for r in comparisons.pairwise(groups, 1, 2)}
    assert set(found) == {Comparison.NPS, Comparison.CSAT, Comparison.RESPONSE_RATE}
    table = [[a.csat.k, a.csat.n - a.csat.k], [b.csat.k, b.csat.n - b.csat.k]]
    assert found[Comparison.CSAT].p == pytest.approx(sps.chi2_contingency(table, correction=False).pvalue)
    assert found[Comparison.CSAT].effect == pytest.approx(a.csat.share - b.csat.share)
    pairs = [(1, 2), (1, 4), (2, 4)]
    raw = [stats.compare_nps(groups[x].nps, groups[y].nps).p for x, y in pairs]
    assert found[Comparison.NPS].p_adjusted == pytest.approx(stats.holm(raw)[0])
    assert found[Comparison.NPS].family == 3
    assert found[Comparison.NPS].verdict is Verdict.HIGHER
    assert found[Comparison.NPS].effect == pytest.approx(a.nps.nps - b.nps.nps)
    reverse = {r.test: r for r in comparisons.pairwise(groups, 2, 1)}
    assert reverse[Comparison.NPS].p_adjusted == pytest.approx(found[Comparison.NPS].p_adjusted)
    assert reverse[Comparison.NPS].verdict is Verdict.LOWER


def test_small_samples_get_no_test_and_self_comparison_finds_nothing() -> None:
    """n < 10 on a side: 'too few'; a touchpoint with itself: p = 1, not enough evidence."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    groups = {r.touchpoint.id: r.summary for r in result.rows}
    assert all(
        r.verdict is Verdict.TOO_FEW
        for r in comparisons.pairwise(groups, 1, 3)
        if r.test is not Comparison.RESPONSE_RATE
    )
    itself = {r.test: r for r in comparisons.pairwise({"x": groups[1], "y": groups[1]}, "x", "y")}
    assert itself[Comparison.NPS].p == pytest.approx(1.0)
    assert itself[Comparison.NPS].verdict is Verdict.NOT_ENOUGH_EVIDENCE


def test_identical_answers_everywhere_have_no_variation() -> None:
    """All CSAT answers 4 on both sides: no test statistic, 'no variation'."""
    a = summarise(GroupCounts(answers={Q.CSAT: {4: 12}}, scans=20, completions=12, starts=12))
    b = summarise(GroupCounts(answers={Q.CSAT: {4: 15}}, scans=30, completions=15, starts=15))
    found = {r.test: r for r in comparisons.pairwise({"a": a, "b": b}, "a", "b")}
    assert found[Comparison.CSAT].verdict is Verdict.NO_VARIATION
    assert next(r for r in comparisons.across([a, b]) if r.metric is Metric.CSAT).no_variation


def test_rest_of_campaign_is_the_total_minus_the_touchpoint() -> None:
    """Counts subtract per answer value."""
    everything = total(tp.counts for tp in CAMPAIGN)
    rest = everything - CAMPAIGN[0].counts
    assert rest.of(Metric.NPS)[10] == 5 + 3
    assert rest.scans == 300 + 10 + 60


def test_benchmark_comparison_is_two_sided_unless_a_direction_was_named() -> None:
    """NPS 73 on 75 answers is clearly above an industry NPS of 30; the two-sided p is twice the one-sided one."""
    summary = summarise(CAMPAIGN[0].counts)
    result = comparisons.against_benchmark(summary, 30)
    above = comparisons.against_benchmark(summary, 30, stats.Side.ABOVE)
    assert result.verdict is Verdict.HIGHER and result.p < 0.001 and result.side is stats.Side.TWO_SIDED
    assert result.p == pytest.approx(2 * above.p)
    below = comparisons.against_benchmark(summary, 30, stats.Side.BELOW)
    assert below.verdict is Verdict.NOT_ENOUGH_EVIDENCE and below.p > 0.99
    assert comparisons.against_benchmark(summarise(GroupCounts()), 30).verdict is Verdict.TOO_FEW
