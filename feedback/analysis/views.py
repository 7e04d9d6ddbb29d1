"""Dashboard pages of analysis: campaign overview, touchpoint detail, comparisons and downloads."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.analysis import pdf, rollups, sentences, tabs
from feedback.analysis.comments import comment_page, comments_csv, highlighted, read_comment_filters
from feedback.analysis.downloads import (
    Download,
    all_campaigns,
    campaigns_ratings_download,
    campaigns_responses_download,
    ratings_download,
    responses_download,
)
from feedback.analysis.driver_queries import campaign_drivers
from feedback.analysis.filters import FILTER_KEYS, read_filters
from feedback.analysis.forms import ThemeEditForm
from feedback.analysis.queries import Scope, kept_apart, text_answers
from feedback.analysis.segment_panel import panel
from feedback.analysis.segment_store import (
    read_campaign_segment,
    saved_segments,
    segment_questions,
    strict_segment,
)
from feedback.analysis.segments import Segment
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
from feedback.analysis.tabs import TAB_LABELS, Tab
from feedback.analysis.theme_edits import campaign_themes, undoable_edits
from feedback.auth.models import Role
from feedback.bounds import page_number
from feedback.errors import DomainError, NotFound
from feedback.exports import CsvDialect, dialect_named
from feedback.replica import route_reads
from feedback.surveys.questions import NPS_GROUPS
from feedback.templating import channel_label, device_label, money, phase_label
from feedback.tenancy import current_role, current_workspace, scope_blueprint
from feedback.texts import LANGUAGES
from feedback.touchpoints import services as touchpoint_services
from feedback.touchpoints.models import Campaign, Phase

bp = Blueprint("analysis", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)
route_reads(bp)  # after the access check: the analysis may read from the replica

#: Score groups the free-text answers can be filtered by.
SCORE_GROUPS = NPS_GROUPS
TEXTS_PER_PAGE = 25
#: Quotes of a theme are cut to this many characters on screen.
QUOTE_LENGTH = 160


def read_dates() -> tuple[DateRange, str | None]:
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


def kept_query(dates: DateRange, **values: object) -> dict[str, str]:
    """Query parameters that keep the period (and the given values), leaving out the empty ones."""
    found = {"from": dates.first, "to": dates.last, **values}
    return {key: str(value) for key, value in found.items() if value not in (None, "")}


def _strict_segment(campaign: Campaign | None = None) -> Segment:
    """The segment of a download; a condition that cannot be used refuses the download (422)."""
    return strict_segment(request.args, current_workspace().id, campaign)


def segment_page(
    campaign: Campaign, segment: Segment, endpoint: str, keep: dict[str, str], page: str, **route: object
) -> dict[str, object]:
    """What the segment panel of a page needs: its choices and chips, the form's target and hidden values (the
    page's other parameters), where to save it and whether the reader may."""
    language = get_locale().language if get_locale() else "en"
    questions = segment_questions(campaign.workspace_id, campaign)

    def url_with(other: Segment) -> str:
        return url_for(endpoint, **route, **keep, **other.query())

    saved = [(row.id, row.name) for row in saved_segments(campaign.workspace_id)]
    try:
        dates = parse_range(keep.get("from"), keep.get("to"))
    except InvalidPeriod:
        dates = DateRange()
    return {
        "segment_scans": rollups.scans_counted(campaign.workspace_id, dates.first, dates.last, segment),
        "segment_view": panel(segment, questions, saved, language, url_with, device_label),
        "segment_action": url_for(endpoint, **route),
        "segment_hidden": keep,
        "segment_save_url": url_for(
            "segments.save",
            campaign_id=campaign.id,
            page=page,
            **{key: value for key, value in route.items() if key != "campaign_id"},
            **_without(keep, "page"),
            **segment.query(),
        ),
        "segment_can_save": current_role().allows(Role.EDITOR),
        "segment_clear_url": url_with(Segment()),
    }


