"""What goes out as webhooks: outbox rows written in the transaction of the event that a service published, and
erased in the transaction that erases what they reported."""

from __future__ import annotations

from feedback.events import Bus, ContactErased, InviteAccepted, LeadStageChanged, ResponseCompleted, ResponseErased
from feedback.extensions import db
from feedback.leads.models import ChangedBy, Contact
from feedback.leads.services import contact_data
from feedback.referrals.models import Invite
from feedback.surveys.models import Response
from feedback.webhooks import payloads
from feedback.webhooks.models import Event
from feedback.webhooks.services import emit, erase_deliveries, listened_to


def _response_completed(event: ResponseCompleted) -> None:
    response = db.session.get(Response, event.response_id)
    if response is not None:
        data = payloads.response_completed(response)
        emit(event.workspace_id, Event.RESPONSE_COMPLETED, data, event.at, response_id=response.id)


def _invite_accepted(event: InviteAccepted) -> None:
    invite, response = db.session.get(Invite, event.invite_id), db.session.get(Response, event.response_id)
    if invite is not None and response is not None:
        emit(event.workspace_id, Event.INVITE_ACCEPTED, payloads.invite_accepted(invite, response, event.at), event.at)


def _lead_moved(event: LeadStageChanged) -> None:
    """Every move of a lead's stage is contact.stage_changed, whoever made it; a rise the score made (to
    marketing-qualified or sales-ready) is lead.qualified as well."""
    contact = db.session.get(Contact, event.contact_id)
    if contact is None:
        return
    if event.rose and event.changed_by == ChangedBy.SCORE.value:
        data = {"contact": contact_data(contact), "previous_stage": event.previous}
        emit(event.workspace_id, Event.LEAD_QUALIFIED, data, event.at, contact_id=contact.id)
    data = payloads.stage_changed(contact_data(contact), event.previous, event.changed_by, event.at)
    emit(event.workspace_id, Event.CONTACT_STAGE_CHANGED, data, event.at, contact_id=contact.id)


def _response_erased(event: ResponseErased) -> None:
    erase_deliveries(event.workspace_id, response_id=event.response_id)


def _contact_erased(event: ContactErased) -> None:
    erase_deliveries(event.workspace_id, contact_id=event.contact_id)


def _wants_completions(workspace_id: int, _campaign_id: int, _touchpoint_id: int) -> bool:
    return listened_to(workspace_id, Event.RESPONSE_COMPLETED)


def subscribe(bus: Bus) -> None:
    """response.completed, invite.accepted, lead.qualified and contact.stage_changed (code.scanned goes with the
    scan: qr.services); an erased response or contact erases the bodies that carried it and cancels what still
    waits."""
    bus.subscribe(ResponseCompleted, _response_completed, wants=_wants_completions)
    bus.subscribe(InviteAccepted, _invite_accepted)
    bus.subscribe(LeadStageChanged, _lead_moved)
    bus.subscribe(ResponseErased, _response_erased)
    bus.subscribe(ContactErased, _contact_erased)
