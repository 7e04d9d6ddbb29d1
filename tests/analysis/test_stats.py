"""Every statistic checked against SciPy called directly on the raw answers (STATS.md), edge cases included."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats as sps

from feedback.analysis import stats

Z = sps.norm.ppf(0.975)

#: Raw 0–10 answers: mixed, all promoters, a single answer, all detractors, small and tied.
NPS_SAMPLES = {
    "mixed": [10, 9, 9, 8, 7, 7, 6, 5, 3, 10, 10, 9, 2, 8, 9, 10, 0, 6, 9, 10, 7, 8, 9, 4],
    "all_promoters": [10, 9, 10, 9, 10],
    "one": [7],
    "all_detractors": [0, 3, 6, 6, 2, 1, 0, 5, 4, 6, 3, 2],
    "big": list(np.random.default_rng(7).integers(0, 11, 400)),
}


def counts(values: list[int]) -> dict[int, int]:
    """What a GROUP BY value returns."""
    return dict(Counter(int(v) for v in values))


@pytest.mark.parametrize("name", NPS_SAMPLES)
def test_nps_matches_the_trinomial_mean_and_the_adjusted_wald_formula(name: str) -> None:
    """NPS = 100·mean(s); Wald SE = sd(s, ddof=0)/√n; adjusted-Wald CI from ¾/¾/+3, clipped."""
    raw = np.array(NPS_SAMPLES[name])
    s = np.where(raw >= 9, 1, np.where(raw <= 6, -1, 0))
    result = stats.nps_from_counts(counts(list(raw)))

    assert result.n == len(raw)
    assert result.nps == pytest.approx(100 * s.mean())
    assert result.se == pytest.approx(100 * np.std(s, ddof=0) / math.sqrt(len(s)))
    assert result.promoter_share == pytest.approx(np.mean(s == 1))
    assert result.detractor_share == pytest.approx(np.mean(s == -1))
    n_adj = len(s) + 3
    p = (np.sum(s == 1) + 0.75) / n_adj
    d = (np.sum(s == -1) + 0.75) / n_adj
    se_adj = math.sqrt((p + d - (p - d) ** 2) / n_adj)
    assert result.nps_adj == pytest.approx(100 * (p - d))
    assert result.ci.low == pytest.approx(max(-100, 100 * (p - d - Z * se_adj)))
    assert result.ci.high == pytest.approx(min(100, 100 * (p - d + Z * se_adj)))
    assert -100 <= result.ci.low <= result.ci.high <= 100


def test_five_promoters_give_the_documented_interval_and_no_variation() -> None:
    """STATS.md §2: 5 promoters → [17.5, 100] after clipping; Wald is degenerate."""
    result = stats.nps(5, 0, 0)
    assert result.nps == 100
    assert result.se == 0
    assert result.wald_ci == stats.Interval(100, 100)
    assert result.ci.low == pytest.approx(17.5, abs=0.05)
    assert result.ci.high == 100
    assert result.no_variation


def test_no_answers_give_nulls_and_the_no_data_flag() -> None:
    """n = 0: every number is null, never NaN."""
    result = stats.nps_from_counts({})
    assert (result.nps, result.se, result.ci, result.promoter_share) == (None, None, None, None)
    assert result.flag is stats.SampleFlag.NO_DATA


def test_nps_rejects_answers_outside_the_scale() -> None:
    """An 11 or a negative count is a data error, not a number."""
    with pytest.raises(stats.InvalidCounts):
        stats.nps_from_counts({11: 2})
    with pytest.raises(stats.InvalidCounts):
        stats.nps(-1, 2, 3)


@pytest.mark.parametrize(
    ("n", "flag"),
    [
        (0, "no_data"),
        (1, "insufficient"),
        (9, "insufficient"),
        (10, "low_precision"),
        (29, "low_precision"),
        (30, "ok"),
    ],
)
def test_sample_flags_follow_the_margin_of_error_table(n: int, flag: str) -> None:
    """§9 thresholds."""
    assert stats.sample_flag(n) == flag


@pytest.mark.parametrize(("a", "b"), [("mixed", "all_detractors"), ("mixed", "big"), ("all_promoters", "one")])
def test_two_nps_are_compared_by_the_adjusted_wald_z_test(a: str, b: str) -> None:
    """z = (NPS'_A − NPS'_B)/√(v'_A/n'_A + v'_B/n'_B); p = 2·norm.sf(|z|)."""

    def adjusted(values: list[int]) -> tuple[float, float]:
        raw = np.array(values)
        n_adj = len(raw) + 3
        p = (np.sum(raw >= 9) + 0.75) / n_adj
        d = (np.sum(raw <= 6) + 0.75) / n_adj
        return p - d, (p + d - (p - d) ** 2) / n_adj

    (ca, va), (cb, vb) = adjusted(NPS_SAMPLES[a]), adjusted(NPS_SAMPLES[b])
    z = (ca - cb) / math.sqrt(va + vb)
    result = stats.compare_nps(
        stats.nps_from_counts(counts(NPS_SAMPLES[a])), stats.nps_from_counts(counts(NPS_SAMPLES[b]))
    )
    assert result.z == pytest.approx(z)
    assert result.p == pytest.approx(2 * sps.norm.sf(abs(z)))
    assert result.ci.low == pytest.approx(100 * (ca - cb - Z * math.sqrt(va + vb)))
    assert result.diff_adj == pytest.approx(100 * (ca - cb))


def test_a_touchpoint_compared_with_itself_shows_no_difference() -> None:
    """Same sample twice: z = 0, p = 1."""
    a = stats.nps_from_counts(counts(NPS_SAMPLES["mixed"]))
    result = stats.compare_nps(a, a)
    assert (result.diff, result.z, result.p) == (0, 0, pytest.approx(1.0))


def test_comparisons_with_an_empty_sample_are_not_run() -> None:
    """Any test with an n = 0 group is not run."""
    assert stats.compare_nps(stats.nps(0, 0, 0), stats.nps(3, 1, 1)) is None
    assert stats.compare_rates(0, 0, 3, 10) is None
    assert stats.mann_whitney({}, {3: 4}) is None


def test_benchmark_test_is_two_sided_unless_the_direction_was_named_first() -> None:
    """z = (NPS' − benchmark)/SE'; two-sided p = 2·norm.sf(|z|); one-sided only for the side asked beforehand."""
    a = stats.nps_from_counts(counts(NPS_SAMPLES["big"]))
    n_adj = a.n + 3
    p = (a.promoters + 0.75) / n_adj
    d = (a.detractors + 0.75) / n_adj
    se = math.sqrt((p + d - (p - d) ** 2) / n_adj)
    z = (p - d - (-0.6)) / se
    result = stats.nps_against_benchmark(a, -60)
    assert result.side is stats.Side.TWO_SIDED
    assert result.z == pytest.approx(z)
    assert result.p == pytest.approx(2 * sps.norm.sf(abs(z)))
    assert result.diff == pytest.approx(a.nps + 60)
    assert result.ci.low == pytest.approx(100 * (p - d - Z * se) + 60)
    assert result.ci.low <= result.diff_adj <= result.ci.high
    above = stats.nps_against_benchmark(a, -60, stats.Side.ABOVE)
    assert above.p == pytest.approx(sps.norm.sf(z))
    below = stats.nps_against_benchmark(a, -60, stats.Side.BELOW)
    assert below.p == pytest.approx(sps.norm.cdf(z))


def test_benchmark_test_keeps_its_false_alarm_rate_at_five_percent() -> None:
    """Samples drawn where the true NPS equals the benchmark: the two-sided test says "different" in about 5 % of
    them; choosing the side after seeing the data (the old behaviour) would say so about twice as often."""
    rng = np.random.default_rng(7)
    shares = [0.4, 0.3, 0.3]  # promoters, passives, detractors: NPS +10
    draws = rng.multinomial(200, shares, size=4000)
    two_sided = one_sided_after_looking = 0
    for promoters, passives, detractors in draws:
        estimate = stats.nps(int(promoters), int(passives), int(detractors))
        two_sided += stats.nps_against_benchmark(estimate, 10).p < stats.ALPHA
        side = stats.Side.ABOVE if estimate.nps >= 10 else stats.Side.BELOW
        one_sided_after_looking += stats.nps_against_benchmark(estimate, 10, side).p < stats.ALPHA
    assert 0.035 < two_sided / len(draws) < 0.065
    assert one_sided_after_looking / len(draws) > 0.08


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 1), (7, 23), (23, 23), (412, 1000), (3, 4)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    """binomtest(k, n).proportion_ci(method='wilson')."""
    expected = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    result = stats.wilson(k, n)
    assert result.share == pytest.approx(k / n)
    assert result.ci.low == pytest.approx(expected.low, abs=1e-12)
    assert result.ci.high == pytest.approx(expected.high, abs=1e-12)


def test_wilson_edge_cases() -> None:
    """0/10 → [0, 0.278]; 1/1 → [0.207, 1]; n = 0 → null; k > n → input error."""
    assert stats.wilson(0, 10).ci.high == pytest.approx(0.278, abs=5e-4)
    assert stats.wilson(1, 1).ci.low == pytest.approx(0.207, abs=5e-4)
    assert stats.wilson(0, 0).share is None and stats.wilson(0, 0).ci is None
    with pytest.raises(stats.InvalidCounts):
        stats.wilson(11, 10)


def test_top_two_box_counts_fours_and_fives() -> None:
    """CSAT % = share of 4–5."""
    result = stats.top_box({1: 2, 2: 1, 3: 3, 4: 5, 5: 9}, at_least=4)
    assert (result.k, result.n) == (14, 20)


@pytest.mark.parametrize(
    ("k_a", "n_a", "k_b", "n_b", "test"),
    [(40, 100, 25, 100, "chi2"), (1, 8, 6, 9, "fisher"), (120, 800, 95, 810, "chi2"), (0, 15, 4, 16, "fisher")],
)
def test_two_rates_use_chi2_or_fisher_like_scipy(k_a: int, n_a: int, k_b: int, n_b: int, test: str) -> None:
    """χ² without Yates; Fisher when an expected count is below 5."""
    table = np.array([[k_a, n_a - k_a], [k_b, n_b - k_b]])
    chi2 = sps.chi2_contingency(table, correction=False)
    expected = sps.fisher_exact(table, alternative="two-sided").pvalue if chi2.expected_freq.min() < 5 else chi2.pvalue
    result = stats.compare_rates(k_a, n_a, k_b, n_b)
    assert result.test == test
    assert result.p == pytest.approx(expected)


def test_rates_with_no_conversions_anywhere_have_no_variation() -> None:
    """A zero margin makes χ² raise in SciPy: p = 1 with the flag."""
    result = stats.compare_rates(0, 20, 0, 30)
    assert result.no_variation and result.p == 1.0


MEANS = {
    "csat": ([5, 4, 4, 3, 5, 2, 5, 4, 1, 5, 4, 4], 1, 5),
    "ces": ([7, 6, 6, 5, 7, 3, 4, 7, 6, 2], 1, 7),
    "near_top": ([5, 5, 5, 5, 4], 1, 5),
}


@pytest.mark.parametrize("name", MEANS)
def test_means_match_scipy_t_interval(name: str) -> None:
    """t.interval(0.95, n−1, mean, sem), clipped to the scale."""
    values, low, high = MEANS[name]
    x = np.array(values, dtype=float)
    lo, hi = sps.t.interval(0.95, df=len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    result = stats.mean_estimate(counts(values), low, high)
    assert result.mean == pytest.approx(x.mean())
    assert result.sd == pytest.approx(np.std(x, ddof=1))
    assert result.ci.low == pytest.approx(max(low, lo))
    assert result.ci.high == pytest.approx(min(high, hi))


def test_mean_of_one_answer_and_of_identical_answers() -> None:
    """n = 1: no SD or CI; identical answers: [mean, mean] with 'no variation' (SciPy gives nan)."""
    one = stats.mean_estimate({4: 1}, 1, 5)
    assert (one.mean, one.sd, one.ci) == (4, None, None)
    same = stats.mean_estimate({3: 8}, 1, 5)
    assert same.ci == stats.Interval(3, 3) and same.no_variation and same.sd == 0
    with np.errstate(all="ignore"):
        assert np.isnan(sps.t.interval(0.95, df=7, loc=3, scale=sps.sem(np.full(8, 3.0)))[0])


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([5, 4, 4, 3, 5, 2, 5, 4, 1, 5, 4, 4], [3, 2, 4, 3, 1, 2, 3, 3, 5, 2]),
        ([1, 2, 3], [4, 5, 6, 7]),  # small, no ties: exact
        (list(np.random.default_rng(1).integers(1, 6, 300)), list(np.random.default_rng(2).integers(1, 6, 250))),
        ([1] * 5000 + [5] * 20, [3] * 10 + [5] * 2),  # very unbalanced, values missing on one side
        ([4, 4, 5], [1, 2, 4, 4]),  # small with ties: asymptotic, as SciPy's 'auto' chooses
    ],
)
def test_mann_whitney_matches_scipy(x: list[int], y: list[int]) -> None:
    """mannwhitneyu(x, y, 'two-sided', method='auto') and its effect sizes."""
    expected = sps.mannwhitneyu(np.array(x), np.array(y), alternative="two-sided", method="auto")
    result = stats.mann_whitney(counts(x), counts(y))
    assert result.u == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    assert result.prob_superiority == pytest.approx(expected.statistic / (len(x) * len(y)))
    assert result.rank_biserial == pytest.approx(2 * expected.statistic / (len(x) * len(y)) - 1)
    assert result.method == ("exact" if x == [1, 2, 3] else "asymptotic")


def test_mann_whitney_with_identical_answers_short_circuits() -> None:
    """All values identical: U = n_x·n_y/2, p = 1, 'no variation' (as SciPy 1.17 returns)."""
    result = stats.mann_whitney({4: 6}, {4: 5})
    expected = sps.mannwhitneyu(np.full(6, 4), np.full(5, 4), alternative="two-sided")
    assert (result.u, result.p) == (expected.statistic, expected.pvalue) == (15, 1.0)
    assert result.no_variation


def test_kruskal_wallis_matches_scipy() -> None:
    """Tie-corrected H, df = k − 1, ε² = H(N+1)/(N²−1), small groups counted."""
    groups = [[5, 4, 4, 3, 5, 2, 5], [3, 2, 4, 3, 1, 2], [5, 5, 4, 5], [1, 2, 2, 3, 1, 1, 2, 3]]
    expected = sps.kruskal(*[np.array(g) for g in groups])
    n = sum(len(g) for g in groups)
    result = stats.kruskal_wallis([counts(g) for g in groups] + [{}])
    assert result.h == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    assert result.df == 3 and result.groups == 4 and result.small_groups == 1
    assert result.epsilon_squared == pytest.approx(expected.statistic * (n + 1) / (n * n - 1))


def test_kruskal_wallis_with_identical_values_everywhere() -> None:
    """SciPy gives nan with a warning; we return p = 1 and 'no variation'."""
    result = stats.kruskal_wallis([{3: 5}, {3: 7}, {3: 2}])
    assert result.no_variation and result.p == 1.0 and result.h is None
    assert stats.kruskal_wallis([{3: 5}, {}]) is None


@pytest.mark.parametrize(
    "pvalues", [[0.01, 0.04, 0.03, 0.005], [0.2], [0.02, 0.02, 0.5], [0.9, 0.8, 0.001, 0.04, 0.04, 0.3]]
)
def test_holm_matches_its_definition_and_bh_matches_scipy(pvalues: list[float]) -> None:
    """Holm: running max of (m − j + 1)·p₍ⱼ₎ capped at 1, in input order; BH via false_discovery_control."""
    m = len(pvalues)
    order = np.argsort(pvalues, kind="stable")
    expected = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        expected[index] = running
    assert stats.holm(pvalues) == pytest.approx(list(expected))
    assert stats.benjamini_hochberg(pvalues) == pytest.approx(list(sps.false_discovery_control(pvalues, method="bh")))
    if m == 1:
        assert stats.holm(pvalues) == pvalues


NPS_SCORE = {v: 1.0 if v >= 9 else 0.5 if v >= 7 else 0.0 for v in range(11)}


def test_shrinkage_follows_the_method_of_moments() -> None:
    """μ, σ², τ², m = σ²/τ² clamped to [10, 100], θ = (nū + mμ)/(n + m) for each touchpoint."""
    groups = [
        [10] * 30 + [9] * 10 + [8] * 10 + [3] * 10,
        [10] * 5 + [7] * 15 + [5] * 20 + [2] * 10,
        [9] * 10 + [8] * 10 + [6] * 10,
        [10, 10, 10],
    ]
    u = [np.array([NPS_SCORE[v] for v in g]) for g in groups]
    n = np.array([len(x) for x in u])
    means = np.array([x.mean() for x in u])
    mu = (n * means).sum() / n.sum()
    within = sum((len(x) - 1) * x.var(ddof=1) for x in u) / (n - 1).sum()
    msb = (n * (means - mu) ** 2).sum() / (len(u) - 1)
    n0 = (n.sum() - (n**2).sum() / n.sum()) / (len(u) - 1)
    tau2 = max(0.0, (msb - within) / n0)
    m = min(100, max(10, within / tau2))

    result = stats.shrink(
        [stats.score_summary(counts(g), NPS_SCORE) for g in groups] + [stats.ScoreSummary(0, None, None)]
    )
    assert result.mean == pytest.approx(mu)
    assert result.within == pytest.approx(within)
    assert result.between == pytest.approx(tau2)
    assert result.m == pytest.approx(m)
    for i in range(4):
        assert result.theta[i] == pytest.approx((n[i] * means[i] + m * mu) / (n[i] + m))
        assert result.posterior_sd[i] == pytest.approx(math.sqrt(within / (n[i] + m)))
    assert result.theta[4] == pytest.approx(mu)  # no answers: the campaign mean


def test_shrinkage_uses_fixed_priors_for_few_touchpoints_and_equal_means() -> None:
    """k < 3 → m = 30; τ² = 0 → m = 100."""
    two = stats.shrink([stats.score_summary({10: 5, 0: 5}, NPS_SCORE), stats.score_summary({10: 4}, NPS_SCORE)])
    assert two.m == 30 and two.between is None
    same = stats.shrink([stats.score_summary({10: 5, 0: 5}, NPS_SCORE)] * 3)
    assert same.between == 0 and same.m == 100


def test_three_top_answers_are_pulled_below_well_measured_touchpoints() -> None:
    """STATS.md §8's example: n = 3 all top ranks below touchpoints measured on 15–30 answers."""
    summaries = [
        stats.score_summary({10: 3}, NPS_SCORE),
        stats.score_summary({10: 20, 8: 5, 4: 5}, NPS_SCORE),
        stats.score_summary({10: 8, 7: 5, 3: 2}, NPS_SCORE),
        stats.score_summary({9: 10, 6: 10}, NPS_SCORE),
    ]
    shrunk = stats.shrink(summaries)
    ratings = [stats.composite([(0.4, shrunk.theta[i], shrunk.posterior_sd[i])]) for i in range(4)]
    assert ratings[0].rating < 100
    assert ratings[0].ranking_key < ratings[1].ranking_key


def test_composite_renormalises_weights_and_combines_sds() -> None:
    """Rating = 100·Σwθ/Σw; SD = 100·√Σ(w·sd)²/Σw; key = rating − 1.645·SD."""
    result = stats.composite([(0.4, 0.8, 0.05), (0.2, 0.6, 0.1), (0, 0.1, 0.1)])
    assert result.rating == pytest.approx(100 * (0.4 * 0.8 + 0.2 * 0.6) / 0.6)
    sd = 100 * math.sqrt((0.4 * 0.05) ** 2 + (0.2 * 0.1) ** 2) / 0.6
    assert result.sd == pytest.approx(sd)
    assert result.ranking_key == pytest.approx(result.rating - sps.norm.ppf(0.95) * sd)
    assert stats.composite([]) is None


def test_the_benchmark_interval_matches_its_test_and_stays_on_the_scale() -> None:
    """Two-sided: the 95 % interval, clipped to −100 − b … 100 − b; one-sided "above": the lower 95 % bound and the
    scale's top."""
    five = stats.nps(5, 0, 0)
    two = stats.nps_against_benchmark(five, 0)
    assert two.ci.high == 100 and two.ci.low < two.diff_adj
    centre, variance = five._adjusted()
    above = stats.nps_against_benchmark(five, 0, stats.Side.ABOVE)
    assert above.ci.high == 100
    assert above.ci.low == pytest.approx(100 * (centre - sps.norm.ppf(0.95) * math.sqrt(variance)))
    below = stats.nps_against_benchmark(stats.nps(24, 10, 8), 15, stats.Side.BELOW)
    assert below.ci.low == -115