def _described(campaign: Campaign, segment: Segment) -> str:
    """The segment in words (for the PDF)."""
    if not segment.active:
        return ""
    language = get_locale().language if get_locale() else "en"
    questions = segment_questions(campaign.workspace_id, campaign)
    chips = panel(segment, questions, [], language, lambda _s: "", device_label)
    return " · ".join(f"{chip.name}: {chip.value}" for chip in chips.chips)


def tab_links(campaign_id: int, current: Tab, keep: dict[str, str]) -> list[dict[str, object]]:
    """The tabs as links that keep the period and filters; compare and periods are pages of their own (periods
    always covers the whole campaign, so it keeps the period only)."""
    links = []
    for tab, label in TAB_LABELS.items():
        if tab is Tab.COMPARE:
            url = url_for("analysis.compare", campaign_id=campaign_id, **keep)
        elif tab is Tab.PERIODS:
            url = url_for("periods.page", campaign_id=campaign_id, **_without(keep, *FILTER_KEYS))
        else:
            url = url_for("analysis.overview", campaign_id=campaign_id, **_without(keep, "tab"), tab=tab.value)
        links.append({"tab": tab.value, "label": label, "url": url, "current": tab is current})
    return links


def _without(values: dict[str, str], *keys: str) -> dict[str, str]:
    return {key: value for key, value in values.items() if key not in keys}


