"""The periods page of a campaign's ratings: the chosen days against the period before, the same dates a year
earlier, or another campaign of the workspace, touchpoint by touchpoint; and the weekly trend with its intervals."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.analysis import sentences, tabs
from feedback.analysis.period_catalogue import TREND_HEADER, documents, trend_rows
from feedback.analysis.period_queries import campaign_trend, comparison, other_campaigns
from feedback.analysis.periods import Against
from feedback.analysis.segment_store import read_campaign_segment
from feedback.analysis.services import DateRange, InvalidPeriod, parse_range
from feedback.analysis.tabs import Tab
from feedback.analysis.views import kept_query, read_dates, segment_page, tab_links
from feedback.bounds import parse_id
from feedback.errors import DomainError
from feedback.replica import route_reads
from feedback.tenancy import current_workspace, scope_blueprint
from feedback.touchpoints import services as touchpoint_services

bp = Blueprint("periods", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)
route_reads(bp)  # after the access check: the analysis may read from the replica

AGAINST_LABELS = {
    Against.PREVIOUS: _l("the previous period"),
    Against.LAST_YEAR: _l("the same period last year"),
    Against.CAMPAIGN: _l("another campaign"),
}


@bp.route("/campaigns/<int:campaign_id>/periods")
def page(campaign_id: int) -> tuple[str, int]:
    """The comparison chosen by `against` (previous, last_year, campaign with `other`, and `b_from`/`b_to`
    for the other campaign's days) and the weekly trend of the chosen days."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    dates, error = read_dates()
    segment, notices = read_campaign_segment(request.args, campaign)
    asked = request.args.get("against") or Against.PREVIOUS
    status, found = 200, None
    against = Against(asked) if asked in set(Against) else Against.PREVIOUS
    other_id = parse_id(request.args.get("other"))
    if asked not in set(Against):
        error, status = _("This comparison does not exist. Choose one from the list."), 400
    else:
        try:
            other_dates = (
                parse_range(request.args.get("b_from"), request.args.get("b_to"))
                if against is Against.CAMPAIGN
                else DateRange()
            )
            found = comparison(campaign, against, dates, other_id, other_dates, segment=segment)
        except InvalidPeriod as problem:
            error, status = str(problem.message), 400
        except DomainError as problem:
            error, status = str(problem.message), problem.status
    weeks = campaign_trend(campaign, dates, segment)
    plain = kept_query(dates)
    keep = {**plain, **segment.query()}
    chosen = {k: v for k, v in request.args.items() if k in ("against", "other", "b_from", "b_to") and v}
    return render_template(
        "analysis/periods.html",
        **segment_page(campaign, segment, "periods.page", {**plain, **chosen}, "periods", campaign_id=campaign.id),
        notices=notices,
        keep=keep,
        tabs=tab_links(campaign.id, Tab.PERIODS, keep),
        campaign=campaign,
        dates=dates,
        error=error,
        against=against,
        against_labels=AGAINST_LABELS,
        other_id=other_id,
        b_dates=(request.args.get("b_from", ""), request.args.get("b_to", "")),
        campaigns=other_campaigns(campaign),
        found=found,
        names=sentences.side_names(found, campaign.name) if found else ("", ""),
        lines=tabs.period_lines(found, sentences.period_sentence(found, campaign.name)) if found else [],
        chart=tabs.weekly_band_chart(weeks),
        weeks=documents(TREND_HEADER, trend_rows(weeks)),
    ), status
