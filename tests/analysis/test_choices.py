"""Choice questions: shares per option with Wilson intervals, the test across touchpoints (no app, no database)."""

from __future__ import annotations

import pytest
from scipy import stats as sps

from feedback.analysis import choices, stats


def test_single_choice_shares_and_chi_square_across_touchpoints() -> None:
    """Shares of the respondents per option (Wilson), χ² on touchpoints × options, the campaign row summed."""
    found = choices.analyse(
        ["offer", "info", "no"],
        {1: {"offer": 30, "info": 10, "no": 20}, 2: {"offer": 10, "info": 15, "no": 35}},
        {1: 60, 2: 60},
        multiple=False,
    )
    first = found.groups[0]
    assert [o.count for o in first.options] == [30, 10, 20]
    expected = sps.binomtest(30, 60).proportion_ci(confidence_level=0.95, method="wilson")
    assert first.options[0].share.share == 0.5
    assert first.options[0].share.ci.low == pytest.approx(expected.low)
    assert [o.count for o in found.total.options] == [40, 25, 55] and found.total.respondents == 120
    (test,) = found.tests
    chi2 = sps.chi2_contingency([[30, 10, 20], [10, 15, 35]], correction=False)
    assert test.value is None and test.test.p == pytest.approx(chi2.pvalue) and test.p_adjusted == test.test.p
    assert test.differ


def test_multiple_choice_tests_each_option_and_adjusts_over_the_options() -> None:
    """One person may choose several options: each option is a 2 × k test, Holm over the options; shares may add up
    to more than 100 %."""
    counts = {1: {"a": 40, "b": 20}, 2: {"a": 10, "b": 22}}
    found = choices.analyse(["a", "b"], counts, {1: 50, 2: 50}, multiple=True)
    raw = [
        sps.chi2_contingency([[40, 10], [10, 40]], correction=False).pvalue,
        sps.chi2_contingency([[20, 30], [22, 28]], correction=False).pvalue,
    ]
    assert [t.value for t in found.tests] == ["a", "b"]
    assert [t.p_adjusted for t in found.tests] == pytest.approx(stats.holm(raw))
    assert found.tests[0].differ and not found.tests[1].differ
    assert sum(o.share.share for o in found.groups[0].options) > 1


def test_touchpoints_under_ten_respondents_are_left_out_and_counted() -> None:
    """A touchpoint with 4 respondents is shown but not tested; with one testable touchpoint left, nothing is."""
    found = choices.analyse(["y", "n"], {1: {"y": 30, "n": 20}, 2: {"y": 4}}, {1: 50, 2: 4, 3: 0}, multiple=False)
    assert found.excluded == 1 and found.tests == ()
    assert found.groups[1].options[0].share.share == 1.0
    assert found.groups[2].options[0].share.share is None  # nobody answered there: no share, no interval


def test_more_choices_than_respondents_is_refused() -> None:
    """A count above its denominator is a data error, never a share above 100 %."""
    with pytest.raises(stats.InvalidCounts):
        choices.analyse(["y"], {1: {"y": 5}}, {1: 3}, multiple=False)
