"""Verdicts that follow from the numbers (STATS.md §5, §6, §11): direction, size and p from one test; positions,
advice and labels from the test against the campaign; referral metrics on the same people; bad counts refused."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from scipy import stats as sps

from feedback.analysis import comparisons, ratings, stats
from feedback.analysis.comparisons import Comparison, Effect, Verdict
from feedback.analysis.ratings import Advice, Position, TouchpointInput
from feedback.analysis.summaries import GroupCounts, Metric, Referrals, referral_metrics, summarise
from feedback.surveys.questions import QuestionType as Q
from tests.helpers import rating_input

HIGH = {10: 80, 8: 20}  # NPS +80
LOW = {10: 20, 3: 80}  # NPS −60
MIDDLE = {10: 50, 8: 10, 3: 40}  # NPS +10: exactly the average of HIGH and LOW


def tp(id: int, nps: dict[int, int], visitors: int, cost: str = "100", **kw: object) -> TouchpointInput:
    """A touchpoint that asks NPS and CSAT (CSAT unanswered unless given), as many scans as visitors, no reach."""
    return rating_input(
        id,
        nps,
        scans=visitors,
        visitors=visitors,
        cost=cost,
        reach=None,
        asked=frozenset({Metric.NPS, Metric.CSAT}),
        **kw,
    )  # type: ignore[arg-type]


#: Above/below/like × many/few visitors, two "like" ones that cost more per promoter than the campaign (8.00):
#: 5 without a better return, 6 with one (5.0× against the campaign's 4.59×).
CAMPAIGN = [
    tp(1, HIGH, 1000, coupons=10, revenue="50"),
    tp(2, HIGH, 100),
    tp(3, LOW, 1000),
    tp(4, LOW, 100),
    tp(5, MIDDLE, 1000, cost="1000"),
    tp(6, MIDDLE, 100, cost="1000", coupons=10, revenue="5000"),
]


def by_id(result: ratings.CampaignRatings) -> dict[int, ratings.TouchpointRating]:
    """Rows by touchpoint id."""
    return {row.touchpoint.id: row for row in result.rows}


def test_advice_follows_position_reach_and_cost_per_promoter() -> None:
    """below + wide → improve, below + narrow → rethink or cut, above + narrow → grow, above + wide → keep; like the
    campaign → keep unless each promoter costs more than in the campaign without a better return (make cheaper)."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    rows = by_id(result)
    assert result.cost_per_promoter == Decimal("8.00")
    assert result.return_on_cost == pytest.approx(5050 / 1100)
    assert {i: rows[i].position for i in rows} == {
        1: Position.ABOVE,
        2: Position.ABOVE,
        3: Position.BELOW,
        4: Position.BELOW,
        5: Position.LIKE,
        6: Position.LIKE,
    }
    assert {i: rows[i].advice for i in rows} == {
        1: Advice.KEEP,
        2: Advice.GROW,
        3: Advice.IMPROVE,
        4: Advice.CUT,
        5: Advice.CHEAPER,
        6: Advice.KEEP,  # costs more per promoter, but returns more than the campaign: never called costly
    }
    assert rows[5].evidence.p > 0.9 and rows[5].evidence.verdict is Verdict.NOT_ENOUGH_EVIDENCE


