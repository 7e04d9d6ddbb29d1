"""The lead funnel's numbers against an independent computation: reached counts by hand, Wilson intervals from
scipy's binomtest, medians from numpy and the median's order-statistic interval from the binomial distribution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats as sps

from feedback.analysis import stats
from feedback.analysis.funnel import STEP_OF_STAGE, LeadPath, Step, document, funnel

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _path(*moves: tuple[str, float], value: str | None = None, reason: str | None = None) -> LeadPath:
    """A lead captured at T0 that moved to each stage after the given days."""
    return LeadPath(
        T0,
        tuple((stage, T0 + timedelta(days=d)) for stage, d in moves),
        Decimal(value) if value else None,
        reason,
    )


#: 12 constructed leads: (moves, won value, lost reason).
HISTORIES = [
    _path(),
    _path(("marketing_qualified", 2)),
    _path(("marketing_qualified", 1), ("sales_ready", 3)),
    _path(("marketing_qualified", 1), ("sales_accepted", 4)),
    _path(("marketing_qualified", 2), ("sales_ready", 2.5), ("sales_accepted", 5), ("sales_qualified", 9)),
    _path(("marketing_qualified", 3), ("sales_accepted", 6), ("sales_qualified", 8), ("won", 20), value="1200.50"),
    _path(("marketing_qualified", 0.5), ("sales_accepted", 1), ("sales_qualified", 2), ("won", 3), value="99.99"),
    _path(("sales_accepted", 7), ("lost", 10), reason="price"),  # accepted straight from new: passed MQL
    _path(("marketing_qualified", 4), ("lost", 6), reason="no_need"),
    _path(("marketing_qualified", 1), ("sales_accepted", 2), ("lost", 12), ("sales_accepted", 15)),  # reopened
    _path(("marketing_qualified", 2), ("sales_accepted", 3), ("sales_qualified", 4), ("lost", 30), reason="other"),
    _path(("marketing_qualified", 5), ("new", 6)),  # the score fell back
]


def _independent_reached(paths: list[LeadPath]) -> list[int]:
    order = ["new", "marketing_qualified", "sales_accepted", "sales_qualified", "won"]
    furthest = []
    for path in paths:
        stages = ["new"] + [("marketing_qualified" if s == "sales_ready" else s) for s, _ in path.moves]
        furthest.append(max(order.index(s) for s in stages if s in order))
    return [sum(1 for f in furthest if f >= i) for i in range(5)]


def test_reached_counts_and_step_rates_match_scipy_wilson() -> None:
    result = funnel(HISTORIES)
    reached = _independent_reached(HISTORIES)
    assert [s.reached for s in result.steps] == reached == [12, 11, 7, 4, 2]
    for before, step in zip(result.steps, result.steps[1:], strict=False):
        ci = sps.binomtest(step.reached, before.reached).proportion_ci(confidence_level=0.95, method="wilson")
        assert step.conversion.k == step.reached and step.conversion.n == before.reached
        assert step.conversion.share == pytest.approx(step.reached / before.reached)
        assert (step.conversion.ci.low, step.conversion.ci.high) == (
            pytest.approx(ci.low, abs=1e-9),
            pytest.approx(ci.high, abs=1e-9),
        )
    assert result.steps[0].conversion is None
    overall = sps.binomtest(2, 12).proportion_ci(confidence_level=0.95, method="wilson")
    assert result.overall.share == pytest.approx(2 / 12) and result.overall.ci.low == pytest.approx(overall.low)
    assert result.won_value == Decimal("1300.49") and result.lost == 3
    assert result.lost_reasons == {"price": 1, "no_need": 1, "other": 1}
    assert [s.now for s in result.steps] == [2, 2, 2, 1, 2]  # the reopened lead is sales-accepted again
    assert [s.lost for s in result.steps] == [0, 1, 1, 1, 0]


def test_median_days_per_step_match_numpy_and_the_order_statistic_interval() -> None:
    result = funnel(HISTORIES)
    # by hand: days from first entering each step to the first move out of it, of the leads that left it
    lead = [2, 1, 1, 2, 3, 0.5, 7, 4, 1, 2, 5]
    mql = [4 - 1, 5 - 2, 6 - 3, 1 - 0.5, 6 - 4, 2 - 1, 3 - 2, 6 - 5]
    sal = [9 - 5, 8 - 6, 2 - 1, 10 - 7, 12 - 2, 4 - 3]
    sql = [20 - 8, 3 - 2, 30 - 4]
    for step, days in ((Step.LEAD, lead), (Step.MQL, mql), (Step.SAL, sal), (Step.SQL, sql)):
        time = result.of(step).time
        assert time.n == len(days) and time.median == pytest.approx(float(np.median(days)))
        j = int(sps.binom.ppf(0.025, len(days), 0.5))
        if j < 1:
            assert time.ci is None
        else:
            ordered = sorted(days)
            assert (time.ci.low, time.ci.high) == (pytest.approx(ordered[j - 1]), pytest.approx(ordered[-j]))
            covered = 1 - 2 * sps.binom.cdf(j - 1, len(days), 0.5)
            assert covered >= 0.95
    assert result.of(Step.SQL).time.ci is None  # 3 leads: no distribution-free 95 % interval exists


def test_median_interval_edges() -> None:
    assert stats.median_estimate([]) == stats.MedianEstimate(0, None, None)
    assert stats.median_estimate([4.0]).ci is None and stats.median_estimate([4.0]).median == 4.0
    assert stats.median_estimate([1, 2, 3, 4, 5]).ci is None
    six = stats.median_estimate([6, 1, 5, 2, 4, 3])
    assert six.median == 3.5 and (six.ci.low, six.ci.high) == (1, 6)
    with pytest.raises(stats.InvalidCounts):
        stats.median_estimate([1.0, float("nan")])
    with pytest.raises(stats.InvalidCounts):
        stats.median_estimate([-1.0])


def test_an_empty_funnel_has_no_rates_and_every_stage_belongs_to_a_step() -> None:
    from feedback.leads.models import Stage

    empty = funnel([])
    assert empty.leads == 0 and empty.overall is None and all(s.conversion is None or s.conversion.n == 0
                                                               for s in empty.steps)  # fmt: skip
    assert set(STEP_OF_STAGE) | {"lost"} == {s.value for s in Stage}
    doc = document(funnel(HISTORIES))
    assert doc["won"] == 2 and doc["won_value"] == "1300.49" and doc["steps"][2]["conversion_n"] == 11
