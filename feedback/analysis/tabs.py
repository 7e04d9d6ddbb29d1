"""The ratings page's tabs and the charts each tab draws from a campaign report (no SQL: the numbers are the
report's, the charts only draw them)."""

from __future__ import annotations

import enum
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from feedback.analysis import charts, sentences
from feedback.analysis.choices import ChoiceQuestion
from feedback.analysis.comparisons import PAIR_TESTS, Comparison, Result
from feedback.analysis.driver_queries import DriverReport
from feedback.analysis.drivers import Kind
from feedback.analysis.period_catalogue import value_of
from feedback.analysis.periods import Line, PeriodComparison, Week
from feedback.analysis.ratings import TouchpointRating
from feedback.analysis.services import CampaignReport
from feedback.templating import mean2, number, percent, percent1, score


class Tab(enum.StrEnum):
    """The parts of the ratings page, one shown at a time (`?tab=`)."""

    OVERVIEW = "overview"
    TOUCHPOINTS = "touchpoints"
    COMPARE = "compare"  # its own page, /compare, shown as a tab
    PERIODS = "periods"  # its own page, /periods, shown as a tab
    JOURNEY = "journey"
    REFERRALS = "referrals"
    OFFERS = "offers"
    DRIVERS = "drivers"


TAB_LABELS = {
    Tab.OVERVIEW: _l("Overview"),
    Tab.TOUCHPOINTS: _l("Touchpoints"),
    Tab.COMPARE: _l("Compare"),
    Tab.PERIODS: _l("Periods"),
    Tab.JOURNEY: _l("Journey"),
    Tab.REFERRALS: _l("Referrals"),
    Tab.OFFERS: _l("Offers"),
    Tab.DRIVERS: _l("Drivers"),
}


def _score(value: float) -> str:
    return number(round(value))


def ranking_chart(rows: list[TouchpointRating]) -> Markup | None:
    """The rated touchpoints' composite ratings with their intervals (unranked ones marked)."""
    rated = [row for row in rows if row.rating is not None and row.min_n > 0]
    if not rated:
        return None
    return charts.ranking(
        [
            charts.RankItem(
                label=row.touchpoint.name,
                value=row.rating,  # type: ignore[arg-type]
                low=row.rating_ci.low,  # type: ignore[union-attr]
                high=row.rating_ci.high,  # type: ignore[union-attr]
                emphasised=row.ranked,
                note="" if row.ranked else " *",
            )
            for row in rated
        ],
        _("Touchpoint ranking"),
        _(
            "Composite rating 0–100 per touchpoint with its 95 % interval; * = too few answers to rank. "
            "The table below lists the same numbers."
        ),
        _score,
    )


def nps_chart(rows: list[TouchpointRating]) -> Markup | None:
    """Detractor, passive and promoter shares per touchpoint with NPS answers."""
    with_nps = [row for row in rows if row.summary.nps.n]
    if not with_nps:
        return None
    return charts.nps_distribution(
        [
            charts.NpsItem(
                row.touchpoint.name,
                row.summary.nps.detractor_share or 0,
                row.summary.nps.passive_share or 0,
                row.summary.nps.promoter_share or 0,
                row.summary.nps.n,
            )
            for row in with_nps
        ],
        _("NPS answers per touchpoint"),
        _("Shares of detractors (0–6), passives (7–8) and promoters (9–10) per touchpoint."),
        percent,
    )


def funnel_chart(report: CampaignReport) -> Markup | None:
    """Scans, starts, completions, invites and friends of the chosen touchpoints."""
    counts = report.total.counts if report.total else None
    if counts is None or not counts.scans:
        return None
    invites = report.referrals.invites if report.referrals else 0
    friends = report.referrals.friends if report.referrals else 0
    return charts.funnel(
        [
            (_("Scans"), counts.scans),
            (_("Survey starts"), counts.starts),
            (_("Completed"), counts.completions),
            (_("Invites"), invites),
            (_("Friends who answered"), friends),
        ],
        _("Funnel"),
        _(
            "From scans to invited friends who answered: %(scans)s scans, %(starts)s starts, %(done)s completed, "
            "%(invites)s invites, %(accepted)s friends who answered; the percentages are of the scans, counts "
            "without an interval (the rates with their intervals are listed below the chart).",
            scans=counts.scans,
            starts=counts.starts,
            done=counts.completions,
            invites=invites,
            accepted=friends,
        ),
        percent,
    )


def trend_chart(report: CampaignReport) -> Markup | None:
    """Completions per week and the week's NPS where it had at least 10 answers."""
    if not report.weeks:
        return None
    return charts.trend(
        [
            charts.WeekItem(
                week.label,
                week.summary.counts.completions,
                week.summary.nps.nps if week.summary.nps.n >= 10 else None,
            )
            for week in report.weeks
        ],
        _("Weekly trend"),
        _("Completed responses per week (columns) and the week's NPS where it had at least 10 answers (line)."),
        _("NPS"),
        _("Responses"),
    )


def matrix_chart(report: CampaignReport) -> Markup | None:
    """Rating against visitors of the chosen ranked touchpoints, split at the campaign's medians."""
    result = report.ratings
    matrix_rows = [row for row in report.rows if row.quadrant is not None]
    if len(matrix_rows) < 2:
        return None
    return charts.matrix(
        [
            charts.MatrixPoint(
                row.touchpoint.name,
                row.touchpoint.counts.visitors,
                row.rating,  # type: ignore[arg-type]
                _(
                    "%(name)s: rating %(rating)s (95 %% interval %(low)s to %(high)s), %(visitors)s visitors",
                    name=row.touchpoint.name,
                    rating=score(row.rating),
                    low=score(row.rating_ci.low if row.rating_ci else None),
                    high=score(row.rating_ci.high if row.rating_ci else None),
                    visitors=number(row.touchpoint.counts.visitors),
                ),
            )
            for row in matrix_rows
        ],
        result.median_visitors or 0,
        result.median_rating or 0,
        _("Touchpoint matrix"),
        _(
            "Rating against visitors (counted per day) of the ranked touchpoints, split at their medians: a "
            "description of where each one sits, not advice; the table lists each touchpoint's quadrant."
        ),
        (_("Visitors (reach)"), _("Rating (performance)")),
        (
            _("higher rating · more visitors"),
            _("higher rating · fewer visitors"),
            _("lower rating · more visitors"),
            _("lower rating · fewer visitors"),
        ),
    )


