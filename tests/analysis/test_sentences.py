"""Sentences that never say more than their numbers (STATS.md §11): p-values, effects inside their interval, advice
that quotes its evidence, labels only for measured touchpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from flask_babel import refresh

from feedback.analysis import comparisons, ratings, sentences, stats
from feedback.analysis.comparisons import Comparison, Result, Verdict
from feedback.analysis.ratings import TouchpointInput
from feedback.analysis.summaries import GroupCounts, Metric
from feedback.surveys.questions import QuestionType as Q
from tests.helpers import rating_input


def _tp(id: int, nps: dict[int, int], visitors: int) -> TouchpointInput:
    return rating_input(id, nps, scans=visitors, visitors=visitors, cost="100", reach=None)


@contextmanager
def _lang(app, code: str) -> Iterator[None]:  # noqa: ANN001
    """A request in one language (the test's app context outlives a request: forget the last one's locale)."""
    with app.test_request_context(f"/?lang={code}"):
        refresh()
        yield


def _money(value: Decimal) -> str:
    return f"{value} €"


def test_small_p_values_read_below_the_floor_never_zero(app) -> None:
    """1e-12 reads "p < 0.0001"; 0.00042 keeps four decimals; 0.0136 three; rounded down, so 0.0496 (significant)
    never reads as 0.050."""
    with _lang(app, "en"):
        assert sentences.p_value(1e-12) == "p < 0.0001"
        assert sentences.p_value(0.00042) == "p = 0.0004"
        assert sentences.p_value(0.0136) == "p = 0.013"
        assert sentences.p_value(0.0496) == "p = 0.049" and sentences.p_value(0.05) == "p = 0.050"
    with _lang(app, "de"):
        assert sentences.p_value(1e-12) == "p < 0,0001"


def test_a_difference_outside_its_adjusted_interval_names_the_adjusted_centre(app) -> None:
    """+200 points with an adjusted interval of 112 to 195: the sentence states the adjusted centre it is built on."""
    result = Result(
        Comparison.NPS,
        5,
        5,
        200.0,
        153.0,
        stats.Interval(112.0, 195.0),
        0.001,
        0.001,
        "adjusted_wald_z",
        Verdict.HIGHER,
        direction=1,
    )
    with _lang(app, "en"):
        text = sentences.effect(result)
    assert "+200 points" in text and "adjusted +153" in text and "112 to 195" in text
    inside = Result(
        Comparison.NPS,
        50,
        50,
        20.0,
        19.0,
        stats.Interval(5.0, 33.0),
        0.01,
        0.01,
        "adjusted_wald_z",
        Verdict.HIGHER,
        direction=1,
    )
    with _lang(app, "en"):
        assert sentences.effect(inside) == "+20 points (95 % CI 5 to 33)"


def test_advice_quotes_the_test_reach_and_cost_that_decide_it(app) -> None:
    """'improve' names the position, the test against the campaign with its adjusted p, and the visitors."""
    result = ratings.rate_touchpoints(
        [_tp(1, {10: 80, 8: 20}, 1000), _tp(2, {10: 80, 8: 20}, 100), _tp(3, {10: 20, 3: 80}, 1000)]
    )
    low = next(r for r in result.rows if r.touchpoint.id == 3)
    assert low.advice is ratings.Advice.IMPROVE
    with _lang(app, "en"):
        text = sentences.advice(low, result, _money)
    assert text.startswith("TP 3: improve – below the campaign")
    assert "NPS against the rest of the campaign: −" in text and "after adjustment" in text
    assert "1,000 visitors (median of the ranked touchpoints 1,000)" in text
    assert "per promoter" in text
    with _lang(app, "de"):
        assert sentences.advice(low, result, _money).startswith("TP 3: verbessern")


def test_measure_longer_says_how_many_answers_there_are(app) -> None:
    """n = 4: 'measure longer – 4 answers so far'; n = 0: 'no answers yet'; no label word."""
    result = ratings.rate_touchpoints([_tp(1, {3: 4}, 50), _tp(2, {}, 0)])
    with _lang(app, "en"):
        four, none = (sentences.advice(r, result, _money) for r in result.rows)
    assert "measure longer – 4 answers so far" in four
    assert none == "TP 2: measure longer – no answers yet."
    for text in (four, none):
        assert "effective" not in text and "keep" not in text
    one = ratings.rate_touchpoints([_tp(1, {3: 1}, 50), _tp(2, {}, 0)])
    with _lang(app, "de"):
        assert "länger messen – bisher 1 Antwort;" in sentences.advice(one.rows[0], one, _money)
    with _lang(app, "en"):
        assert "measure longer – 1 answer so far;" in sentences.advice(one.rows[0], one, _money)


def test_the_across_sentence_names_its_test_family_and_the_groups_left_out(app) -> None:
    """χ² on the NPS groups, adjusted over the metrics shown, and how many touchpoints had fewer than 10 answers."""
    from feedback.analysis.summaries import summarise

    groups = [
        summarise(GroupCounts(answers={Q.NPS: {10: 80, 8: 20}})),
        summarise(GroupCounts(answers={Q.NPS: {10: 20, 3: 80}})),
        summarise(GroupCounts(answers={Q.NPS: {10: 3}})),
    ]
    found = next(r for r in comparisons.across(groups) if r.metric is Metric.NPS)
    with _lang(app, "en"):
        text = sentences.differ_at_all(found)
    assert text.startswith("yes – the 2 touchpoints differ (χ² = ")
    assert "p < 0.0001 after adjustment" in text
    assert "1 touchpoint with fewer than 10 answers is left out of the test." in text


def test_advice_says_why_it_cannot_place_a_touchpoint_and_names_a_cost_without_promoters(app) -> None:
    """The rest of the campaign has 5 answers: "only 5 in the rest"; a cost without promoters is quoted as such."""
    result = ratings.rate_touchpoints([_tp(1, {10: 80, 8: 20}, 1000), _tp(2, {10: 5}, 100)])
    with _lang(app, "en"):
        text = sentences.advice(result.rows[0], result, _money)
    assert text == (
        "TP 1: measure longer – 100 answers here, but only 5 in the rest of the campaign; at least 10 are needed "
        "there to compare."
    )
    campaign = [_tp(i, {10: 50, 8: 10, 3: 40}, 100 * i) for i in range(1, 5)] + [_tp(5, {8: 12}, 50)]
    result = ratings.rate_touchpoints(campaign)
    row = next(r for r in result.rows if r.touchpoint.id == 5)
    with _lang(app, "en"):
        text = sentences.advice(row, result, _money)
    assert text.startswith("TP 5: make cheaper") and "no promoter for 100 € (campaign 2.50 € per promoter)" in text
