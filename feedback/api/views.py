"""/api/v1: the dashboard's data and actions for integrators, scoped to the bearer token's workspace."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request, stream_with_context
from itsdangerous import BadSignature, URLSafeSerializer
from spectree import Response as Resp
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from feedback import schemas
from feedback.analysis.downloads import ratings_download
from feedback.analysis.services import checked_range
from feedback.api.models import ApiToken, Scope
from feedback.api.services import authenticate
from feedback.auth.models import Workspace
from feedback.db_types import utcnow
from feedback.errors import DomainError, problem
from feedback.extensions import csrf, db
from feedback.leads import services as lead_services
from feedback.offers import services as offer_services
from feedback.offers.models import Coupon, Offer
from feedback.qr import personal
from feedback.qr import services as qr_services
from feedback.qr.models import Code, CodeBatch
from feedback.qr.rendering import QrOptions, RenderError, qr_url, render_png, render_svg
from feedback.referrals.services import ReferralNumbers, referral_numbers
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response as SurveyResponseRow
from feedback.surveys.models import Survey
from feedback.surveys.services import attach
from feedback.tenancy import get_owned, owned
from feedback.touchpoints import services as tp
from feedback.touchpoints.models import Campaign, Touchpoint
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookEndpoint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

ERRORS = {"HTTP_401": schemas.Problem, "HTTP_404": schemas.Problem, "HTTP_422": schemas.Problem}
WRITE_ERRORS = {**ERRORS, "HTTP_403": schemas.Problem, "HTTP_409": schemas.Problem}


def _validation_problem(_req: Any, resp: Any, error: Exception | None, _instance: Any, _adapter: Any) -> None:
    """Turn spectree's 422 list of field errors into problem+json (in place: spectree then aborts with it)."""
    if error is None or resp is None:
        return
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in json.loads(resp.get_data() or b"[]")
    ]
    body = problem(422, "The request does not match the API's schema; see errors.", errors=errors).get_data()
    resp.set_data(body)
    resp.mimetype = "application/problem+json"


#: The OpenAPI 3.1 document is generated from the validated routes below (`/api/openapi.json`).
spec = SpecTree(
    "flask",
    title="feedback API",
    version="1.0",
    description="Campaigns, touchpoints, codes, responses and ratings of one workspace. Authenticate with "
    "`Authorization: Bearer fbk_…` (create tokens in the dashboard under Members → API tokens, or with "
    "`feedback token create`). Errors are `application/problem+json`.",
    # spectree leaves routes under its own path out of the document, so its copy lives apart; /api/openapi.json
    # (api_docs.openapi) is the published address.
    path="api-spec",
    filename="openapi.json",
    page_templates={},
    mode="strict",
    annotations=True,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer", description="An API token: fbk_…"),
        )
    ],
    security={"bearer": []},
    before=_validation_problem,
    # plain class names (unique in feedback.schemas) read better in clients than spectree's hashed ones
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def published_spec() -> dict[str, Any]:
    """The OpenAPI document as published: error responses are documented as application/problem+json."""
    import copy

    document = copy.deepcopy(spec.spec)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.isdigit() and int(status) >= 400 and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return document


@bp.before_request
def _authenticate() -> Response | None:
    """Every API request needs an active token; writes need a write token."""
    writing = request.method not in ("GET", "HEAD", "OPTIONS")
    token = authenticate(request.headers.get("Authorization"), utcnow(), writing)
    if token is None:
        response = problem(401, "Send an active API token: Authorization: Bearer fbk_…")
        response.headers["WWW-Authenticate"] = 'Bearer realm="feedback"'
        return response
    needed = Scope.WRITE if writing else Scope.READ
    if not token.allows(needed):
        return problem(403, "This token may only read; create a write token to change data.")
    g.api_token = token
    g.workspace = db.session.get(Workspace, token.workspace_id)
    return None


def _ws() -> int:
    token: ApiToken = g.api_token
    return token.workspace_id


# --- serialisers ------------------------------------------------------------------------------------------------


def _campaign(c: Campaign) -> schemas.Campaign:
    return schemas.Campaign(
        id=c.id,
        name=c.name,
        slug=c.slug,
        description=c.description,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        budget=c.budget,
        incentive_text=c.incentive_text,
        invite_policy=c.invite_policy,  # type: ignore[arg-type]
        ask_contact=c.ask_contact,
        archived=c.archived_at is not None,
        created_at=c.created_at,
    )


