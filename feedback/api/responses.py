"""Responses: listed with a cursor, one by one, and deleted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, g
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis.segment_store import strict_segment
from feedback.analysis.services import checked_range
from feedback.api.base import (
    ERRORS,
    WRITE_ERRORS,
    bp,
    cursor_serializer,
    json_response,
    read_cursor,
    spec,
    workspace_id,
)
from feedback.errors import problem
from feedback.extensions import commit, db
from feedback.qr.models import Code
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response as SurveyResponseRow
from feedback.tenancy import get_owned, owned

# --- responses --------------------------------------------------------------------------------------------------


def _response(r: SurveyResponseRow, codes: dict[int, tuple[str, str | None]]) -> schemas.SurveyResponse:
    code, reference = codes.get(r.code_id, (None, None)) if r.code_id else (None, None)
    return schemas.SurveyResponse.of(r, code, reference)


@bp.get("/responses")
@spec.validate(query=schemas.ResponseQuery, resp=Resp(HTTP_200=schemas.ResponseList, **ERRORS), tags=["responses"])
def list_responses(query: schemas.ResponseQuery) -> Response:
    """Responses of the workspace, newest first, `limit` at a time; follow `next_cursor` for the next page."""
    statement = owned(SurveyResponseRow, workspace_id()).order_by(SurveyResponseRow.id.desc())
    if query.cursor:
        before = read_cursor(query.cursor, "responses")
        if before is None:
            return problem(422, "The cursor is not one this API gave out.")
        statement = statement.where(SurveyResponseRow.id < before)
    if query.reference is not None:
        personal_codes = owned(Code, workspace_id(), Code.reference == query.reference).with_only_columns(Code.id)
        statement = statement.where(SurveyResponseRow.code_id.in_(personal_codes))
    if query.touchpoint_id is not None:
        statement = statement.where(SurveyResponseRow.touchpoint_id == query.touchpoint_id)
    if query.completed is not None:
        statement = statement.where(
            SurveyResponseRow.completed_at.is_not(None) if query.completed else SurveyResponseRow.completed_at.is_(None)
        )
    if query.from_ or query.to:
        period = checked_range(query.from_, query.to).period(g.workspace.timezone)
        statement = statement.where(*period_conditions(period))
    segment = strict_segment(query.segment_args(), workspace_id(), None)
    if segment.active:
        statement = statement.where(*segment.response_conditions())
    rows = list(db.session.scalars(statement.limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    codes = _code_texts({r.code_id for r in rows if r.code_id})
    cursor = cursor_serializer().dumps(["responses", rows[-1].id]) if more and rows else None
    return json_response(schemas.ResponseList(items=[_response(r, codes) for r in rows], next_cursor=cursor))


def period_conditions(period: Any) -> list[sa.ColumnElement[bool]]:
    """Started within a period."""
    return period.where(SurveyResponseRow.started_at)


def _code_texts(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """Code text and reference by code id."""
    if not ids:
        return {}
    rows = db.session.execute(
        owned(Code, workspace_id(), Code.id.in_(ids)).with_only_columns(Code.id, Code.code, Code.reference)
    )
    return {code_id: (text, reference) for code_id, text, reference in rows}


@bp.get("/responses/<int(max=9223372036854775807):response_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.SurveyResponse, **ERRORS), tags=["responses"])
def get_response(response_id: int) -> Response:
    """One response with its answers."""
    row = get_owned(SurveyResponseRow, workspace_id(), response_id)
    return json_response(_response(row, _code_texts({row.code_id} if row.code_id else set())))


@bp.delete("/responses/<int(max=9223372036854775807):response_id>")
@spec.validate(resp=Resp("HTTP_204", **WRITE_ERRORS), tags=["responses"])
def delete_response(response_id: int) -> Response:
    """Erase a response and its answers (a respondent's right to deletion)."""
    survey_services.delete_response(workspace_id(), response_id)
    commit()
    return Response(status=204)
