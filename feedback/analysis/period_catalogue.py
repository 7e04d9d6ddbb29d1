"""The fields of period and campaign comparisons and of the weekly trend, next to the metric catalogue (which is
per touchpoint): each field's key (the XLSX column and the API field), label, unit, interval method and meaning
(docs/STATISTICS.md §3). The page, the XLSX sheets "Periods" and "Trend" and the API read the same rows from here,
which tests/analysis/test_periods.py checks output by output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from feedback.analysis.catalogue import Method, Unit
from feedback.analysis.comparisons import PAIR_TESTS, Comparison, Result
from feedback.analysis.periods import Line, PeriodComparison, Week
from feedback.analysis.stats import Interval
from feedback.analysis.summaries import Summary


@dataclass(frozen=True)
class Field:
    """One field of a period or trend row."""

    key: str
    label: object
    unit: Unit | None
    method: Method | str
    help: object


#: Methods of the differences (the metric catalogue's Method covers the single values).
NEWCOMBE = "newcombe"
EFFECT_METHODS = f"{Method.ADJUSTED_WALD} | {NEWCOMBE} | {Method.NONE}"
VALUE_METHODS = f"{Method.ADJUSTED_WALD} | {Method.WILSON} | {Method.T}"

PERIOD_FIELDS = (
    Field("against", _l("Compared with"), None, Method.NONE, _l("previous, last_year or campaign.")),
    Field("a_from", _l("A from"), None, Method.NONE, _l("First day of A (empty: its first answer).")),
    Field("a_to", _l("A to"), None, Method.NONE, _l("Last day of A (empty: its last answer).")),
    Field(
        "b_from",
        _l("B from"),
        None,
        Method.NONE,
        _l("First day of B: the period before, a year earlier, or the other campaign's."),
    ),
    Field("b_to", _l("B to"), None, Method.NONE, _l("Last day of B.")),
    Field("row", _l("Row key"), None, Method.NONE, _l("total, a touchpoint id, or channel/phase of two campaigns.")),
    Field("label", _l("Row"), None, Method.NONE, _l("The campaign, touchpoint, or channel · phase.")),
    Field(
        "touchpoints_a",
        _l("Touchpoints of A"),
        None,
        Method.NONE,
        _l("Summed into the row (same channel and phase: pooled by summing counts)."),
    ),
    Field("touchpoints_b", _l("Touchpoints of B"), None, Method.NONE, _l("Summed into the row on B's side.")),
    Field("metric", _l("Metric"), None, Method.NONE, _l("nps, csat, ces, loyalty or response_rate.")),
    Field(
        "value_a",
        _l("Value A"),
        None,
        VALUE_METHODS,
        _l("NPS in points, CSAT and response rate as shares 0–1, effort (1–7) and loyalty (1–5) as means."),
    ),
    Field(
        "low_a",
        _l("A: 95 % interval, low"),
        None,
        VALUE_METHODS,
        _l("Adjusted Wald (NPS), Wilson (shares), t (means)."),
    ),
    Field("high_a", _l("A: 95 % interval, high"), None, VALUE_METHODS, _l("Upper end.")),
    Field("n_a", _l("n of A"), Unit.COUNT, Method.NONE, _l("Answers (scans for the response rate) in A.")),
    Field("value_b", _l("Value B"), None, VALUE_METHODS, _l("The same for B.")),
    Field("low_b", _l("B: 95 % interval, low"), None, VALUE_METHODS, _l("Lower end for B.")),
    Field("high_b", _l("B: 95 % interval, high"), None, VALUE_METHODS, _l("Upper end for B.")),
    Field("n_b", _l("n of B"), Unit.COUNT, Method.NONE, _l("Answers (scans) in B.")),
    Field(
        "effect",
        _l("Difference A − B"),
        None,
        EFFECT_METHODS,
        _l("NPS points; share difference (−1…1); effort and loyalty: probability of superiority of A."),
    ),
    Field("effect_unit", _l("Unit of the difference"), None, Method.NONE, _l("points, share or superiority.")),
    Field(
        "effect_low",
        _l("Difference: 95 % interval, low"),
        None,
        EFFECT_METHODS,
        _l("Adjusted Wald (NPS), Newcombe (shares); none for superiority."),
    ),
    Field("effect_high", _l("Difference: 95 % interval, high"), None, EFFECT_METHODS, _l("Upper end.")),
    Field(
        "effect_centre",
        _l("Centre of the interval"),
        None,
        Method.ADJUSTED_WALD,
        _l("The adjusted-Wald difference (NPS)."),
    ),
    Field("method", _l("Test"), None, Method.NONE, _l("adjusted_wald_z, chi2, fisher or mann_whitney_….")),
    Field("p", "p", None, Method.NONE, _l("Unadjusted two-sided p.")),
    Field(
        "p_holm",
        _l("p (Holm)"),
        None,
        Method.NONE,
        _l("Holm-adjusted per metric over the rows below the total; the total is one test."),
    ),
    Field("family", _l("Tests in the family"), Unit.COUNT, Method.NONE, _l("How many tests Holm adjusted over.")),
    Field(
        "verdict",
        _l("Verdict"),
        None,
        Method.NONE,
        _l("higher, lower, not_enough_evidence, too_few (under 10 a side) or no_variation."),
    ),
    Field("sentence", _l("In words"), None, Method.NONE, _l("The sentence the page shows.")),
)
PERIOD_HEADER = [f.key for f in PERIOD_FIELDS]
PERIODS_HELP = _l(
    "One row per metric of the campaign total and of each touchpoint (campaigns: each channel and phase both have, "
    "touchpoints sharing one summed): A (the chosen days, or this campaign) against B (the period before, the same "
    "dates a year earlier, or the other campaign). NPS by the adjusted-Wald z-test, shares by χ² or Fisher with "
    "Newcombe's interval, effort and loyalty by Mann–Whitney U; the total is one test per metric, the rows below it "
    "one Holm family per metric; under 10 answers a side not tested."
)

TREND_FIELDS = (
    Field("week", _l("Week"), None, Method.NONE, _l("ISO week (Monday first).")),
    Field("week_start", _l("Monday"), None, Method.NONE, _l("The week's Monday.")),
    Field("partial", _l("Partial week"), None, Method.NONE, _l("The chosen days cut the week.")),
    Field("nps", _l("NPS"), Unit.POINTS, Method.ADJUSTED_WALD, _l("The week's NPS in points.")),
    Field("nps_low", _l("NPS: 95 % interval, low"), Unit.POINTS, Method.ADJUSTED_WALD, _l("Adjusted Wald.")),
    Field("nps_high", _l("NPS: 95 % interval, high"), Unit.POINTS, Method.ADJUSTED_WALD, _l("Upper end.")),
    Field("nps_n", _l("NPS answers"), Unit.COUNT, Method.NONE, _l("The week's NPS answers.")),
    Field("enough", _l("At least 10 answers"), None, Method.NONE, _l("Weeks with fewer are drawn hollow, unjoined.")),
    Field("completion_rate", _l("Completion rate"), Unit.SHARE, Method.WILSON, _l("Completions ÷ starts.")),
    Field("completion_low", _l("Completion rate: 95 % interval, low"), Unit.SHARE, Method.WILSON, _l("Wilson.")),
    Field("completion_high", _l("Completion rate: 95 % interval, high"), Unit.SHARE, Method.WILSON, _l("Upper end.")),
    Field("starts", _l("Survey starts"), Unit.COUNT, Method.NONE, _l("The completion rate's n.")),
)
TREND_HEADER = [f.key for f in TREND_FIELDS]
TREND_HELP = _l(
    "One row per ISO week: the NPS with its adjusted-Wald interval and the completion rate (completions ÷ starts) "
    "with its Wilson interval; weeks with fewer than 10 NPS answers are marked and drawn hollow."
)

METRIC_KEYS = {
    Comparison.NPS: "nps",
    Comparison.CSAT: "csat",
    Comparison.CES: "ces",
    Comparison.LOYALTY: "loyalty",
    Comparison.RESPONSE_RATE: "response_rate",
}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _p(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")


def value_of(test: Comparison, summary: Summary) -> tuple[float | None, Interval | None, int]:
    """One side's value of a metric with its interval and n."""
    if test is Comparison.NPS:
        return summary.nps.nps, summary.nps.ci, summary.nps.n
    if test is Comparison.CSAT:
        return summary.csat.share, summary.csat.ci, summary.csat.n
    if test is Comparison.RESPONSE_RATE:
        rate = summary.response_rate
        return (rate.share, rate.ci, rate.n) if rate else (None, None, summary.counts.scans)
    mean = summary.ces if test is Comparison.CES else summary.loyalty
    return mean.mean, mean.ci, mean.n


