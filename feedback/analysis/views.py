"""Dashboard pages of analysis: campaign overview, touchpoint detail, comparisons and downloads."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.analysis import charts, pdf, sentences
from feedback.analysis.choices import ChoiceQuestion
from feedback.analysis.downloads import (
    Download,
    all_campaigns,
    campaigns_ratings_download,
    campaigns_responses_download,
    ratings_download,
    responses_download,
)
from feedback.analysis.queries import Scope, kept_apart, text_answers
from feedback.analysis.services import (
    REST,
    DateRange,
    GroupKind,
    InvalidPeriod,
    campaign_report,
    campaign_touchpoint,
    code_arrivals,
    compare_groups,
    comparison_groups,
    parse_range,
)
from feedback.analysis.stats import Side
from feedback.analysis.summaries import Arrivals
from feedback.bounds import page_number
from feedback.errors import DomainError, NotFound
from feedback.exports import CsvDialect, dialect_named
from feedback.surveys.questions import NPS_GROUPS
from feedback.templating import channel_label, device_label, money, number, percent, phase_label, score
from feedback.tenancy import current_workspace, scope_blueprint
from feedback.touchpoints import services as touchpoint_services
from feedback.touchpoints.models import Phase

bp = Blueprint("analysis", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)

#: Score groups the free-text answers can be filtered by.
SCORE_GROUPS = NPS_GROUPS
TEXTS_PER_PAGE = 25


def _dates() -> tuple[DateRange, str | None]:
    """The period from the query string; an unreadable one falls back to everything, with the reason."""
    try:
        return parse_range(request.args.get("from"), request.args.get("to")), None
    except InvalidPeriod as error:
        return DateRange(), str(error.message)


def _strict_dates() -> DateRange:
    return parse_range(request.args.get("from"), request.args.get("to"))


def _dialect() -> CsvDialect:
    """The CSV dialect of `?dialect=` (plain, or excel-de for German Excel); plain without one."""
    return dialect_named(request.args.get("dialect"))


def _send(download: Download) -> Response:
    body = download.body
    if not isinstance(body, bytes):
        body = stream_with_context(body)
    response = Response(body, mimetype=download.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _score(value: float) -> str:
    return number(round(value))


@bp.route("/campaigns/<int:campaign_id>/ratings")
def overview(campaign_id: int) -> str:
    """The campaign at a glance: ranking, NPS distribution, journey, funnel, trend, matrix, advice, roll-ups."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    dates, date_error = _dates()
    report = campaign_report(campaign, dates)
    result = report.ratings
    rated = [row for row in result.rows if row.rating is not None and row.min_n > 0]
    ranking_chart = (
        charts.ranking(
            [
                charts.RankItem(
                    label=row.touchpoint.name,
                    value=row.rating,
                    low=row.rating_ci.low,
                    high=row.rating_ci.high,
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
        if rated
        else None
    )
    with_nps = [row for row in result.rows if row.summary.nps.n]
    nps_chart = (
        charts.nps_distribution(
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
        if with_nps
        else None
    )
    counts = result.total.counts
    funnel_chart = (
        charts.funnel(
            [
                (_("Scans"), counts.scans),
                (_("Survey starts"), counts.starts),
                (_("Completed"), counts.completions),
                (_("Invites"), result.referrals.invites),
                (_("Friends who answered"), result.referrals.friends),
            ],
            _("Funnel"),
            _(
                "From scans to invited friends who answered: %(scans)s scans, %(starts)s starts, %(done)s completed, "
                "%(invites)s invites, %(accepted)s friends who answered; the percentages are of the scans, counts "
                "without an interval (the rates with their intervals are listed below the chart).",
                scans=counts.scans,
                starts=counts.starts,
                done=counts.completions,
                invites=result.referrals.invites,
                accepted=result.referrals.friends,
            ),
            percent,
        )
        if counts.scans
        else None
    )
    trend_chart = (
        charts.trend(
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
        if report.weeks
        else None
    )
    matrix_rows = [row for row in result.rows if row.quadrant is not None]
    matrix_chart = (
        charts.matrix(
            [
                charts.MatrixPoint(
                    row.touchpoint.name,
                    row.touchpoint.counts.visitors,
                    row.rating,
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
        if len(matrix_rows) >= 2
        else None
    )
    advice = [sentences.advice(row, result, money) for row in result.rows]
    language = get_locale().language if get_locale() else "en"
    names = {row.touchpoint.id: row.touchpoint.name for row in result.rows}
    choice_views = [_choice_view(question, language, names) for question in report.choices]
    return render_template(
        "analysis/overview.html",
        campaign=campaign,
        report=report,
        result=result,
        dates=dates,
        date_error=date_error,
        shown={
            "csat": result.total.csat.n > 0,
            "ces": result.total.ces.n > 0,
            "loyalty": result.total.loyalty.n > 0,
        },
        charts={
            "ranking": ranking_chart,
            "nps": nps_chart,
            "funnel": funnel_chart,
            "trend": trend_chart,
            "matrix": matrix_chart,
        },
        advice=advice,
        phases=list(Phase),
        channel_label_filter=channel_label,
        phase_label_filter=phase_label,
        device_label_filter=device_label,
        p_value=sentences.p_value,
        method_label=sentences.method_label,
        differ_at_all=sentences.differ_at_all,
        metric_name=sentences.metric_name,
        choice_views=choice_views,
    )


def _choice_view(question: ChoiceQuestion, language: str, names: dict[int, str]) -> dict[str, object]:
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
            question.spec.text(language) or question.spec.key,
            _("Share of the respondents to this question who chose each option, with its 95 % interval (Wilson)."),
            lambda v: percent(v / 100),
        )
        if total.respondents
        else None
    )
    return {
        "key": question.spec.key,
        "text": question.spec.text(language) or question.spec.key,
        "multiple": question.analysis.multiple,
        "labels": [label(v) for v in question.analysis.values],
        "chart": chart,
        "total": total,
        "rows": [(names.get(g.key, ""), g) for g in question.analysis.groups if g.respondents],  # type: ignore[call-overload]
        "tests": sentences.choice_tests(question.analysis, label),
    }


KIND_LABELS = {
    GroupKind.TOUCHPOINT: _l("Touchpoints"),
    GroupKind.CODE: _l("Print variants (codes)"),
    GroupKind.CHANNEL: _l("Channels"),
    GroupKind.PHASE: _l("Journey phases"),
}


SIDE_LABELS = {
    Side.TWO_SIDED: _l("different from it (two-sided)"),
    Side.ABOVE: _l("above it (decided before looking)"),
    Side.BELOW: _l("below it (decided before looking)"),
}


def _group_label(kind: GroupKind, label: str) -> str:
    if kind is GroupKind.CHANNEL:
        return channel_label(label)
    if kind is GroupKind.PHASE:
        return phase_label(label)
    return label


@bp.route("/campaigns/<int:campaign_id>/compare")
def compare(campaign_id: int) -> str:
    """Two touchpoints, print variants, channels or phases (or one against the rest, and a benchmark NPS)."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    dates, date_error = _dates()
    report = campaign_report(campaign, dates)
    unknown = (request.args.get("kind") or GroupKind.TOUCHPOINT) not in set(GroupKind) or (
        request.args.get("side") or Side.TWO_SIDED
    ) not in set(Side)
    kind = GroupKind(request.args.get("kind")) if request.args.get("kind") in set(GroupKind) else GroupKind.TOUCHPOINT
    groups = {
        key: (_group_label(kind, label), summary) for key, (label, summary) in comparison_groups(report, kind).items()
    }
    args = {k: request.args.get(k, "").strip() for k in ("a", "b", "benchmark", "side")}
    args["b"] = args["b"] or REST
    side = Side(args["side"]) if args["side"] in set(Side) else Side.TWO_SIDED
    args["side"] = side.value
    error, found = date_error, None
    if unknown:
        # a hand-edited or outdated link: say so instead of answering another question than the one asked
        error = _("This comparison or test direction does not exist. Choose one from the lists.")
    elif args["a"]:
        try:
            benchmark = float(args["benchmark"].replace(",", ".").replace("−", "-")) if args["benchmark"] else None
            if benchmark is not None and not -100 <= benchmark <= 100:
                raise ValueError(args["benchmark"])
            a_name, b_name, results = compare_groups(report, groups, args["a"], args["b"], benchmark, side)
            found = {
                "a_name": a_name,
                "b_name": b_name,
                "results": results,
                "sentences": [sentences.comparison(r, a_name, b_name) for r in results],
            }
        except ValueError:
            error = _("Choose two touchpoints and, if you like, a benchmark NPS between −100 and 100.")
        except DomainError as problem:
            error = str(problem.message)
    return render_template(
        "analysis/compare.html",
        campaign=campaign,
        groups=groups,
        kind=kind,
        kinds=KIND_LABELS,
        dates=dates,
        error=error,
        found=found,
        args=args,
        rest=REST,
        sides=SIDE_LABELS,
        p_value=sentences.p_value,
        method_label=sentences.method_label,
    )


@bp.route("/campaigns/<int:campaign_id>/ratings/<int:touchpoint_id>")
def touchpoint(campaign_id: int, touchpoint_id: int) -> str:
    """One touchpoint's numbers, its comparison with the rest of the campaign and its free-text answers."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    tp = campaign_touchpoint(campaign, touchpoint_id)
    if tp is None:
        raise NotFound()
    dates, date_error = _dates()
    report = campaign_report(campaign, dates)
    row = next(r for r in report.ratings.rows if r.touchpoint.id == tp.id)
    results = list(row.vs_rest)
    group = request.args.get("group", "")
    page = page_number(request.args.get("page"))
    scope = Scope(campaign.workspace_id, (tp.id,), dates.period(campaign.workspace.timezone))
    texts, total_texts = text_answers(scope, SCORE_GROUPS.get(group), TEXTS_PER_PAGE, (page - 1) * TEXTS_PER_PAGE)
    rest_name = _("the rest of the campaign")
    return render_template(
        "analysis/touchpoint.html",
        campaign=campaign,
        touchpoint=tp,
        row=row,
        result=report.ratings,
        dates=dates,
        date_error=date_error,
        results=results,
        sentences=[sentences.comparison(r, tp.name, rest_name) for r in results],
        advice=sentences.advice(row, report.ratings, money),
        scannability=sentences.scannability(
            sum(code_arrivals(campaign.workspace_id, campaign.workspace.timezone, [tp.id]).values(), Arrivals())
        ),
        texts=texts,
        total_texts=total_texts,
        kept_apart=kept_apart(scope),
        group=group if group in SCORE_GROUPS else "",
        page=page,
        pages=max(1, -(-total_texts // TEXTS_PER_PAGE)),
        p_value=sentences.p_value,
        method_label=sentences.method_label,
    )


@bp.route("/campaigns/<int:campaign_id>/ratings.<fmt>")
def download_ratings(campaign_id: int, fmt: str) -> Response:
    """Ratings as CSV (`?dialect=excel-de` for German Excel), XLSX or JSON for the chosen period."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    return _send(ratings_download(campaign, _strict_dates(), fmt, _dialect()))


@bp.route("/campaigns/<int:campaign_id>/responses.<fmt>")
def download_responses(campaign_id: int, fmt: str) -> Response:
    """Raw responses as CSV or XLSX (one column per question key) or JSON."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    return _send(responses_download(campaign, _strict_dates(), fmt, _dialect()))


@bp.route("/ratings.<fmt>")
def download_all_ratings(fmt: str) -> Response:
    """Ratings of every campaign of the workspace in one file (a first `campaign` column when there are several)."""
    workspace = current_workspace()
    return _send(
        campaigns_ratings_download(workspace, all_campaigns(workspace.id), _strict_dates(), fmt, _dialect())
    )


@bp.route("/responses.<fmt>")
def download_all_responses(fmt: str) -> Response:
    """Raw responses of every campaign of the workspace in one file."""
    workspace = current_workspace()
    return _send(
        campaigns_responses_download(workspace, all_campaigns(workspace.id), _strict_dates(), fmt, _dialect())
    )


@bp.route("/campaigns/<int:campaign_id>/summary.pdf")
def download_summary(campaign_id: int) -> Response:
    """A one-page campaign summary for management."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    return _send(pdf.summary_download(campaign, _strict_dates()))
