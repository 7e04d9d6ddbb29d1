"""Printed codes (with their QR images) and batches of personalised codes for mailings."""

from __future__ import annotations

from flask import Response, current_app, g, request, stream_with_context
from spectree import Response as Resp

from feedback import schemas
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
from feedback.db_types import utcnow
from feedback.errors import problem
from feedback.extensions import commit, db
from feedback.qr import personal
from feedback.qr import services as qr_services
from feedback.qr.models import Code, CodeBatch
from feedback.qr.rendering import QrOptions, RenderError, qr_url, render_png, render_svg
from feedback.tenancy import get_owned, owned
from feedback.touchpoints import services as tp


def _code(c: Code) -> schemas.Code:
    return schemas.Code(
        id=c.id,
        touchpoint_id=c.touchpoint_id,
        code=c.code,
        label=c.label,
        url=qr_url(current_app.config["PUBLIC_BASE_URL"], c.code),
        state=c.state(utcnow()).value,  # type: ignore[arg-type]
        created_at=c.created_at,
        expires_at=c.expires_at,
        batch_id=c.batch_id,
        reference=c.reference,
    )


def _batch(b: CodeBatch) -> schemas.CodeBatch:
    base = request.host_url.rstrip("/") + "/api/v1"
    return schemas.CodeBatch(
        id=b.id,
        touchpoint_id=b.touchpoint_id,
        name=b.name,
        size=b.size,
        created_at=b.created_at,
        mailmerge_csv=f"{base}/code-batches/{b.id}/mailmerge.csv",
        codes_zip=f"{base}/code-batches/{b.id}/codes.zip",
    )


# --- codes ------------------------------------------------------------------------------------------------------