def _touchpoint(t: Touchpoint) -> schemas.Touchpoint:
    return schemas.Touchpoint(
        id=t.id,
        campaign_id=t.campaign_id,
        name=t.name,
        channel=t.channel,  # type: ignore[arg-type]
        phase=t.phase,  # type: ignore[arg-type]
        cost=t.cost,
        reach=t.reach,
        location=t.location,
        notes=t.notes,
        survey_id=t.survey_id,
        archived=t.archived_at is not None,
        created_at=t.created_at,
    )


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


def _json(model: Any, status: int = 200) -> Response:
    return Response(model.model_dump_json(by_alias=True), status=status, mimetype="application/json")


# --- campaigns --------------------------------------------------------------------------------------------------


@bp.get("/campaigns")
@spec.validate(resp=Resp(HTTP_200=schemas.CampaignList, **ERRORS), tags=["campaigns"])
def list_campaigns() -> Response:
    """All campaigns of the workspace, archived ones included."""
    campaigns = db.session.scalars(owned(Campaign, _ws()).order_by(Campaign.id))
    return _json(schemas.CampaignList(items=[_campaign(c) for c in campaigns]))


@bp.post("/campaigns")
@spec.validate(json=schemas.CampaignCreate, resp=Resp(HTTP_201=schemas.Campaign, **WRITE_ERRORS), tags=["campaigns"])
def create_campaign(json: schemas.CampaignCreate) -> Response:
    """Create a campaign."""
    campaign = tp.create_campaign(_ws(), tp.CampaignData(**json.model_dump()))
    db.session.commit()
    return _json(_campaign(campaign), 201)