def choice_view(question: ChoiceQuestion, language: str, names: dict[int, str]) -> dict[str, object]:
    """What the ratings page shows of one choice question: its text, option labels, a chart of the campaign's
    shares with their intervals, the touchpoints' rows and the test's sentences."""
    def label(value: str) -> str:
        return question.label(value, language)

    total = question.analysis.total
    chart = (
        charts.ranking(
            [
                charts.RankItem(label(o.value), 100 * o.share.share, 100 * o.share.ci.low, 100 * o.share.ci.high)
                for o in total.options
                if o.share.share is not None and o.share.ci is not None
            ],
            question.spec.wording(language) or question.spec.key,
            _("Share of the respondents to this question who chose each option, with its 95 % interval (Wilson)."),
            lambda v: percent(v / 100),
        )
        if total.respondents
        else None
    )
    return {
        "key": question.spec.key,
        "text": question.spec.wording(language) or question.spec.key,
        "multiple": question.analysis.multiple,
        "labels": [label(v) for v in question.analysis.values],
        "chart": chart,
        "total": total,
        "rows": [(names.get(g.key, ""), g) for g in question.analysis.groups if g.respondents],  # type: ignore[call-overload]
        "tests": sentences.choice_tests(question.analysis, label),
    }


def driver_views(report: DriverReport, language: str) -> list[dict[str, object]]:
    """What the drivers tab lists per question (or option): its text, the tested number with its interval, n, the
    adjusted p and the sentence; ranked ones first, in rank order."""
    views = []
    for d in report.drivers:
        question, option = report.text(d.key, language), report.option_label(d.key, d.option, language)
        views.append(
            {
                "rank": d.rank,
                "question": question,
                "option": option,
                "correlation": d.kind is Kind.CORRELATION,
                "effect": sentences.driver_effect(d),
                "n": d.n,
                "n_rest": d.n_rest,
                "p": sentences.p_value(d.p_adjusted) if d.p_adjusted is not None else None,
                "verdict": d.verdict.value,
                "significant": d.significant,
                "sentence": sentences.driver(d, question, option),
            }
        )
    return views


def _value(test: Comparison, value: float | None) -> str:
    if value is None:
        return "–"
    if test is Comparison.NPS:
        return score(value)
    if test in (Comparison.CSAT, Comparison.RESPONSE_RATE):
        return percent1(value)
    return mean2(value)


def _side(test: Comparison, summary: object) -> dict[str, object]:
    value, ci, n = value_of(test, summary)  # type: ignore[arg-type]
    return {
        "value": _value(test, value),
        "ci": f"{_value(test, ci.low)} … {_value(test, ci.high)}" if ci else None,
        "n": n,
    }


def period_lines(found: PeriodComparison, sentence: Callable[[Result, Line], str]) -> list[dict[str, object]]:
    """What the periods page lists per row (the total first): its label, the touchpoints summed on each side, and
    per metric both sides' values with interval and n, the difference with its interval, the adjusted p and the
    sentence."""
    lines = []
    for line in found.lines:
        results = []
        for test in PAIR_TESTS:
            result = line.result(test)
            if result is None:
                continue
            results.append(
                {
                    "metric": sentences.compared_metric(test),
                    "a": _side(test, line.a),
                    "b": _side(test, line.b),
                    "diff": sentences.effect(result) if result.tested else "–",
                    "p": sentences.p_value(result.p_adjusted) if result.p_adjusted is not None else None,
                    "family": result.family,
                    "verdict": result.verdict.value,
                    "sentence": sentence(result, line),
                }
            )
        lines.append(
            {
                "label": line.label,
                "total": line.total,
                "pooled": line.pooled,
                "names_a": line.names_a,
                "names_b": line.names_b,
                "results": results,
            }
        )
    return lines


def weekly_band_chart(weeks: list[Week]) -> Markup | None:
    """Weekly NPS and completion rate with their 95 % intervals as shaded bands; thin weeks hollow."""
    if not weeks:
        return None
    nps = [
        charts.BandPoint(
            w.label, w.nps.nps, w.nps.ci.low if w.nps.ci else None, w.nps.ci.high if w.nps.ci else None, w.enough
        )
        for w in weeks
    ]
    rate = [
        charts.BandPoint(
            w.label,
            w.completion_rate.share if w.completion_rate else None,
            w.completion_rate.ci.low if w.completion_rate and w.completion_rate.ci else None,
            w.completion_rate.ci.high if w.completion_rate and w.completion_rate.ci else None,
            bool(w.completion_rate and w.completion_rate.n >= 10),
        )
        for w in weeks
    ]
    return charts.banded_trend(
        nps,
        rate,
        _("Weekly NPS and completion rate"),
        _(
            "NPS per week (upper panel, −100 to 100) and completion rate, completions per survey start (lower panel, "
            "0 to 100 %), each with its 95 % interval as a shaded band. Hollow points: weeks with fewer than 10 "
            "answers (or starts), not joined and without a band; no point: no answers. The table below lists the "
            "same numbers."
        ),
        (_("NPS"), _("Completion rate")),
        percent,
    )