@bp.route("/campaigns/<int:campaign_id>/ratings")
def overview(campaign_id: int) -> str | Response:
    """The campaign's ratings in tabs (overview, touchpoints, journey, referrals, offers; compare is its own page),
    narrowed by the touchpoint, channel and phase filters of the query string."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    dates, date_error = read_dates()
    filters, notices = read_filters(request.args, touchpoint_services.touchpoints_of(campaign, include_archived=True))
    asked = request.args.get("tab") or Tab.OVERVIEW
    if asked not in set(Tab):
        notices.append(_("This part of the ratings does not exist; showing the overview."))
    tab = Tab(asked) if asked in set(Tab) else Tab.OVERVIEW
    segment, segment_notices = read_campaign_segment(request.args, campaign)
    notices += segment_notices
    plain = kept_query(dates, **filters.query())
    keep: dict = {**plain, **segment.query()}
    if tab is Tab.COMPARE:
        return redirect(url_for("analysis.compare", campaign_id=campaign.id, **keep))
    if tab is Tab.PERIODS:
        return redirect(url_for("periods.page", campaign_id=campaign.id, **_without(keep, *FILTER_KEYS)))
    report = campaign_report(campaign, dates, filters, segment)
    here = {**keep, "tab": tab.value} if tab is not Tab.OVERVIEW else keep

    def filter_url(key: str, value: object) -> str:
        """This tab with one more filter (or another value of it)."""
        return url_for("analysis.overview", campaign_id=campaign.id, **{**here, key: str(value)})

    names = {row.touchpoint.id: row.touchpoint.name for row in report.ratings.rows}
    chips = [
        {
            "name": {"touchpoint": _("Touchpoint"), "channel": _("Channel"), "phase": _("Phase")}[key],
            "value": names[int(value)]
            if key == "touchpoint"
            else (channel_label(value) if key == "channel" else phase_label(value)),
            "remove": url_for("analysis.overview", campaign_id=campaign.id, **_without(here, key)),
        }
        for key, value in filters.query().items()
    ]
    language = get_locale().language if get_locale() else "en"
    drawn = {
        Tab.OVERVIEW: lambda: {"ranking": tabs.ranking_chart(report.rows), "trend": tabs.trend_chart(report)},
        Tab.TOUCHPOINTS: lambda: {"nps": tabs.nps_chart(report.rows), "matrix": tabs.matrix_chart(report)},
        Tab.JOURNEY: lambda: {"funnel": tabs.funnel_chart(report)},
        Tab.REFERRALS: lambda: {"funnel": tabs.funnel_chart(report)},
        Tab.OFFERS: dict,
        Tab.DRIVERS: dict,
    }[tab]()
    drivers = campaign_drivers(campaign, dates, segment) if tab is Tab.DRIVERS else None
    total = report.total or report.ratings.total
    page_keep = {**plain, "tab": tab.value} if tab is not Tab.OVERVIEW else plain
    return render_template(
        "analysis/overview.html",
        **segment_page(campaign, segment, "analysis.overview", page_keep, "ratings", campaign_id=campaign.id),
        download_query={**kept_query(dates), **segment.query()},
        campaign=campaign,
        report=report,
        result=report.ratings,
        rows=report.rows,
        total=total,
        tab=tab.value,
        tabs=tab_links(campaign.id, tab, keep),
        filters=filters,
        chips=chips,
        notices=notices,
        hidden=_without(here, "from", "to"),
        all_filters_url=url_for("analysis.overview", campaign_id=campaign.id, **_without(here, *FILTER_KEYS)),
        filter_url=filter_url,
        dates=dates,
        date_error=date_error,
        shown={
            "csat": total.csat.n > 0,
            "ces": total.ces.n > 0,
            "loyalty": total.loyalty.n > 0,
        },
        charts=drawn,
        advice=[sentences.advice(row, report.ratings, money) for row in report.rows] if tab is Tab.OVERVIEW else [],
        phases=[phase for phase in Phase if filters.phase in (None, phase.value)],
        channel_label_filter=channel_label,
        phase_label_filter=phase_label,
        device_label_filter=device_label,
        p_value=sentences.p_value,
        method_label=sentences.method_label,
        differ_at_all=sentences.differ_at_all,
        metric_name=sentences.metric_name,
        choice_views=[tabs.choice_view(q, language, names) for q in report.choices] if tab is Tab.TOUCHPOINTS else [],
        has_nps=drivers.has_nps if drivers else False,
        driver_views=tabs.driver_views(drivers, language) if drivers else [],
        driver_caveat=sentences.driver_caveat(),
    )


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
    dates, date_error = read_dates()
    segment, segment_notices = read_campaign_segment(request.args, campaign)
    report = campaign_report(campaign, dates, segment=segment)
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
    plain = kept_query(
        dates,
        **read_filters(request.args, touchpoint_services.touchpoints_of(campaign, include_archived=True))[0].query(),
    )
    keep: dict = {**plain, **segment.query()}
    compared = {k: v for k, v in request.args.items() if k in ("kind", "a", "b", "benchmark", "side") and v}
    return render_template(
        "analysis/compare.html",
        **segment_page(
            campaign, segment, "analysis.compare", {**plain, **compared}, "compare", campaign_id=campaign.id
        ),
        notices=segment_notices,
        keep=keep,
        tabs=tab_links(campaign.id, Tab.COMPARE, keep),
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
    dates, date_error = read_dates()
    segment, segment_notices = read_campaign_segment(request.args, campaign)
    report = campaign_report(campaign, dates, segment=segment)
    row = next(r for r in report.ratings.rows if r.touchpoint.id == tp.id)
    results = list(row.vs_rest)
    group = request.args.get("group", "")
    page = page_number(request.args.get("page"))
    timezone = campaign.workspace.timezone
    narrowed = segment if segment.active else None
    scope = Scope(campaign.workspace_id, (tp.id,), dates.period(timezone), timezone, segment=narrowed)
    texts, total_texts = text_answers(scope, SCORE_GROUPS.get(group), TEXTS_PER_PAGE, (page - 1) * TEXTS_PER_PAGE)
    rest_name = _("the rest of the campaign")
    plain = kept_query(dates)
    return render_template(
        "analysis/touchpoint.html",
        **segment_page(
            campaign,
            segment,
            "analysis.touchpoint",
            {**plain, **({"group": group} if group in SCORE_GROUPS else {})},
            "touchpoint",
            campaign_id=campaign.id,
            touchpoint_id=tp.id,
        ),
        notices=segment_notices,
        keep={**plain, **segment.query()},
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


@bp.route("/campaigns/<int:campaign_id>/comments")
def comments(campaign_id: int) -> str:
    """The campaign's open-text answers, newest first, narrowed by search text, touchpoints, NPS group, language
    and period (values that name nothing are ignored with a notice)."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    touchpoints = touchpoint_services.touchpoints_of(campaign, include_archived=True)
    segment, notices = read_campaign_segment(request.args, campaign)
    filters, problems = read_comment_filters(request.args, touchpoints, segment)
    notices += problems
    found = comment_page(campaign, filters, page_number(request.args.get("page")))
    can_edit = current_role().allows(Role.EDITOR)
    own = _without(replace(filters, segment=Segment()).query(), "language")
    return render_template(
        "analysis/comments.html",
        **segment_page(campaign, segment, "analysis.comments", own, "comments", campaign_id=campaign.id),
        segment_keep=_without(segment.query(), "language"),
        themes=campaign_themes(campaign, filters),
        undoable=undoable_edits(campaign) if can_edit else [],
        can_edit=can_edit,
        theme_form=ThemeEditForm() if can_edit else None,
        quote_length=QUOTE_LENGTH,
        p_value=sentences.p_value,
        campaign=campaign,
        touchpoints=touchpoints,
        found=found,
        filters=filters,
        keep=filters.query(),
        notices=notices,
        groups=SCORE_GROUPS,
        languages=LANGUAGES,
        language=get_locale().language if get_locale() else "en",
        highlighted=highlighted,
    )