@bp.get("/campaigns/<int:campaign_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Campaign, **ERRORS), tags=["campaigns"])
def get_campaign(campaign_id: int) -> Response:
    """One campaign."""
    return _json(_campaign(tp.get_campaign(_ws(), campaign_id)))


@bp.patch("/campaigns/<int:campaign_id>")
@spec.validate(json=schemas.CampaignUpdate, resp=Resp(HTTP_200=schemas.Campaign, **WRITE_ERRORS), tags=["campaigns"])
def update_campaign(campaign_id: int, json: schemas.CampaignUpdate) -> Response:
    """Change fields of a campaign; `archived: true` archives it, `false` restores it."""
    campaign = tp.get_campaign(_ws(), campaign_id)
    changes = json.model_dump(exclude_unset=True)
    archived = changes.pop("archived", None)
    current = tp.CampaignData(
        name=campaign.name,
        description=campaign.description,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        budget=campaign.budget,
        incentive_text=campaign.incentive_text,
        invite_policy=campaign.invite_policy,
        referral_touchpoint_id=campaign.referral_touchpoint_id,
        ask_contact=campaign.ask_contact,
    )
    for key in ("name", "description", "incentive_text", "invite_policy", "ask_contact"):
        if key in changes and changes[key] is None:
            raise DomainError(f"{key} cannot be null.")
    tp.update_campaign(campaign, replace(current, **changes))
    if archived is not None:
        tp.set_campaign_archived(campaign, archived, utcnow())
    db.session.commit()
    return _json(_campaign(campaign))


# --- touchpoints ------------------------------------------------------------------------------------------------


@bp.get("/campaigns/<int:campaign_id>/touchpoints")
@spec.validate(resp=Resp(HTTP_200=schemas.TouchpointList, **ERRORS), tags=["touchpoints"])
def list_touchpoints(campaign_id: int) -> Response:
    """Touchpoints of a campaign in journey order, archived ones included."""
    campaign = tp.get_campaign(_ws(), campaign_id)
    touchpoints = tp.touchpoints_of(campaign, include_archived=True)
    return _json(schemas.TouchpointList(items=[_touchpoint(t) for t in touchpoints]))


@bp.post("/campaigns/<int:campaign_id>/touchpoints")
@spec.validate(
    json=schemas.TouchpointCreate, resp=Resp(HTTP_201=schemas.Touchpoint, **WRITE_ERRORS), tags=["touchpoints"]
)
def create_touchpoint(campaign_id: int, json: schemas.TouchpointCreate) -> Response:
    """Add a touchpoint to a campaign."""
    campaign = tp.get_campaign(_ws(), campaign_id)
    fields = json.model_dump()
    survey = _survey_or_none(fields.pop("survey_id"))
    touchpoint = tp.create_touchpoint(campaign, tp.TouchpointData(**fields))
    if survey is not None:
        attach(touchpoint, survey)
    db.session.commit()
    return _json(_touchpoint(touchpoint), 201)


@bp.get("/touchpoints/<int:touchpoint_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Touchpoint, **ERRORS), tags=["touchpoints"])
def get_touchpoint(touchpoint_id: int) -> Response:
    """One touchpoint."""
    return _json(_touchpoint(tp.get_touchpoint(_ws(), touchpoint_id)))


@bp.patch("/touchpoints/<int:touchpoint_id>")
@spec.validate(
    json=schemas.TouchpointUpdate, resp=Resp(HTTP_200=schemas.Touchpoint, **WRITE_ERRORS), tags=["touchpoints"]
)
def update_touchpoint(touchpoint_id: int, json: schemas.TouchpointUpdate) -> Response:
    """Change fields of a touchpoint; `archived: true` archives it."""
    touchpoint = tp.get_touchpoint(_ws(), touchpoint_id)
    changes = json.model_dump(exclude_unset=True)
    archived = changes.pop("archived", None)
    if "survey_id" in changes:
        attach(touchpoint, _survey_or_none(changes.pop("survey_id")))
    for key in ("name", "channel", "phase", "location", "notes"):
        if key in changes and changes[key] is None:
            raise DomainError(f"{key} cannot be null.")
    current = tp.TouchpointData(
        name=touchpoint.name,
        channel=touchpoint.channel,  # type: ignore[arg-type]
        phase=touchpoint.phase,  # type: ignore[arg-type]
        cost=touchpoint.cost,
        reach=touchpoint.reach,
        location=touchpoint.location,
        notes=touchpoint.notes,
    )
    tp.update_touchpoint(touchpoint, replace(current, **changes))
    if archived is not None:
        tp.set_touchpoint_archived(touchpoint, archived, utcnow())
    db.session.commit()
    return _json(_touchpoint(touchpoint))


# --- codes ------------------------------------------------------------------------------------------------------


@bp.get("/touchpoints/<int:touchpoint_id>/codes")
@spec.validate(query=schemas.CodeQuery, resp=Resp(HTTP_200=schemas.CodeList, **ERRORS), tags=["codes"])
def list_codes(touchpoint_id: int, query: schemas.CodeQuery) -> Response:
    """The codes of a touchpoint, oldest first, `limit` at a time; filter by batch or personal/shared."""
    touchpoint = tp.get_touchpoint(_ws(), touchpoint_id)
    statement = owned(Code, _ws(), Code.touchpoint_id == touchpoint.id).order_by(Code.id)
    if query.cursor:
        after = _cursor(query.cursor, "codes")
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
    cursor = _cursor_serializer().dumps(["codes", rows[-1].id]) if more and rows else None
    return _json(schemas.CodeList(items=[_code(c) for c in rows], next_cursor=cursor))


@bp.post("/touchpoints/<int:touchpoint_id>/codes")
@spec.validate(json=schemas.CodeCreate, resp=Resp(HTTP_201=schemas.Code, **WRITE_ERRORS), tags=["codes"])
def create_code(touchpoint_id: int, json: schemas.CodeCreate) -> Response:
    """A new code for a touchpoint (another print variant or placement)."""
    touchpoint = tp.get_touchpoint(_ws(), touchpoint_id)
    code = qr_services.create_code(touchpoint, json.label.strip())
    db.session.commit()
    return _json(_code(code), 201)


@bp.get("/codes/<int:code_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Code, **ERRORS), tags=["codes"])
def get_code(code_id: int) -> Response:
    """One code."""
    return _json(_code(get_owned(Code, _ws(), code_id)))


@bp.patch("/codes/<int:code_id>")
@spec.validate(json=schemas.CodeUpdate, resp=Resp(HTTP_200=schemas.Code, **WRITE_ERRORS), tags=["codes"])
def update_code(code_id: int, json: schemas.CodeUpdate) -> Response:
    """Relabel, pause/resume, or set the last day of a code."""
    code = get_owned(Code, _ws(), code_id)
    changes = json.model_dump(exclude_unset=True)
    if changes.get("label") is not None:
        qr_services.relabel(code, changes["label"])
    if changes.get("paused") is not None:
        qr_services.set_paused(code, changes["paused"], utcnow())
    if "expires_on" in changes:
        qr_services.set_expiry(code, changes["expires_on"], g.workspace)
    db.session.commit()
    return _json(_code(code))


@bp.get("/codes/<int:code_id>/qr.<any(png, svg):fmt>")
@spec.validate(resp=Resp("HTTP_200", **ERRORS), tags=["codes"])
def code_image(code_id: int, fmt: str) -> Response:
    """The QR symbol as PNG (`?size_mm=40&dpi=300`) or SVG, with the code printed under it."""
    code = get_owned(Code, _ws(), code_id)
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
    touchpoint = tp.get_touchpoint(_ws(), touchpoint_id)
    return _json(schemas.CodeBatchList(items=[_batch(b) for b in personal.batches_of(touchpoint)]))


@bp.post("/touchpoints/<int:touchpoint_id>/code-batches")
@spec.validate(json=schemas.CodeBatchCreate, resp=Resp(HTTP_201=schemas.CodeBatch, **WRITE_ERRORS), tags=["codes"])
def create_batch(touchpoint_id: int, json: schemas.CodeBatchCreate) -> Response:
    """Personalised codes for a mailing: one per reference (or `count` numbered ones). Answers through them carry
    the reference, so the touchpoint is no longer anonymous. Fetch the codes with `GET …/codes?batch_id=`."""
    touchpoint = tp.get_touchpoint(_ws(), touchpoint_id)
    if (json.references is None) == (json.count is None):
        return problem(422, "Give either references or count.")
    references = json.references or personal.serial_references(touchpoint, json.count or 0)
    batch = personal.create_batch(touchpoint, json.name, references)
    db.session.commit()
    return _json(_batch(batch), 201)


@bp.get("/code-batches/<int:batch_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.CodeBatch, **ERRORS), tags=["codes"])
def get_batch(batch_id: int) -> Response:
    """One mailing batch."""
    return _json(_batch(personal.get_batch(_ws(), batch_id)))


@bp.get("/code-batches/<int:batch_id>/mailmerge.csv")
@spec.validate(resp=Resp("HTTP_200", **ERRORS), tags=["codes"])
def batch_mailmerge(batch_id: int) -> Response:
    """The mail-merge CSV: reference, code, code_display, url (UTF-8 with BOM)."""
    batch = personal.get_batch(_ws(), batch_id)
    body = personal.mailmerge_csv(batch, current_app.config["PUBLIC_BASE_URL"])
    return Response(stream_with_context(body), mimetype="text/csv")


@bp.get("/code-batches/<int:batch_id>/codes.zip")
@spec.validate(query=schemas.ZipQuery, resp=Resp("HTTP_200", **ERRORS), tags=["codes"])
def batch_zip(batch_id: int, query: schemas.ZipQuery) -> Response:
    """Every code of the batch as PNG and/or SVG (named reference_code), with the mail-merge CSV; streamed."""
    batch = personal.get_batch(_ws(), batch_id)
    options = QrOptions(size_mm=query.size_mm, caption="-")
    formats = tuple(query.formats.split(","))
    body = personal.batch_zip(batch, current_app.config["PUBLIC_BASE_URL"], formats, options)
    return Response(stream_with_context(body), mimetype="application/zip")


# --- ratings ----------------------------------------------------------------------------------------------------


@bp.get("/campaigns/<int:campaign_id>/ratings")
@spec.validate(query=schemas.Period, resp=Resp(HTTP_200=schemas.Ratings, **ERRORS), tags=["ratings"])
def ratings(campaign_id: int, query: schemas.Period) -> Response:
    """The dashboard's ratings with intervals, and each touchpoint against the rest of its campaign."""
    campaign = tp.get_campaign(_ws(), campaign_id)
    download = ratings_download(campaign, checked_range(query.from_, query.to), "json")
    return Response(download.body, mimetype="application/json")  # type: ignore[arg-type]


# --- responses --------------------------------------------------------------------------------------------------


def _cursor_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-response-cursor")


def _cursor(raw: str, kind: str) -> int | None:
    """The id a cursor of this kind carries; None when it was not given out by us (or for another list)."""
    try:
        value = _cursor_serializer().loads(raw)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and value[0] == kind and isinstance(value[1], int)):
        return None
    return value[1]


def _response(r: SurveyResponseRow, codes: dict[int, tuple[str, str | None]]) -> schemas.SurveyResponse:
    code, reference = codes.get(r.code_id, (None, None)) if r.code_id else (None, None)
    return schemas.SurveyResponse.of(r, code, reference)


@bp.get("/responses")
@spec.validate(query=schemas.ResponseQuery, resp=Resp(HTTP_200=schemas.ResponseList, **ERRORS), tags=["responses"])
def list_responses(query: schemas.ResponseQuery) -> Response:
    """Responses of the workspace, newest first, `limit` at a time; follow `next_cursor` for the next page."""
    statement = owned(SurveyResponseRow, _ws()).order_by(SurveyResponseRow.id.desc())
    if query.cursor:
        before = _cursor(query.cursor, "responses")
        if before is None:
            return problem(422, "The cursor is not one this API gave out.")
        statement = statement.where(SurveyResponseRow.id < before)
    if query.reference is not None:
        personal_codes = owned(Code, _ws(), Code.reference == query.reference).with_only_columns(Code.id)
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
    rows = list(db.session.scalars(statement.limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    codes = _code_texts({r.code_id for r in rows if r.code_id})
    cursor = _cursor_serializer().dumps(["responses", rows[-1].id]) if more and rows else None
    return _json(schemas.ResponseList(items=[_response(r, codes) for r in rows], next_cursor=cursor))


def period_conditions(period: Any) -> list[sa.ColumnElement[bool]]:
    """Started within a period."""
    return period.where(SurveyResponseRow.started_at)


def _code_texts(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """Code text and reference by code id."""
    if not ids:
        return {}
    rows = db.session.execute(
        owned(Code, _ws(), Code.id.in_(ids)).with_only_columns(Code.id, Code.code, Code.reference)
    )
    return {code_id: (text, reference) for code_id, text, reference in rows}


@bp.get("/responses/<int(max=9223372036854775807):response_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.SurveyResponse, **ERRORS), tags=["responses"])
def get_response(response_id: int) -> Response:
    """One response with its answers."""
    row = get_owned(SurveyResponseRow, _ws(), response_id)
    return _json(_response(row, _code_texts({row.code_id} if row.code_id else set())))


@bp.delete("/responses/<int(max=9223372036854775807):response_id>")
@spec.validate(resp=Resp("HTTP_204", **WRITE_ERRORS), tags=["responses"])
def delete_response(response_id: int) -> Response:
    """Erase a response and its answers (a respondent's right to deletion)."""
    row = get_owned(SurveyResponseRow, _ws(), response_id)
    db.session.delete(row)
    db.session.commit()
    return Response(status=204)


# --- surveys and referrals --------------------------------------------------------------------------------------


def _survey(survey: Survey) -> schemas.Survey:
    version = survey.current
    return schemas.Survey(
        id=survey.id,
        name=survey.name,
        version=version.number,
        archived=survey.archived_at is not None,
        questions=[
            schemas.Question(
                key=q.key,
                type=q.type,
                required=q.required,
                text_de=q.text_de,
                text_en=q.text_en,
                options=list(q.options or []),
                condition=q.condition,
            )
            for q in version.questions
        ],
    )


@bp.get("/surveys")
@spec.validate(resp=Resp(HTTP_200=schemas.SurveyList, **ERRORS), tags=["surveys"])
def list_surveys() -> Response:
    """Surveys of the workspace with the questions of their newest version."""
    surveys = db.session.scalars(owned(Survey, _ws()).order_by(Survey.id))
    return _json(schemas.SurveyList(items=[_survey(s) for s in surveys]))


@bp.post("/surveys")
@spec.validate(json=schemas.SurveyCreate, resp=Resp(HTTP_201=schemas.Survey, **WRITE_ERRORS), tags=["surveys"])
def create_survey(json: schemas.SurveyCreate) -> Response:
    """A new survey from a built-in template; attach it to touchpoints with `survey_id`."""
    survey = survey_services.create_survey(_ws(), json.name, json.template)
    db.session.commit()
    return _json(_survey(survey), 201)


def _survey_or_none(survey_id: int | None) -> Survey | None:
    """The workspace's survey with this id (404 for another workspace's), or None."""
    return get_owned(Survey, _ws(), survey_id) if survey_id is not None else None


@bp.get("/surveys/<int:survey_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Survey, **ERRORS), tags=["surveys"])
def get_survey(survey_id: int) -> Response:
    """One survey."""
    return _json(_survey(get_owned(Survey, _ws(), survey_id)))


def _numbers(touchpoint_id: int | None, n: ReferralNumbers) -> schemas.ReferralNumbers:
    return schemas.ReferralNumbers(
        touchpoint_id=touchpoint_id,
        invites=n.invites,
        opens=n.opens,
        unique_opens=n.unique_opens,
        acceptances=n.acceptances,
        completed_responses=n.completed_responses,
        acceptance_rate=n.acceptance_rate,
        k_factor=n.k_factor,
        median_hours_to_accept=n.median_hours_to_accept,
    )


@bp.get("/campaigns/<int:campaign_id>/referrals")
@spec.validate(query=schemas.Period, resp=Resp(HTTP_200=schemas.Referrals, **ERRORS), tags=["referrals"])
def referrals(campaign_id: int, query: schemas.Period) -> Response:
    """Invites, opens, acceptances, acceptance rate and k-factor per referring touchpoint (optionally a period)."""
    campaign = tp.get_campaign(_ws(), campaign_id)
    period = checked_range(query.from_, query.to).period(g.workspace.timezone)
    per_touchpoint, total = referral_numbers(campaign, (period.start, period.end))
    return _json(
        schemas.Referrals(
            total=_numbers(None, total),
            touchpoints=[_numbers(tp_id, n) for tp_id, n in sorted(per_touchpoint.items())],
        )
    )


# --- webhooks ---------------------------------------------------------------------------------------------------


def _webhook(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "events": e.events.split(),
        "paused": e.paused_at is not None,
        "created_at": e.created_at,
    }


@bp.get("/webhooks")
@spec.validate(resp=Resp(HTTP_200=schemas.WebhookList, **ERRORS), tags=["webhooks"])
def list_webhooks() -> Response:
    """The workspace's webhook endpoints."""
    items = [schemas.Webhook(**_webhook(e)) for e in webhook_services.endpoints_of(_ws())]
    return _json(schemas.WebhookList(items=items))


@bp.post("/webhooks")
@spec.validate(
    json=schemas.WebhookCreate, resp=Resp(HTTP_201=schemas.WebhookCreated, **WRITE_ERRORS), tags=["webhooks"]
)
def create_webhook(json: schemas.WebhookCreate) -> Response:
    """A new endpoint; the answer carries its signing secret. Loopback and private addresses are refused (after
    DNS resolution, at every delivery) unless the operator allows them."""
    token: ApiToken = g.api_token
    endpoint = webhook_services.create_endpoint(_ws(), json.url, json.events, json.description, token.created_by_id)
    db.session.commit()
    return _json(schemas.WebhookCreated(**_webhook(endpoint), secret=endpoint.secret), 201)


@bp.get("/webhooks/<int:endpoint_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Webhook, **ERRORS), tags=["webhooks"])
def get_webhook(endpoint_id: int) -> Response:
    """One endpoint (without its secret)."""
    return _json(schemas.Webhook(**_webhook(webhook_services.get_endpoint(_ws(), endpoint_id))))


@bp.patch("/webhooks/<int:endpoint_id>")
@spec.validate(json=schemas.WebhookUpdate, resp=Resp(HTTP_200=schemas.Webhook, **WRITE_ERRORS), tags=["webhooks"])
def update_webhook(endpoint_id: int, json: schemas.WebhookUpdate) -> Response:
    """Change an endpoint; `paused: true` stops new events for it."""
    endpoint = webhook_services.get_endpoint(_ws(), endpoint_id)
    webhook_services.update_endpoint(
        endpoint,
        json.url if json.url is not None else endpoint.url,
        json.events if json.events is not None else endpoint.events.split(),
        json.description if json.description is not None else endpoint.description,
    )
    if json.paused is not None:
        webhook_services.set_paused(endpoint, json.paused, utcnow())
    db.session.commit()
    return _json(schemas.Webhook(**_webhook(endpoint)))


@bp.delete("/webhooks/<int:endpoint_id>")
@spec.validate(resp=Resp("HTTP_204", **WRITE_ERRORS), tags=["webhooks"])
def delete_webhook(endpoint_id: int) -> Response:
    """Remove an endpoint and its delivery log."""
    webhook_services.delete_endpoint(webhook_services.get_endpoint(_ws(), endpoint_id))
    db.session.commit()
    return Response(status=204)


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@spec.validate(resp=Resp(HTTP_200=schemas.WebhookDeliveryList, **ERRORS), tags=["webhooks"])
def webhook_deliveries(endpoint_id: int) -> Response:
    """The endpoint's 50 newest deliveries with their state."""
    endpoint = webhook_services.get_endpoint(_ws(), endpoint_id)
    rows, _more = webhook_services.deliveries_of(endpoint, None, None)
    items = [
        schemas.WebhookDelivery(
            id=d.id,
            event=d.event,
            event_id=d.event_id,
            status=d.status,  # type: ignore[arg-type]
            attempts=d.attempts,
            created_at=d.created_at,
            last_attempt_at=d.last_attempt_at,
            last_status=d.last_status,
            last_error=d.last_error,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        )
        for d in rows
    ]
    return _json(schemas.WebhookDeliveryList(items=items))


# --- coupons and leads ------------------------------------------------------------------------------------------


def _coupon(coupon: Coupon) -> schemas.CouponState:
    offer = db.session.get(Offer, coupon.offer_id)
    now = utcnow()
    return schemas.CouponState(
        code=coupon.code,
        offer_id=coupon.offer_id,
        offer=offer.name if offer else "",
        touchpoint_id=coupon.touchpoint_id,
        issued_at=coupon.issued_at,
        expires_at=coupon.expires_at,
        redeemed_at=coupon.redeemed_at,
        order_value=coupon.order_value,
        redeemable=coupon.redeemed_at is None and (coupon.expires_at is None or now < coupon.expires_at),
    )


def _refusal(error: offer_services.CouponRefused) -> Response:
    response = problem(error.status, str(error.message))
    body = json.loads(response.get_data())
    body["reason"] = error.reason
    response.set_data(json.dumps(body))
    return response


@bp.get("/coupons/<code>")
@spec.validate(resp=Resp(HTTP_200=schemas.CouponState, **ERRORS), tags=["coupons"])
def get_coupon(code: str) -> Response:
    """Look a coupon up before redeeming it (separators and confusable letters are forgiven)."""
    try:
        return _json(_coupon(offer_services.find_coupon(_ws(), code)))
    except offer_services.CouponRefused as error:
        return _refusal(error)


@bp.post("/coupons/<code>/redeem")
@spec.validate(
    json=schemas.Redemption,
    resp=Resp(HTTP_200=schemas.CouponState, HTTP_410=schemas.Problem, **WRITE_ERRORS),
    tags=["coupons"],
)
def redeem_coupon(code: str, json: schemas.Redemption) -> Response:
    """Redeem a coupon once with the order value; refusals say why in `reason`: unknown, malformed,
    already_redeemed (409), expired (410), order_value (422)."""
    try:
        coupon = offer_services.redeem(_ws(), code, json.order_value, utcnow(), "api")
    except offer_services.CouponRefused as error:
        db.session.rollback()
        return _refusal(error)
    db.session.commit()
    return _json(_coupon(coupon))


@bp.get("/contacts")
@spec.validate(query=schemas.ContactQuery, resp=Resp(HTTP_200=schemas.ContactList, **ERRORS), tags=["leads"])
def list_contacts(query: schemas.ContactQuery) -> Response:
    """Consented contacts (leads), best score first, optionally of one stage."""
    rows = lead_services.leads(_ws(), query.stage, limit=query.limit)
    return _json(schemas.ContactList(items=[schemas.ContactOut(**lead_services.contact_data(c)) for c, _t, _c in rows]))


@bp.get("/contacts/<int:contact_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.ContactOut, **ERRORS), tags=["leads"])
def get_contact(contact_id: int) -> Response:
    """One contact with their consent and score."""
    return _json(schemas.ContactOut(**lead_services.contact_data(lead_services.get_contact(_ws(), contact_id))))


@bp.get("/contacts/<int:contact_id>/export")
@spec.validate(resp=Resp(HTTP_200=schemas.ContactExport, **ERRORS), tags=["leads"])
def export_contact(contact_id: int) -> Response:
    """Everything stored about the person (GDPR Art. 15)."""
    data = lead_services.export(lead_services.get_contact(_ws(), contact_id))
    return _json(schemas.ContactExport(**data))


@bp.delete("/contacts/<int:contact_id>")
@spec.validate(resp=Resp("HTTP_204", **WRITE_ERRORS), tags=["leads"])
def erase_contact(contact_id: int) -> Response:
    """Erase the person (GDPR Art. 17): details, consent and score; their answers stay, anonymous."""
    lead_services.erase(lead_services.get_contact(_ws(), contact_id))
    db.session.commit()
    return Response(status=204)
