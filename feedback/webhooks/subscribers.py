"""What goes out as webhooks: outbox rows written in the transaction of the event that a service published."""

from __future__ import annotations

from feedback.events import Bus, InviteAccepted, LeadStageChanged, ResponseCompleted
from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.leads.services import contact_data
from feedback.referrals.models import Invite
from feedback.surveys.models import Response
from feedback.webhooks import payloads
from feedback.webhooks.models import Event
from feedback.webhooks.services import emit, listened_to


def _response_completed(event: ResponseCompleted) -> None:
    response = db.session.get(Response, event.response_id)
    if response is not None:
        emit(event.workspace_id, Event.RESPONSE_COMPLETED, payloads.response_completed(response), event.at)


def _invite_accepted(event: InviteAccepted) -> None:
    invite, response = db.session.get(Invite, event.invite_id), db.session.get(Response, event.response_id)
    if invite is not None and response is not None:
        emit(event.workspace_id, Event.INVITE_ACCEPTED, payloads.invite_accepted(invite, response, event.at), event.at)


def _lead_qualified(event: LeadStageChanged) -> None:
    contact = db.session.get(Contact, event.contact_id)
    if event.rose and contact is not None:
        data = {"contact": contact_data(contact), "previous_stage": event.previous}
        emit(event.workspace_id, Event.LEAD_QUALIFIED, data, event.at)


def _wants_completions(workspace_id: int, _campaign_id: int, _touchpoint_id: int) -> bool:
    return listened_to(workspace_id, Event.RESPONSE_COMPLETED)


def subscribe(bus: Bus) -> None:
    """response.completed, invite.accepted and lead.qualified (code.scanned goes with the scan: qr.services)."""
    bus.subscribe(ResponseCompleted, _response_completed, wants=_wants_completions)
    bus.subscribe(InviteAccepted, _invite_accepted)
    bus.subscribe(LeadStageChanged, _lead_qualified)