@bp.route("/campaigns/<int:campaign_id>/comments.csv")
def download_comments(campaign_id: int) -> Response:
    """The open-text answers of the comments page's filters as CSV (`?dialect=excel-de` for German Excel)."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    filters, _notices = read_comment_filters(
        request.args, touchpoint_services.touchpoints_of(campaign, include_archived=True), _strict_segment(campaign)
    )
    language = get_locale().language if get_locale() else "en"
    body = comments_csv(campaign, filters, language, _dialect())
    return _send(Download(body, "text/csv; charset=utf-8", f"{campaign.slug}-comments.csv"))


@bp.route("/campaigns/<int:campaign_id>/ratings.<fmt>")
def download_ratings(campaign_id: int, fmt: str) -> Response:
    """Ratings as CSV (`?dialect=excel-de` for German Excel), XLSX or JSON for the chosen period."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    return _send(ratings_download(campaign, _strict_dates(), fmt, _dialect(), _strict_segment(campaign)))


@bp.route("/campaigns/<int:campaign_id>/responses.<fmt>")
def download_responses(campaign_id: int, fmt: str) -> Response:
    """Raw responses as CSV or XLSX (one column per question key) or JSON."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    return _send(responses_download(campaign, _strict_dates(), fmt, _dialect(), _strict_segment(campaign)))


@bp.route("/ratings.<fmt>")
def download_all_ratings(fmt: str) -> Response:
    """Ratings of every campaign of the workspace in one file (a first `campaign` column when there are several)."""
    workspace = current_workspace()
    campaigns, segment = all_campaigns(workspace.id), _strict_segment()
    return _send(campaigns_ratings_download(workspace, campaigns, _strict_dates(), fmt, _dialect(), segment))


@bp.route("/responses.<fmt>")
def download_all_responses(fmt: str) -> Response:
    """Raw responses of every campaign of the workspace in one file."""
    workspace = current_workspace()
    campaigns, segment = all_campaigns(workspace.id), _strict_segment()
    return _send(campaigns_responses_download(workspace, campaigns, _strict_dates(), fmt, _dialect(), segment))


@bp.route("/campaigns/<int:campaign_id>/summary.pdf")
def download_summary(campaign_id: int) -> Response:
    """A one-page campaign summary for management."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    segment = _strict_segment(campaign)
    return _send(pdf.summary_download(campaign, _strict_dates(), segment, _described(campaign, segment)))
