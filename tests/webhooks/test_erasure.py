"""Erasure reaches the webhook outbox: once a response is deleted or a contact erased, no delivery keeps their
answers, name, e-mail address or phone number, and what was still waiting for an endpoint is never sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads import services as lead_services
from feedback.leads.models import Contact
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel
from feedback.webhooks import delivery
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.phone import Respondent


@dataclass(frozen=True)
class Person:
    """A respondent whose every detail is distinctive enough to be found anywhere in the database."""

    name: str
    email: str
    phone: str
    reason: str

    @property
    def traces(self) -> tuple[str, ...]:
        return self.name, self.email, self.phone, self.reason


GRETA = Person("Greta Quastenberg", "greta.quastenberg@example.org", "+49 40 5550101", "Zimtschnecken mit Kardamom")
HANNES = Person("Hannes Wolkenbruch", "hannes.wolkenbruch@example.org", "+49 40 5550202", "Flammkuchen vom Holzofen")
IDA = Person("Ida Morgentau", "ida.morgentau@example.org", "+49 40 5550303", "Schaumkrone wie aus Samt")


@pytest.fixture
def booth(app, auth, make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code, receiver):  # noqa: ANN001, ANN201
    """A booth asking for the NPS, its reason and contact details; a CRM endpoint receives completions and leads;
    the owner is logged in and holds an API token."""
    owner = make_user()
    workspace = make_workspace("Nordlicht Kaffee", owner=owner)
    campaign = make_campaign(workspace=workspace, name="Messe", ask_contact=True)
    touchpoint = make_touchpoint(campaign=campaign, name="Stand", channel=Channel.TRADE_FAIR)
    make_survey(touchpoint, "nps-reason")
    code = make_code(touchpoint, survey=None)
    endpoint = webhook_services.create_endpoint(
        workspace.id, receiver.url, ["response.completed", "lead.qualified"], "CRM", None
    )
    _token, secret = api_services.create_token(workspace.id, "CRM", Scope.WRITE, owner.id, utcnow())
    db.session.commit()
    auth.login(owner)
    return workspace, code, endpoint, {"Authorization": f"Bearer {secret}"}


def _respond(app, code, person: Person) -> tuple[int, int]:  # noqa: ANN001
    """The person answers (a promoter with a reason) and leaves their details: a response and a qualified lead."""
    phone = Respondent(app.test_client())
    action, fields = phone.form(f"/t/{code.code}")
    assert phone.post(action, {**fields, "q_nps": "10"}).status_code == 200  # the reason is asked on page two
    done = phone.post(action, {**fields, "page": "1", "q_reason": person.reason})
    assert done.status_code == 303
    thanks = done.headers["Location"]
    left = phone.leave_contact(thanks, name=person.name, email=person.email, phone=person.phone, consent="yes")
    assert left.status_code == 303
    db.session.commit()
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == person.email))
    response_id = db.session.scalar(sa.select(Response.id).where(Response.contact_id == contact.id))
    return response_id, contact.id


def _every_row() -> str:
    """Every row of every table, as text."""
    db.session.commit()  # a fresh snapshot
    with db.engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in db.metadata.sorted_tables for row in connection.execute(sa.select(table))
        )


def _deliveries() -> list[WebhookDelivery]:
    db.session.commit()  # a fresh snapshot: the dispatcher writes on its own connections
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_erased_responses_and_contacts_leave_no_trace_in_the_outbox_and_nothing_waiting_is_sent(
    app, client, booth, receiver
) -> None:
    workspace, code, endpoint, api = booth
    receiver.statuses = [204, 204, 500]  # Greta's two events arrive, then the receiver fails
    greta = _respond(app, code, GRETA)
    assert delivery.run_once(app) == 2
    bodies = {json.loads(d.body)["type"]: d.body.decode() for d in receiver.wait_for(2)}  # sent side by side
    assert GRETA.reason in bodies["response.completed"] and GRETA.email in bodies["lead.qualified"]
    hannes = _respond(app, code, HANNES)
    assert delivery.run_once(app) == 2  # answered 500: waiting for their next attempt
    ida = _respond(app, code, IDA)  # not attempted yet
    states = [(d.event, d.status, d.attempts) for d in _deliveries()]
    assert states == [
        ("response.completed", "delivered", 1),
        ("lead.qualified", "delivered", 1),
        ("response.completed", "pending", 1),
        ("lead.qualified", "pending", 1),
        ("response.completed", "pending", 0),
        ("lead.qualified", "pending", 0),
    ]
    before = _every_row()
    assert all(trace in before for person in (GRETA, HANNES, IDA) for trace in person.traces)

    # erased from the dashboard, through the API and by the services the command line uses
    base = f"/w/{workspace.slug}"
    assert client.post(f"{base}/responses/{greta[0]}/delete", data={"confirm": "1"}).status_code == 302
    assert client.post(f"{base}/contacts/{greta[1]}/erase", data={"confirm": "1"}).status_code == 302
    assert client.delete(f"/api/v1/responses/{hannes[0]}", headers=api).status_code == 204
    assert client.delete(f"/api/v1/contacts/{hannes[1]}", headers=api).status_code == 204
    survey_services.delete_response(workspace.id, ida[0])
    lead_services.erase(lead_services.get_contact(workspace.id, ida[1]))
    db.session.commit()

    after = _every_row()
    left = [trace for person in (GRETA, HANNES, IDA) for trace in person.traces if trace in after]
    assert left == []
    deliveries = _deliveries()
    assert [(d.event, d.status) for d in deliveries] == [
        ("response.completed", "delivered"),
        ("lead.qualified", "delivered"),
        ("response.completed", "cancelled"),
        ("lead.qualified", "cancelled"),
        ("response.completed", "cancelled"),
        ("lead.qualified", "cancelled"),
    ]
    for row in deliveries:  # the log keeps what was sent when, and which event it was
        body = json.loads(row.payload)
        assert (body["id"], body["type"], body["workspace"]) == (row.event_id, row.event, workspace.slug)
        assert body["data"] == {"erased": True}

    receiver.statuses = [204]
    assert delivery.run_once(app, now=utcnow() + timedelta(days=2)) == 0
    assert len(receiver.requests) == 4  # Greta's two, Hannes' two failed attempts; nothing after the erasure
    log = client.get(f"{base}/webhooks/{endpoint.id}?status=cancelled").get_data(as_text=True)
    assert log.count(">cancelled</span>") == 4 and "Send again" not in log
    assert "Cancelled (4)" in log
    listed = client.get(f"/api/v1/webhooks/{endpoint.id}/deliveries", headers=api)
    assert [d["status"] for d in listed.get_json()["items"]].count("cancelled") == 4


def test_a_delivery_claimed_before_the_erasure_is_not_sent_after_it(app, booth, receiver) -> None:
    """The dispatcher leased the delivery a moment before the erasure committed: it must not send it anyway."""
    workspace, code, _endpoint, _api = booth
    response_id, _contact_id = _respond(app, code, GRETA)
    with db.engine.begin() as connection:
        claimed = delivery._claim(connection, utcnow())
    assert len(claimed) == 2
    db.session.commit()  # a fresh snapshot: the claim wrote on its own connection
    survey_services.delete_response(workspace.id, response_id)
    db.session.commit()
    outcomes = [delivery.attempt(claim.delivery_id, allow_private=True) for claim in claimed]
    assert sum(outcome is not None for outcome in outcomes) == 1  # the lead, whose contact was not erased
    (sent,) = receiver.wait_for(1)
    assert json.loads(sent.body)["type"] == "lead.qualified" and GRETA.reason not in sent.body.decode()
    statuses = {d.event: d.status for d in _deliveries()}
    assert statuses == {"response.completed": DeliveryStatus.CANCELLED.value, "lead.qualified": "delivered"}
