"""The themes of a campaign's open-text answers, filtered like the dashboard's comments page."""

from __future__ import annotations

from flask import Response
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis.comments import read_comment_filters
from feedback.analysis.segment_store import strict_segment
from feedback.analysis.services import checked_range
from feedback.analysis.theme_edits import campaign_themes
from feedback.analysis.themes import Theme
from feedback.api.base import ERRORS, bp, json_response, spec, workspace_id
from feedback.api.comments import filter_args
from feedback.errors import problem
from feedback.touchpoints import services as tp


def _theme(t: Theme) -> schemas.Theme:
    return schemas.Theme(
        key=t.key,
        label=t.label,
        count=t.count,
        share=t.share.share or 0.0,
        ci_low=t.share.ci.low if t.share.ci else None,
        ci_high=t.share.ci.high if t.share.ci else None,
        detractors_share=t.detractors.share,
        promoters_share=t.promoters.share,
        p_adjusted=t.p_adjusted,
        more_among_detractors=t.more_among_detractors,
        quotes=list(t.quotes),
    )


@bp.get("/campaigns/<int:campaign_id>/themes")
@spec.validate(query=schemas.ThemeQuery, resp=Resp(HTTP_200=schemas.ThemeList, **ERRORS), tags=["ratings"])
def list_themes(campaign_id: int, query: schemas.ThemeQuery) -> Response:
    """The themes of the campaign's open-text answers passing the filters (as on the comments page, with the
    marketer's renames, hidden themes and merges); a touchpoint of another campaign or an unknown language is
    refused (422), an impossible period too (400)."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    checked_range(query.from_, query.to)
    segment = strict_segment(query.segment_args(), campaign.workspace_id, campaign)
    touchpoints = tp.touchpoints_of(campaign, include_archived=True)
    filters, problems = read_comment_filters(filter_args(query), touchpoints, segment)
    if problems:
        return problem(422, " ".join(problems))
    found = campaign_themes(campaign, filters)
    return json_response(
        schemas.ThemeList(items=[_theme(t) for t in found.themes], answers=found.answers, capped=found.capped)
    )
