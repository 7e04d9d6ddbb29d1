"""The metric catalogue: one definition per metric, read the same way by every download (no database)."""

from __future__ import annotations

from feedback.analysis import exports, ratings
from feedback.analysis.catalogue import BY_KEY, CATALOGUE, Method
from feedback.analysis.summaries import Referrals
from tests.helpers import rating_input


def _rows() -> list[ratings.TouchpointRating]:
    inputs = [
        rating_input(1, {10: 40, 9: 20, 8: 10, 5: 5}, {5: 30, 4: 30, 3: 10}, scans=400, visitors=300, coupons=20),
        rating_input(2, {10: 5, 8: 20, 6: 20, 3: 15}, scans=300, visitors=250),
        rating_input(3, {10: 3}, scans=10, visitors=9),
    ]
    inputs[0] = ratings.replace(inputs[0], referrals=Referrals({(True, 2): 12, (True, 0): 8, (False, 0): 55}))
    return ratings.rate_touchpoints(inputs).rows


def test_each_metric_has_one_key_a_definition_and_an_interval_that_holds_its_value() -> None:
    """Keys are unique; a metric with an interval method gives an interval around its value (or none below its
    minimum), one without gives none."""
    assert len(BY_KEY) == len(CATALOGUE)
    for row in _rows():
        for metric in CATALOGUE:
            found = metric.of(row)
            assert str(metric.definition) and str(metric.label)
            if metric.method is Method.NONE or found.value is None:
                assert found.ci is None, (metric.key, found)
            elif found.ci is not None:
                assert found.ci.low <= float(found.value) <= found.ci.high, (metric.key, found)
            else:
                assert metric.method is Method.BOOTSTRAP and (found.n or 0) < 10, (metric.key, found)


def test_the_downloads_columns_are_the_catalogue_values() -> None:
    """Every column named like a catalogue metric (and its _low/_high/_n) holds exactly what the catalogue reads."""
    stems = {"ces_mean": "ces", "loyalty_mean": "loyalty"}
    for row in _rows():
        columns = {c.key: c.value(row) for c in exports.COLUMNS}
        for key, value in columns.items():
            stem, _, part = key.rpartition("_") if key.endswith(("_low", "_high", "_n")) else (key, "", "")
            metric = BY_KEY.get(stems.get(stem, stem))
            if metric is None:
                continue
            found = metric.of(row)
            wanted = {
                "": found.value,
                "low": found.ci.low if found.ci else None,
                "high": found.ci.high if found.ci else None,
                "n": found.n,
            }[part]
            assert value == wanted, (key, value, wanted)
