"""Suggested lead weights against an independent computation: each lead's activities and outcome written out, the
2×2 tables counted by hand, Wilson intervals from scipy's binomtest, the test from chi2_contingency or fisher_exact
(STATS.md §4) and the Holm adjustment written out (§7)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from feedback.analysis.lead_weights import ActivityCount, suggest
from feedback.analysis.stats import InvalidCounts

ACTIVITIES = ("scan", "follow_up", "coupon_redeemed", "promoter")


def _leads() -> list[tuple[set[str], bool]]:
    """80 constructed leads: who did what, and who was won. Follow-ups win far more often, coupons somewhat,
    scans and promoter answers about as often as the rest."""
    rng = np.random.default_rng(7)
    leads = []
    for i in range(80):
        did = {"scan"} if i % 5 else set()
        if i % 3 == 0:
            did.add("follow_up")
        if i % 4 == 0:
            did.add("coupon_redeemed")
        if i % 7 == 0:
            did.add("promoter")
        chance = 0.1 + 0.55 * ("follow_up" in did) + 0.1 * ("coupon_redeemed" in did)
        leads.append((did, bool(rng.random() < chance)))
    return leads


def _scipy_test(table: np.ndarray) -> float:
    chi2 = sps.chi2_contingency(table, correction=False)
    if chi2.expected_freq.min() < 5:
        return float(sps.fisher_exact(table, alternative="two-sided").pvalue)
    return float(chi2.pvalue)


def _holm(p: list[float]) -> list[float]:
    order = np.argsort(p)
    adjusted, running = [0.0] * len(p), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def test_shares_intervals_tests_and_holm_agree_with_scipy() -> None:
    leads = _leads()
    won = sum(w for _did, w in leads)
    counts = [
        ActivityCount(a, sum(a in did for did, _w in leads), sum(a in did and w for did, w in leads))
        for a in ACTIVITIES
    ]
    result = suggest(len(leads), won, counts)
    expected_p = []
    for activity, evidence in zip(ACTIVITIES, result.activities, strict=True):
        with_k = sum(activity in did and w for did, w in leads)
        with_n = sum(activity in did for did, _w in leads)
        without_k, without_n = won - with_k, len(leads) - with_n
        for k, n, rate in ((with_k, with_n, evidence.with_activity), (without_k, without_n, evidence.without_activity)):
            ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            assert (rate.k, rate.n) == (k, n)
            assert rate.ci.low == pytest.approx(ci.low, abs=1e-9) and rate.ci.high == pytest.approx(ci.high, abs=1e-9)
        table = np.array([[with_k, with_n - with_k], [without_k, without_n - without_k]])
        assert evidence.comparison.p == pytest.approx(_scipy_test(table), rel=1e-9)
        assert evidence.diff == pytest.approx(with_k / with_n - without_k / without_n)
        assert evidence.ci.low <= evidence.diff <= evidence.ci.high
        expected_p.append(_scipy_test(table))
    for evidence, p in zip(result.activities, _holm(expected_p), strict=True):
        assert evidence.p_adjusted == pytest.approx(p, rel=1e-9) and evidence.family == len(ACTIVITIES)
        assert evidence.significant == (p < 0.05)
    follow_up = result.activities[1]
    assert follow_up.significant and follow_up.weight == 100  # the strongest significant rise
    for evidence in result.activities:
        assert (evidence.weight is None) == (not evidence.significant)
    assert not result.small and result.leads == 80


def test_a_weight_is_relative_to_the_strongest_significant_rise_and_zero_for_a_fall() -> None:
    # 200 leads, 60 won: A rises strongly, B half as much, C goes with fewer wins
    counts = [ActivityCount("a", 100, 50), ActivityCount("b", 100, 40), ActivityCount("c", 100, 15)]
    result = suggest(200, 60, counts)
    a, b, c = result.activities
    assert a.significant and a.weight == 100
    rise_a = 50 / 100 - 10 / 100
    rise_b = 40 / 100 - 20 / 100
    assert b.significant and b.weight == round(100 * rise_b / rise_a)
    assert c.significant and c.diff < 0 and c.weight == 0


def test_small_samples_are_flagged_and_groups_under_ten_are_not_tested() -> None:
    result = suggest(25, 4, [ActivityCount("scan", 20, 4), ActivityCount("follow_up", 3, 2)])
    assert result.small
    scan, follow_up = result.activities
    assert scan.comparison is None and scan.p_adjusted is None and scan.weight is None  # only 5 leads without it
    assert follow_up.comparison is None and not follow_up.significant
    assert scan.with_activity.k == 4 and scan.without_activity.n == 5


def test_no_leads_no_wins_and_impossible_counts() -> None:
    empty = suggest(0, 0, [ActivityCount("scan", 0, 0)])
    assert empty.small and empty.activities[0].with_activity.share is None and empty.activities[0].ci is None
    nobody_won = suggest(40, 0, [ActivityCount("scan", 20, 0)])
    assert nobody_won.activities[0].comparison.no_variation and not nobody_won.activities[0].significant
    with pytest.raises(InvalidCounts):
        suggest(10, 11, [])
    with pytest.raises(InvalidCounts):
        suggest(10, 5, [ActivityCount("scan", 11, 1)])
    with pytest.raises(InvalidCounts):
        suggest(10, 5, [ActivityCount("scan", 8, 6)])
