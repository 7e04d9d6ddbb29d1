"""A campaign's open-text answers, filtered like the dashboard's comments page."""

from __future__ import annotations

from flask import Response
from spectree import Response as Resp
from werkzeug.datastructures import MultiDict

from feedback import schemas
from feedback.analysis.comments import Comment, comment_page, read_comment_filters
from feedback.analysis.segment_store import strict_segment
from feedback.analysis.services import checked_range
from feedback.api.base import ERRORS, bp, json_response, spec, workspace_id
from feedback.errors import problem
from feedback.touchpoints import services as tp


def _comment(c: Comment) -> schemas.Comment:
    return schemas.Comment(
        answer_id=c.answer_id,
        answered_at=c.answered_at,
        touchpoint_id=c.touchpoint_id,
        touchpoint=c.touchpoint,
        question_key=c.question_key,
        question=c.question(c.language),
        answer=c.text,
        nps=c.nps,
        nps_group=c.group,  # type: ignore[arg-type]
        language=c.language,
    )


def filter_args(query: schemas.ThemeQuery) -> MultiDict[str, str]:
    """The validated query as the query string the dashboard's filters read."""
    values = [
        ("q", query.q or ""),
        ("group", query.group or ""),
        ("language", query.language or ""),
        ("from", query.from_.isoformat() if query.from_ else ""),
        ("to", query.to.isoformat() if query.to else ""),
    ]
    return MultiDict(values + [("touchpoint", str(i)) for i in query.touchpoint])


@bp.get("/campaigns/<int:campaign_id>/comments")
@spec.validate(query=schemas.CommentQuery, resp=Resp(HTTP_200=schemas.CommentList, **ERRORS), tags=["ratings"])
def list_comments(campaign_id: int, query: schemas.CommentQuery) -> Response:
    """The campaign's open-text answers (flagged responses excluded, as in every count), newest first, `limit` per
    page; a touchpoint of another campaign, an unknown language is refused (422), an impossible period too (400)."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    checked_range(query.from_, query.to)  # an impossible period is refused as by every other endpoint
    segment = strict_segment(query.segment_args(), campaign.workspace_id, campaign)
    filters, problems = read_comment_filters(
        filter_args(query), tp.touchpoints_of(campaign, include_archived=True), segment
    )
    if problems:
        return problem(422, " ".join(problems))
    found = comment_page(campaign, filters, query.page, query.limit)
    return json_response(
        schemas.CommentList(
            items=[_comment(c) for c in found.comments],
            matching=found.matching,
            total=found.total,
            page=found.page,
            pages=found.pages,
        )
    )
