"""The drivers' fields, next to the metric catalogue (which is per touchpoint): each field's key (the download column
and the API field), label, unit and method (docs/STATISTICS.md §1). The XLSX sheet, the ratings JSON, the API and
the page read the same rows from here, which tests/analysis/test_drivers.py checks output by output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from feedback.analysis.catalogue import Method, Unit
from feedback.analysis.drivers import Driver, Kind

if TYPE_CHECKING:  # the rows are pure; only the report comes from the database
    from feedback.analysis.driver_queries import DriverReport


@dataclass(frozen=True)
class DriverField:
    """One field of a driver row."""

    key: str
    label: object
    unit: Unit | None
    method: Method | str
    help: object


#: Methods of the drivers' intervals (the metric catalogue's Method covers the touchpoint metrics).
FISHER_Z = "fisher_z_bonett_wright"

DRIVER_FIELDS = (
    DriverField("question_key", _l("Question key"), None, Method.NONE, _l("The question's stable key.")),
    DriverField("question", _l("Question"), None, Method.NONE, _l("The question in the download's language.")),
    DriverField("question_type", _l("Question type"), None, Method.NONE, _l("csat, ces, rating or single_choice.")),
    DriverField(
        "relation",
        _l("Relation"),
        None,
        Method.NONE,
        _l("spearman: rank correlation with the NPS; nps_difference: an option's group against the rest."),
    ),
    DriverField("option", _l("Option"), None, Method.NONE, _l("The option whose group is compared (differences).")),
    DriverField("option_label", _l("Option label"), None, Method.NONE, _l("The option in the download's language.")),
    DriverField("n", "n", Unit.COUNT, Method.NONE, _l("Pairs (correlation) or the option's group (difference).")),
    DriverField("n_rest", _l("n of the rest"), Unit.COUNT, Method.NONE, _l("The question's other respondents.")),
    DriverField(
        "effect",
        _l("Effect"),
        None,
        Method.NONE,
        _l("Spearman's ρ (−1…1), or the NPS difference group − rest in points (−200…200)."),
    ),
    DriverField(
        "effect_low",
        _l("95 % interval, low"),
        None,
        f"{FISHER_Z} | {Method.ADJUSTED_WALD}",
        _l("ρ: Fisher z with the Bonett–Wright SE √((1 + ρ²/2)/(n − 3)); difference: adjusted Wald (STATS.md §3)."),
    ),
    DriverField(
        "effect_high", _l("95 % interval, high"), None, f"{FISHER_Z} | {Method.ADJUSTED_WALD}", _l("Upper end.")
    ),
    DriverField(
        "effect_centre",
        _l("Centre of the interval"),
        Unit.POINTS,
        Method.ADJUSTED_WALD,
        _l("The adjusted-Wald difference (differences only)."),
    ),
    DriverField("p", "p", None, Method.NONE, _l("Unadjusted p (scipy spearmanr, or the adjusted-Wald z-test).")),
    DriverField("p_holm", _l("p (Holm)"), None, Method.NONE, _l("Holm-adjusted over every test of the campaign.")),
    DriverField("family", _l("Tests in the family"), Unit.COUNT, Method.NONE, _l("How many tests Holm adjusted over.")),
    DriverField(
        "verdict",
        _l("Verdict"),
        None,
        Method.NONE,
        _l("higher, lower, no_clear_relation, too_few (under 10 answers) or no_variation."),
    ),
    DriverField("rank", _l("Rank"), None, Method.NONE, _l("1 = strongest; significant ones first; empty if untested.")),
    DriverField(
        "strength",
        _l("Strength"),
        Unit.RATIO,
        Method.NONE,
        _l("The ordering key: the end of ρ's interval nearest 0 (0 when it spans 0), or |difference| ÷ 100."),
    ),
    DriverField("sentence", _l("In words"), None, Method.NONE, _l("The sentence the page shows.")),
)
DRIVER_HEADER = [f.key for f in DRIVER_FIELDS]
DRIVERS_HELP = _l(
    "One row per question (per option of a single-choice question) of the campaign's surveys against the NPS of the "
    "same completed response: Spearman's ρ with its 95 % interval (Fisher z, Bonett–Wright SE) for scale questions, "
    "the NPS difference of an option's group against the rest (adjusted Wald) for choice questions; p Holm-adjusted "
    "over the campaign; under 10 answers not tested. An association, not proof of cause."
)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _p(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")


def driver_rows(report: DriverReport, language: str, sentence: Callable[[Driver, str, str], str]) -> list[list[object]]:
    """One list of typed values per driver, in DRIVER_HEADER order (the ranked ones first)."""
    rows: list[list[object]] = []
    for d in report.drivers:
        spec = report.questions.get(d.key)
        question, option = report.text(d.key, language), report.option_label(d.key, d.option, language)
        rows.append(
            [
                d.key,
                question,
                spec.type.value if spec else None,
                d.kind.value,
                d.option,
                option or None,
                d.n,
                d.n_rest,
                _round(d.effect),
                _round(d.ci.low) if d.ci else None,
                _round(d.ci.high) if d.ci else None,
                _round(d.centre) if d.kind is Kind.DIFFERENCE else None,
                _p(d.p),
                _p(d.p_adjusted),
                d.family,
                d.verdict.value,
                d.rank,
                _round(d.strength),
                sentence(d, question, option),
            ]
        )
    return rows


def driver_documents(rows: list[list[object]]) -> list[dict[str, object]]:
    """The rows as JSON objects (the ratings download's and the API's `drivers`)."""
    return [dict(zip(DRIVER_HEADER, row, strict=True)) for row in rows]
