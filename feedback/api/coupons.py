"""Coupons (state and redemption), contacts (leads: read, export, erase, move through the funnel) and the lead
funnel of a campaign."""

from __future__ import annotations

import json

from flask import Response, g
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis.funnel import document
from feedback.analysis.services import checked_range
from feedback.api import services as api_services
from feedback.api.base import ERRORS, WRITE_ERRORS, bp, json_response, spec, workspace_id
from feedback.db_types import utcnow
from feedback.errors import problem
from feedback.extensions import commit, db
from feedback.leads import services as lead_services
from feedback.leads import stages
from feedback.leads.funnel import campaign_funnel
from feedback.leads.models import ChangedBy
from feedback.offers import services as offer_services
from feedback.offers.models import Coupon, Offer
from feedback.touchpoints import services as tp

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


def _reveal() -> bool:
    """Whether the request's token may see who contacts are (not when its creator is now a viewer)."""
    return lead_services.may_identify_contacts(api_services.creator_role(g.api_token))


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
        return json_response(_coupon(offer_services.find_coupon(workspace_id(), code)))
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
        coupon = offer_services.redeem(workspace_id(), code, json.order_value, utcnow(), "api")
    except offer_services.CouponRefused as error:
        db.session.rollback()
        return _refusal(error)
    commit()
    return json_response(_coupon(coupon))


@bp.get("/contacts")
@spec.validate(query=schemas.ContactQuery, resp=Resp(HTTP_200=schemas.ContactList, **ERRORS), tags=["leads"])
def list_contacts(query: schemas.ContactQuery) -> Response:
    """Consented contacts (leads), best score first, optionally of one stage. A token made by a member who is now
    a viewer (or who left) gets name, e-mail and phone as "hidden for viewers"."""
    rows = lead_services.leads(workspace_id(), query.stage, limit=query.limit)
    reveal = _reveal()
    items = [schemas.ContactOut(**lead_services.contact_data(c, reveal)) for c, _t, _c in rows]
    return json_response(schemas.ContactList(items=items))


@bp.get("/contacts/<int:contact_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.ContactOut, **ERRORS), tags=["leads"])
def get_contact(contact_id: int) -> Response:
    """One contact with their consent and score."""
    contact = lead_services.get_contact(workspace_id(), contact_id)
    return json_response(schemas.ContactOut(**lead_services.contact_data(contact, _reveal())))


@bp.get("/contacts/<int:contact_id>/export")
@spec.validate(resp=Resp(HTTP_200=schemas.ContactExport, **ERRORS), tags=["leads"])
def export_contact(contact_id: int) -> Response:
    """Everything stored about the person (GDPR Art. 15)."""
    data = lead_services.export(lead_services.get_contact(workspace_id(), contact_id), _reveal())
    return json_response(schemas.ContactExport(**data))


@bp.delete("/contacts/<int:contact_id>")
@spec.validate(resp=Resp("HTTP_204", **WRITE_ERRORS), tags=["leads"])
def erase_contact(contact_id: int) -> Response:
    """Erase the person (GDPR Art. 17): details, consent and score; their answers stay, anonymous."""
    lead_services.erase(lead_services.get_contact(workspace_id(), contact_id))
    commit()
    return Response(status=204)


@bp.post("/contacts/<int:contact_id>/stage")
@spec.validate(json=schemas.StageMove, resp=Resp(HTTP_200=schemas.ContactOut, **WRITE_ERRORS), tags=["leads"])
def move_contact(contact_id: int, json: schemas.StageMove) -> Response:
    """Move a lead on in the funnel (sales_accepted, sales_qualified, won with order_value, lost with reason); the
    move is recorded and sent as contact.stage_changed. A move the funnel does not allow from the lead's stage is
    409, a missing order value or reason 422; `field` names what is at fault and nothing changes."""
    move = stages.Move(json.stage, order_value=json.order_value, reason=json.reason, note=json.note)
    mover = stages.Mover(ChangedBy.API, api_token_id=g.api_token.id)
    try:
        contact = stages.move_stage(workspace_id(), contact_id, move, mover, utcnow())
    except stages.StageRefused as error:
        db.session.rollback()
        return problem(error.status, str(error.message), field=error.field)
    commit()
    return json_response(schemas.ContactOut(**lead_services.contact_data(contact, _reveal())))


@bp.get("/campaigns/<int:campaign_id>/funnel")
@spec.validate(query=schemas.Period, resp=Resp(HTTP_200=schemas.LeadFunnel, **ERRORS), tags=["leads"])
def lead_funnel(campaign_id: int, query: schemas.Period) -> Response:
    """The campaign's lead funnel (lead → marketing-qualified → sales-accepted → sales-qualified → won) and each
    touchpoint's: leads that reached each step, step conversion rates with Wilson 95 % intervals, median days per
    step, losses by step and reason; of the leads captured in the period when one is given."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    period = checked_range(query.from_, query.to).period(g.workspace.timezone)
    found = campaign_funnel(campaign, tp.touchpoints_of(campaign, include_archived=True), period.start, period.end)
    return json_response(
        schemas.LeadFunnel(
            campaign_id=campaign.id,
            total=schemas.FunnelNumbers(**document(found.total)),  # type: ignore[arg-type]
            touchpoints=[
                schemas.FunnelNumbers(touchpoint_id=touchpoint.id, **document(numbers))  # type: ignore[arg-type]
                for touchpoint, numbers in found.touchpoints
            ],
        )
    )