def test_the_position_is_the_holm_adjusted_test_against_the_rest_of_the_campaign() -> None:
    """Touchpoint 1's NPS against touchpoints 2–6 pooled: the adjusted-Wald z-test, Holm over the six touchpoints."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    rows = by_id(result)
    rest = summarise(result.total.counts - rows[1].touchpoint.counts)
    raw = [
        stats.compare_nps(row.summary.nps, summarise(result.total.counts - row.touchpoint.counts).nps).p
        for row in (rows[i] for i in range(1, 7))
    ]
    evidence = rows[1].evidence
    assert evidence.test is Comparison.NPS and evidence.family == 6
    assert evidence.p == pytest.approx(stats.compare_nps(rows[1].summary.nps, rest.nps).p)
    assert evidence.p_adjusted == pytest.approx(stats.holm(raw)[0])


def test_a_like_the_campaign_touchpoint_is_never_above_or_below_whatever_its_point_estimate() -> None:
    """NPS +14 against a campaign of +10 on 100 answers each: not significant, so 'like the campaign' and 'keep'."""
    slightly = tp(5, {10: 52, 8: 10, 3: 38}, 1000)
    result = ratings.rate_touchpoints([*CAMPAIGN[:4], slightly, CAMPAIGN[5]])
    row = by_id(result)[5]
    assert row.summary.nps.nps == pytest.approx(14)
    assert row.position is Position.LIKE and row.advice is Advice.KEEP


@pytest.mark.parametrize("answers", [{10: 1}, {3: 4}, {10: 9}])
def test_fewer_than_ten_answers_get_no_rank_quadrant_position_or_advice(answers: dict[int, int]) -> None:
    """n = 1 all top, n = 4 all detractors, n = 9: no label anywhere, only 'measure longer'."""
    result = ratings.rate_touchpoints([*CAMPAIGN, tp(7, answers, 5000)])
    row = by_id(result)[7]
    assert not row.ranked and row.rank is None and row.quadrant is None and row.position is None
    assert row.advice is Advice.MEASURE and row.flag is stats.SampleFlag.INSUFFICIENT
    assert row.rating is not None  # rated (shrunk), shown with its flag


def test_no_answers_give_no_rating_and_no_interval() -> None:
    """n = 0: no rating at all, not the campaign mean with an interval."""
    result = ratings.rate_touchpoints([*CAMPAIGN, tp(7, {}, 0)])
    row = by_id(result)[7]
    assert row.rating is None and row.rating_ci is None and row.advice is Advice.MEASURE
    assert row.flag is stats.SampleFlag.NO_DATA


def test_a_question_nobody_answered_yet_does_not_hide_a_measured_touchpoint() -> None:
    """The survey asks NPS and CSAT, CSAT is new and has no answers: the 100 NPS answers still count (not 'no data')."""
    result = ratings.rate_touchpoints(CAMPAIGN)
    row = by_id(result)[1]
    assert Metric.CSAT in row.touchpoint.asked and row.summary.n(Metric.CSAT) == 0
    assert row.min_n == 100 and row.flag is stats.SampleFlag.OK and row.ranked


def test_a_well_measured_verdict_does_not_flip_when_another_touchpoint_gets_a_few_answers() -> None:
    """Three more detractors at touchpoint 6 change nothing for touchpoints 1–5."""
    before = by_id(ratings.rate_touchpoints(CAMPAIGN))
    more = tp(6, {**MIDDLE, 3: MIDDLE[3] + 3}, 100, cost="1000", coupons=10, revenue="5000")
    after = by_id(ratings.rate_touchpoints([*CAMPAIGN[:5], more]))
    assert [(after[i].position, after[i].advice) for i in range(1, 6)] == [
        (before[i].position, before[i].advice) for i in range(1, 6)
    ]


def test_quadrants_are_median_splits_of_the_ranked_touchpoints_with_descriptive_names() -> None:
    """Rating ≥ median and visitors ≥ median: 'higher rating · more visitors', and so on; never advice words."""
    rows = by_id(ratings.rate_touchpoints(CAMPAIGN))
    assert rows[1].quadrant is ratings.Quadrant.HIGH_WIDE and rows[2].quadrant is ratings.Quadrant.HIGH_NARROW
    assert rows[3].quadrant is ratings.Quadrant.LOW_WIDE and rows[4].quadrant is ratings.Quadrant.LOW_NARROW
    assert {q.value for q in ratings.Quadrant}.isdisjoint({a.value for a in Advice} | {"effective", "costly"})


def test_csat_direction_size_and_p_come_from_the_share_test() -> None:
    """A: 30 % top-2-box but a lower mean (2.2) than B (20 %, mean 3.2). The CSAT comparison states +10 percentage
    points with the χ² p of the shares (not significant), never "higher" on a rank test's p."""
    a = summarise(GroupCounts(answers={Q.CSAT: {5: 30, 1: 70}}))
    b = summarise(GroupCounts(answers={Q.CSAT: {4: 20, 3: 80}}))
    assert a.csat_mean.mean < b.csat_mean.mean
    found = next(r for r in comparisons.pairwise({"a": a, "b": b}, "a", "b") if r.test is Comparison.CSAT)
    expected = sps.chi2_contingency([[30, 70], [20, 80]], correction=False).pvalue
    assert found.kind is Effect.SHARE and found.effect == pytest.approx(0.10)
    assert found.p == pytest.approx(expected) and found.p > stats.ALPHA
    assert found.verdict is Verdict.NOT_ENOUGH_EVIDENCE and found.direction == 1
    assert found.ci.low < found.effect < found.ci.high


def test_scales_are_compared_by_rank_test_with_the_probability_of_superiority() -> None:
    """CES: Mann–Whitney U, effect = U/(n_a·n_b), direction from it."""
    a = summarise(GroupCounts(answers={Q.CES: {7: 20, 6: 10, 2: 5}}))
    b = summarise(GroupCounts(answers={Q.CES: {5: 20, 3: 15}}))
    found = next(r for r in comparisons.pairwise({"a": a, "b": b}, "a", "b") if r.test is Comparison.CES)
    x = [7] * 20 + [6] * 10 + [2] * 5
    y = [5] * 20 + [3] * 15
    mw = sps.mannwhitneyu(x, y, alternative="two-sided")
    assert found.kind is Effect.SUPERIORITY and found.effect == pytest.approx(mw.statistic / (35 * 35))
    assert found.p == pytest.approx(mw.pvalue) and found.verdict is Verdict.HIGHER


