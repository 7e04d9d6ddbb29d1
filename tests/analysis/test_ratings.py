"""Rating rows, ranking, quadrants, advice and comparisons from counts (no app, no database)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from scipy import stats as sps

from feedback.analysis import comparisons, ratings, stats
from feedback.analysis.comparisons import Comparison, Verdict
from feedback.analysis.ratings import GroupCounts, Metric, TouchpointInput
from feedback.surveys.questions import QuestionType as Q


def touchpoint(
    id: int,
    nps: dict[int, int],
    csat: dict[int, int] | None = None,
    scans: int = 100,
    visitors: int = 80,
    cost: str | None = "500",
    reach: int | None = 1000,
) -> TouchpointInput:
    """A touchpoint input whose survey asks NPS (and CSAT when given)."""
    answers = {Q.NPS: nps} | ({Q.CSAT: csat} if csat else {})
    n = sum(nps.values())
    return TouchpointInput(
        id=id,
        name=f"TP {id}",
        channel="flyer",
        phase="awareness",
        cost=Decimal(cost) if cost else None,
        reach=reach,
        counts=GroupCounts(scans=scans, visitors=visitors, starts=n + 5, completions=n, answers=answers),
        asked=frozenset({Metric.NPS} | ({Metric.CSAT} if csat else set())),
    )


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
    assert row.scan_rate.share == pytest.approx(0.3)
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


def test_a_touchpoint_without_answers_says_no_data_and_rates_the_campaign_mean() -> None:
    """n = 0: nulls, never NaN; rating = campaign mean; not ranked, no quadrant, advice 'measure'."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    empty = next(r for r in result.rows if r.touchpoint.id == 5)
    assert empty.summary.nps.nps is None and empty.summary.response_rate.share is None
    assert empty.rating == pytest.approx(100 * result.shrinkage[Metric.NPS].mean)
    assert not empty.ranked and empty.quadrant is None and empty.advice is ratings.Advice.MEASURE
    unasked = TouchpointInput(**{**CAMPAIGN[4].__dict__, "asked": frozenset()})
    again = ratings.rate_touchpoints([*CAMPAIGN[:4], unasked])
    assert next(r for r in again.rows if r.touchpoint.id == 5).rating is None


def test_quadrants_split_at_the_medians_and_advice_follows_the_evidence() -> None:
    """High rating + many visitors = effective; low rating + many = costly."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    by_id = {r.touchpoint.id: r for r in result.rows}
    assert by_id[1].quadrant is ratings.Quadrant.EFFECTIVE
    assert by_id[2].quadrant is ratings.Quadrant.COSTLY
    assert by_id[1].advice is ratings.Advice.KEEP
    assert by_id[2].advice is ratings.Advice.IMPROVE
    assert by_id[3].advice is ratings.Advice.MEASURE


def test_more_visitors_than_reach_gives_no_scan_rate() -> None:
    """A numerator above its denominator is a data error, not a rate above 100 %."""
    result = ratings.rate_touchpoints([touchpoint(1, {9: 3}, visitors=50, reach=20)])
    assert result.rows[0].scan_rate is None


def test_two_touchpoints_are_compared_on_every_metric_with_holm() -> None:
    """NPS z-test, CSAT Mann–Whitney, response rate χ²; Holm across the family."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    a, b = (next(r.summary for r in result.rows if r.touchpoint.id == i) for i in (1, 2))
    found = {r.test: r for r in comparisons.compare(a, b)}
    assert set(found) == {Comparison.NPS, Comparison.CSAT, Comparison.RESPONSE_RATE}
    x = np.repeat([5, 4, 3, 2], [30, 30, 10, 5])
    y = np.repeat([5, 4, 3, 2], [5, 15, 25, 15])
    assert found[Comparison.CSAT].p == pytest.approx(sps.mannwhitneyu(x, y, alternative="two-sided").pvalue)
    raw = [found[t].p for t in (Comparison.NPS, Comparison.RESPONSE_RATE, Comparison.CSAT)]
    adjusted = stats.holm(raw)
    assert [found[t].p_adjusted for t in (Comparison.NPS, Comparison.RESPONSE_RATE, Comparison.CSAT)] == pytest.approx(
        adjusted
    )
    assert found[Comparison.NPS].verdict is Verdict.HIGHER
    assert found[Comparison.NPS].diff == pytest.approx(a.nps.nps - b.nps.nps)


def test_small_samples_get_no_test_and_self_comparison_finds_nothing() -> None:
    """n < 10 on a side: 'too few'; a touchpoint with itself: p = 1, not enough evidence."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    one, small = (next(r.summary for r in result.rows if r.touchpoint.id == i) for i in (1, 3))
    assert all(
        r.verdict is Verdict.TOO_FEW for r in comparisons.compare(one, small) if r.test is not Comparison.RESPONSE_RATE
    )
    itself = {r.test: r for r in comparisons.compare(one, one)}
    assert itself[Comparison.NPS].p == pytest.approx(1.0)
    assert itself[Comparison.NPS].verdict is Verdict.NOT_ENOUGH_EVIDENCE


def test_identical_answers_everywhere_have_no_variation() -> None:
    """All CSAT answers 4 on both sides: no test statistic, 'no variation'."""
    a = ratings.summarise(GroupCounts(answers={Q.CSAT: {4: 12}}, scans=20, completions=12, starts=12))
    b = ratings.summarise(GroupCounts(answers={Q.CSAT: {4: 15}}, scans=30, completions=15, starts=15))
    found = {r.test: r for r in comparisons.compare(a, b)}
    assert found[Comparison.CSAT].verdict is Verdict.NO_VARIATION
    assert comparisons.across([a, b])[Metric.CSAT].no_variation


def test_rest_of_campaign_is_the_total_minus_the_touchpoint() -> None:
    """Counts subtract per answer value."""
    everything = ratings.total(tp.counts for tp in CAMPAIGN)
    rest = everything - CAMPAIGN[0].counts
    assert rest.of(Metric.NPS)[10] == 5 + 3
    assert rest.scans == 300 + 10 + 60


def test_benchmark_comparison_is_one_sided() -> None:
    """NPS 73 on 75 answers is clearly above an industry NPS of 30."""
    summary = ratings.summarise(CAMPAIGN[0].counts)
    result = comparisons.against_benchmark(summary, 30)
    assert result.verdict is Verdict.HIGHER and result.p < 0.001
    assert comparisons.against_benchmark(ratings.summarise(GroupCounts()), 30).verdict is Verdict.TOO_FEW