@bp.get("/touchpoints/<int:touchpoint_id>/codes")
@spec.validate(query=schemas.CodeQuery, resp=Resp(HTTP_200=schemas.CodeList, **ERRORS), tags=["codes"])
def list_codes(touchpoint_id: int, query: schemas.CodeQuery) -> Response:
    """The codes of a touchpoint, oldest first, `limit` at a time; filter by batch or personal/shared."""
    touchpoint = tp.get_touchpoint(workspace_id(), touchpoint_id)
    statement = owned(Code, workspace_id(), Code.touchpoint_id == touchpoint.id).order_by(Code.id)
    if query.cursor:
        after = read_cursor(query.cursor, "codes")
        if after is None:
            return problem(422, "The cursor is not one this API gave out.")
        statement = statement.where(Code.id > after)
    if query.batch_id is not None:
        statement = statement.where(Code.batch_id == query.batch_id)
    if query.personal is not None:
        statement = statement.where(Code.reference.is_not(None) if query.personal else Code.reference.is_(None))
    rows = list(db.session.scalars(statement.limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = cursor_serializer().dumps(["codes", rows[-1].id]) if more and rows else None
    return json_response(schemas.CodeList(items=[_code(c) for c in rows], next_cursor=cursor))


@bp.post("/touchpoints/<int:touchpoint_id>/codes")
@spec.validate(json=schemas.CodeCreate, resp=Resp(HTTP_201=schemas.Code, **WRITE_ERRORS), tags=["codes"])
def create_code(touchpoint_id: int, json: schemas.CodeCreate) -> Response:
    """A new code for a touchpoint (another print variant or placement)."""
    touchpoint = tp.get_touchpoint(workspace_id(), touchpoint_id)
    code = qr_services.create_code(touchpoint, json.label.strip())
    commit()
    return json_response(_code(code), 201)


@bp.get("/codes/<int:code_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Code, **ERRORS), tags=["codes"])
def get_code(code_id: int) -> Response:
    """One code."""
    return json_response(_code(get_owned(Code, workspace_id(), code_id)))


@bp.patch("/codes/<int:code_id>")
@spec.validate(json=schemas.CodeUpdate, resp=Resp(HTTP_200=schemas.Code, **WRITE_ERRORS), tags=["codes"])
def update_code(code_id: int, json: schemas.CodeUpdate) -> Response:
    """Relabel, pause/resume, or set the last day of a code."""
    changes = qr_services.CodeChanges(**json.model_dump(exclude_unset=True))
    code = qr_services.change_code(g.workspace, code_id, changes, utcnow())
    commit()
    return json_response(_code(code))


@bp.get("/codes/<int:code_id>/qr.<any(png, svg):fmt>")
@spec.validate(resp=Resp("HTTP_200", **ERRORS), tags=["codes"])
def code_image(code_id: int, fmt: str) -> Response:
    """The QR symbol as PNG (`?size_mm=40&dpi=300`) or SVG, with the code printed under it."""
    code = get_owned(Code, workspace_id(), code_id)
    try:
        size = float(request.args.get("size_mm", "40"))
        options = QrOptions(size_mm=size, caption=code.code)
        url = qr_url(current_app.config["PUBLIC_BASE_URL"], code.code)
        if fmt == "png":
            return Response(render_png(url, options), mimetype="image/png")
        return Response(render_svg(url, options), mimetype="image/svg+xml")
    except (ValueError, RenderError) as error:
        return problem(422, str(error) or "size_mm must be a number between 10 and 500.")


# --- personalised codes for mailings ----------------------------------------------------------------------------


@bp.get("/touchpoints/<int:touchpoint_id>/code-batches")
@spec.validate(resp=Resp(HTTP_200=schemas.CodeBatchList, **ERRORS), tags=["codes"])
def list_batches(touchpoint_id: int) -> Response:
    """The touchpoint's mailing batches of personalised codes, newest first."""
    touchpoint = tp.get_touchpoint(workspace_id(), touchpoint_id)
    return json_response(schemas.CodeBatchList(items=[_batch(b) for b in personal.batches_of(touchpoint)]))


@bp.post("/touchpoints/<int:touchpoint_id>/code-batches")
@spec.validate(json=schemas.CodeBatchCreate, resp=Resp(HTTP_201=schemas.CodeBatch, **WRITE_ERRORS), tags=["codes"])
def create_batch(touchpoint_id: int, json: schemas.CodeBatchCreate) -> Response:
    """Personalised codes for a mailing: one per reference (or `count` numbered ones). Answers through them carry
    the reference, so the touchpoint is no longer anonymous. Fetch the codes with `GET …/codes?batch_id=`."""
    touchpoint = tp.get_touchpoint(workspace_id(), touchpoint_id)
    batch = personal.issue_batch(touchpoint, json.name, json.references, json.count)
    commit()
    return json_response(_batch(batch), 201)


@bp.get("/code-batches/<int:batch_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.CodeBatch, **ERRORS), tags=["codes"])
def get_batch(batch_id: int) -> Response:
    """One mailing batch."""
    return json_response(_batch(personal.get_batch(workspace_id(), batch_id)))


@bp.get("/code-batches/<int:batch_id>/mailmerge.csv")
@spec.validate(resp=Resp("HTTP_200", **ERRORS), tags=["codes"])
def batch_mailmerge(batch_id: int) -> Response:
    """The mail-merge CSV: reference, code, code_display, url (UTF-8 with BOM)."""
    batch = personal.get_batch(workspace_id(), batch_id)
    body = personal.mailmerge_csv(batch, current_app.config["PUBLIC_BASE_URL"])
    return Response(stream_with_context(body), mimetype="text/csv")


@bp.get("/code-batches/<int:batch_id>/codes.zip")
@spec.validate(query=schemas.ZipQuery, resp=Resp("HTTP_200", **ERRORS), tags=["codes"])
def batch_zip(batch_id: int, query: schemas.ZipQuery) -> Response:
    """Every code of the batch as PNG and/or SVG (named reference_code), with the mail-merge CSV; streamed."""
    batch = personal.get_batch(workspace_id(), batch_id)
    options = QrOptions(size_mm=query.size_mm, caption="-")
    formats = tuple(query.formats.split(","))
    body = personal.batch_zip(batch, current_app.config["PUBLIC_BASE_URL"], formats, options)
    return Response(stream_with_context(body), mimetype="application/zip")
