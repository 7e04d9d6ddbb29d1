"""The themes of a campaign's open-text answers, filtered like the dashboard's comments page."""

from __future__ import annotations

from flask import Response
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis.comments import read_comment_filters
from feedback.analysis.segment_store import strict_segment
from feedback.analysis.services import checked_range
from feedback.analysis.theme_catalogue import theme_documents, theme_rows
from feedback.analysis.theme_edits import campaign_themes
from feedback.api.base import ERRORS, bp, json_response, spec, workspace_id
from feedback.api.comments import filter_args
from feedback.errors import problem
from feedback.touchpoints import services as tp


def theme_model(document: dict[str, object]) -> schemas.Theme:
    """A theme as the API returns it: the catalogue's fields, the quotes as one list."""
    quotes = [document.pop(key) for key in list(document) if key.startswith("quote_")]
    return schemas.Theme(**document, quotes=[q for q in quotes if q is not None])  # type: ignore[arg-type]


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
    items = [theme_model(document) for document in theme_documents(theme_rows(found.themes, found.answers))]
    return json_response(schemas.ThemeList(items=items, answers=found.answers, capped=found.capped))