def test_the_touchpoints_differ_on_nps_only_by_the_chi_square_of_the_nps_groups() -> None:
    """Every touchpoint at NPS +100 (different 9/10 mixes): no variation, never "they differ"; a group of 4 answers
    is left out and counted."""
    groups = [
        summarise(GroupCounts(answers={Q.NPS: {10: 30}})),
        summarise(GroupCounts(answers={Q.NPS: {9: 30}})),
        summarise(GroupCounts(answers={Q.NPS: {9: 4}})),
    ]
    found = next(r for r in comparisons.across(groups) if r.metric is Metric.NPS)
    assert found.no_variation and found.verdict is Verdict.NO_VARIATION and found.excluded == 1
    differ = [summarise(GroupCounts(answers={Q.NPS: HIGH})), summarise(GroupCounts(answers={Q.NPS: LOW}))]
    result = next(r for r in comparisons.across(differ) if r.metric is Metric.NPS)
    assert result.p == pytest.approx(sps.chi2_contingency([[80, 20, 0], [20, 0, 80]], correction=False).pvalue)
    assert result.method == "chi2" and result.verdict is Verdict.HIGHER


def test_acceptance_rate_never_exceeds_one_and_k_covers_the_same_people() -> None:
    """10 respondents, one took an invite that won 3 friends: acceptance 1 of 1 invites (100 %), friends per invite
    3, k = 3 ÷ 10; respondents without invites make k = 0, never a ratio of unrelated windows."""
    metrics = referral_metrics(Referrals({(True, 3): 1, (False, 0): 9}))
    assert metrics.acceptance_rate.share == 1.0 and metrics.acceptance_rate.ci.low < 1.0
    assert metrics.friends_per_invite == 3 and metrics.friends_per_invite_ci is None  # 1 invite: no interval
    assert metrics.k_factor == pytest.approx(0.3)
    assert metrics.k_factor_ci.low <= 0.3 <= metrics.k_factor_ci.high
    quiet = referral_metrics(Referrals({(False, 0): 12}))
    assert quiet.k_factor == 0 and quiet.acceptance_rate is None and quiet.friends_per_invite is None
    assert referral_metrics(Referrals({(True, 1): 5})).k_factor_ci is None  # fewer than 10 respondents


def test_the_k_factor_interval_is_a_seeded_bootstrap_over_the_respondents() -> None:
    """Repeatable (seeded), B ≥ 2,000, close to the normal approximation for a large sample."""
    counts = {0: 150, 1: 40, 2: 10}
    first, second = stats.bootstrap_mean(counts), stats.bootstrap_mean(counts)
    assert first == second and stats.BOOTSTRAP_RESAMPLES >= 2000
    mean = 60 / 200
    sd = math.sqrt((150 * mean**2 + 40 * (1 - mean) ** 2 + 10 * (2 - mean) ** 2) / 199)
    assert first.low == pytest.approx(mean - 1.96 * sd / math.sqrt(200), abs=0.02)
    assert first.high == pytest.approx(mean + 1.96 * sd / math.sqrt(200), abs=0.02)


def test_no_coupon_offered_gives_no_redemption_rate() -> None:
    """A 0 % with an interval would claim a measurement that never happened."""
    assert CAMPAIGN[1].redemption_rate is None
    assert CAMPAIGN[0].redemption_rate.share == 1.0


@pytest.mark.parametrize("bad", [float("nan"), -1, 2.5, True, "3"])
def test_bad_counts_are_refused_not_computed(bad: object) -> None:
    """NaN, negatives, fractions, booleans and text are input errors (STATS.md §11)."""
    with pytest.raises(stats.InvalidCounts):
        stats.wilson(bad, 10)  # type: ignore[arg-type]
    with pytest.raises(stats.InvalidCounts):
        stats.nps(bad, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(stats.InvalidCounts):
        stats.nps_from_counts({9: bad})  # type: ignore[dict-item]


def test_a_benchmark_that_is_not_a_number_is_refused() -> None:
    """NaN fails the range check too."""
    with pytest.raises(stats.InvalidCounts):
        stats.nps_against_benchmark(stats.nps(5, 3, 2), float("nan"))


def test_a_touchpoint_whose_rest_of_campaign_is_too_small_gets_no_position() -> None:
    """100 answers here, 5 in the rest of the campaign: nothing was tested, so neither "like the campaign" nor
    "keep", but measure longer."""
    result = ratings.rate_touchpoints([tp(1, HIGH, 1000), tp(2, {10: 5}, 100)])
    row = by_id(result)[1]
    assert row.ranked and row.position is None and row.advice is Advice.MEASURE
    assert row.evidence is not None and row.evidence.verdict is Verdict.TOO_FEW and row.evidence.n_b == 5


def test_a_cost_without_any_promoter_is_dearer_than_the_campaign() -> None:
    """12 passives for 100 €, like the campaign on NPS: no cost per promoter can be computed, and it is more than
    the campaign's, so "make cheaper" rather than "keep"."""
    passives = tp(7, {8: 12}, 100)
    result = ratings.rate_touchpoints([*CAMPAIGN, passives])
    row = by_id(result)[7]
    assert row.cost_per_promoter is None and row.position is Position.LIKE
    assert row.advice is Advice.CHEAPER