#: (result, row, name of A, name of B) -> the sentence the page shows.
Sentence = Callable[[Result, Line], str]


def _day(value: object) -> str | None:
    return None if value is None else str(value)


def period_rows(found: PeriodComparison, sentence: Sentence) -> list[list[object]]:
    """One list of typed values per row and metric, in PERIOD_HEADER order (the total first)."""
    rows: list[list[object]] = []
    for line in found.lines:
        for test in PAIR_TESTS:
            result = line.result(test)
            if result is None:
                continue
            value_a, ci_a, n_a = value_of(test, line.a)
            value_b, ci_b, n_b = value_of(test, line.b)
            rows.append(
                [
                    found.against.value,
                    _day(found.a_days[0]),
                    _day(found.a_days[1]),
                    _day(found.b_days[0]),
                    _day(found.b_days[1]),
                    line.key,
                    line.label,
                    ", ".join(line.names_a),
                    ", ".join(line.names_b),
                    METRIC_KEYS[test],
                    _round(value_a),
                    _round(ci_a.low) if ci_a else None,
                    _round(ci_a.high) if ci_a else None,
                    n_a,
                    _round(value_b),
                    _round(ci_b.low) if ci_b else None,
                    _round(ci_b.high) if ci_b else None,
                    n_b,
                    _round(result.effect),
                    result.kind.value,
                    _round(result.ci.low) if result.ci else None,
                    _round(result.ci.high) if result.ci else None,
                    _round(result.centre) if test is Comparison.NPS else None,
                    result.method or None,
                    _p(result.p),
                    _p(result.p_adjusted),
                    result.family,
                    result.verdict.value,
                    sentence(result, line),
                ]
            )
    return rows


def trend_rows(weeks: list[Week]) -> list[list[object]]:
    """One list of typed values per week, in TREND_HEADER order."""
    rows: list[list[object]] = []
    for week in weeks:
        rate = week.completion_rate
        rows.append(
            [
                week.label,
                week.start.isoformat(),
                week.partial,
                _round(week.nps.nps),
                _round(week.nps.ci.low) if week.nps.ci else None,
                _round(week.nps.ci.high) if week.nps.ci else None,
                week.nps.n,
                week.enough,
                _round(rate.share) if rate else None,
                _round(rate.ci.low) if rate and rate.ci else None,
                _round(rate.ci.high) if rate and rate.ci else None,
                rate.n if rate else 0,
            ]
        )
    return rows


def documents(header: list[str], rows: list[list[object]]) -> list[dict[str, object]]:
    """Rows as JSON objects (the API's)."""
    return [dict(zip(header, row, strict=True)) for row in rows]
