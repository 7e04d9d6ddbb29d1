"""The themes' fields, next to the metric catalogue (which is per touchpoint) and the drivers' fields: each field's key
(the download column and the API field), label, unit and method (docs/STATISTICS.md §2). The XLSX sheet, the ratings
JSON and the API read the same rows from here, with the marketer's edits already applied by themes.py; the page shows
the same Theme objects, which tests/analysis/test_theme_outputs.py checks output by output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from feedback.analysis.catalogue import Method, Unit
from feedback.analysis.themes import QUOTES, Theme


@dataclass(frozen=True)
class ThemeField:
    """One field of a theme row."""

    key: str
    label: object
    unit: Unit | None
    method: Method | str
    help: object


#: Methods of the themes' difference and test (the metric catalogue's Method covers the touchpoint metrics).
NEWCOMBE = "newcombe_hybrid_score"
CHI2_OR_FISHER = "chi2 | fisher"

THEME_FIELDS = (
    ThemeField("key", _l("Theme key"), None, Method.NONE, _l("The term or phrase in lower case; stable across edits.")),
    ThemeField("label", _l("Theme"), None, Method.NONE, _l("The name shown: the marketer's name, else as written.")),
    ThemeField("answers", _l("Answers read"), Unit.COUNT, Method.NONE, _l("Answers the themes were found in.")),
    ThemeField("count", _l("Answers naming it"), Unit.COUNT, Method.NONE, _l("Each answer counted once.")),
    ThemeField("share", _l("Share of answers"), Unit.SHARE, Method.WILSON, _l("count ÷ answers.")),
    ThemeField("ci_low", _l("95 % interval, low"), Unit.SHARE, Method.WILSON, _l("Wilson interval of the share.")),
    ThemeField("ci_high", _l("95 % interval, high"), Unit.SHARE, Method.WILSON, _l("Upper end.")),
    ThemeField("detractors_n", _l("Detractors' answers"), Unit.COUNT, Method.NONE, _l("Answers of NPS 0–6.")),
    ThemeField("detractors_count", _l("Detractors naming it"), Unit.COUNT, Method.NONE, _l("Of those answers.")),
    ThemeField("detractors_share", _l("Share among detractors"), Unit.SHARE, Method.WILSON, _l("Empty without any.")),
    ThemeField("promoters_n", _l("Promoters' answers"), Unit.COUNT, Method.NONE, _l("Answers of NPS 9–10.")),
    ThemeField("promoters_count", _l("Promoters naming it"), Unit.COUNT, Method.NONE, _l("Of those answers.")),
    ThemeField("promoters_share", _l("Share among promoters"), Unit.SHARE, Method.WILSON, _l("Empty without any.")),
    ThemeField(
        "difference",
        _l("Detractors − promoters"),
        Unit.SHARE,
        Method.NONE,
        _l("The detractors' share minus the promoters' (−1…1); empty when not tested."),
    ),
    ThemeField("difference_low", _l("95 % interval, low"), Unit.SHARE, NEWCOMBE, _l("Newcombe's hybrid score.")),
    ThemeField("difference_high", _l("95 % interval, high"), Unit.SHARE, NEWCOMBE, _l("Upper end.")),
    ThemeField(
        "test", _l("Test"), None, CHI2_OR_FISHER, _l("chi2 (no Yates), or fisher with an expected count under 5.")
    ),
    ThemeField("p", "p", None, CHI2_OR_FISHER, _l("Unadjusted p of detractors against promoters.")),
    ThemeField("p_adjusted", _l("p (Holm)"), None, Method.NONE, _l("Holm-adjusted over the themes tested.")),
    ThemeField("family", _l("Tests in the family"), Unit.COUNT, Method.NONE, _l("How many themes Holm adjusted over.")),
    ThemeField(
        "more_among_detractors",
        _l("More frequent among detractors"),
        None,
        Method.NONE,
        _l("True when p (Holm) < 0.05 and the detractors' share is the higher."),
    ),
    *(
        ThemeField(f"quote_{i}", _l("Typical answer"), None, Method.NONE, _l("An answer naming it, as written."))
        for i in range(1, QUOTES + 1)
    ),
)
THEME_HEADER = [f.key for f in THEME_FIELDS]
THEMES_HELP = _l(
    "One row per theme (a term or phrase named in at least 3 of the campaign's open-text answers of the period), with "
    "the marketer's renames, hidden themes and merges applied as on the comments page: count and share of the answers "
    "with the Wilson 95 % interval; the share among detractors' answers against promoters' (difference with "
    "Newcombe's interval, χ² or Fisher's exact test, p Holm-adjusted over the themes tested). At most the newest "
    "20,000 answers are read."
)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _p(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")


def theme_rows(themes: Sequence[Theme], answers: int) -> list[list[object]]:
    """One list of typed values per theme, in THEME_HEADER order (as listed: most often named first)."""
    family = sum(1 for t in themes if t.p_adjusted is not None)
    rows: list[list[object]] = []
    for t in themes:
        test = t.test if t.test is not None and not t.test.no_variation else None
        difference = test.ci if test is not None else None
        quotes = list(t.quotes[:QUOTES]) + [None] * (QUOTES - len(t.quotes))
        rows.append(
            [
                t.key,
                t.label,
                answers,
                t.count,
                _round(t.share.share),
                _round(t.share.ci.low) if t.share.ci else None,
                _round(t.share.ci.high) if t.share.ci else None,
                t.detractors.n,
                t.detractors.k,
                _round(t.detractors.share),
                t.promoters.n,
                t.promoters.k,
                _round(t.promoters.share),
                _round(test.diff) if test is not None else None,
                _round(difference.low) if difference else None,
                _round(difference.high) if difference else None,
                test.test if test is not None else None,
                _p(test.p) if test is not None else None,
                _p(t.p_adjusted),
                family,
                t.more_among_detractors,
                *quotes,
            ]
        )
    return rows


def theme_documents(rows: list[list[object]]) -> list[dict[str, object]]:
    """The rows as JSON objects (the ratings download's `themes`; the API adds the quotes as a list)."""
    return [dict(zip(THEME_HEADER, row, strict=True)) for row in rows]
