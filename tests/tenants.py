"""Two workspaces for the isolation tests: an attacker's own, and a victim's full of objects of every kind (a
campaign, touchpoint, invitation, code, mailing batch, survey, responses, invite, API token, webhook endpoint and
deliveries, offer and a consented contact)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from feedback.analysis.models import SavedSegment
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth import services as auth_services
from feedback.auth.models import Membership, Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads import services as lead_services
from feedback.leads.models import Contact
from feedback.nurture import steps as nurture_steps
from feedback.offers.models import Offer
from feedback.qr import personal
from feedback.qr import services as qr_services
from feedback.referrals import services as referral_services
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response
from feedback.texts import Texts
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookDelivery, WebhookEndpoint
from feedback.winback.models import WinbackBatch, WinbackRecipient

#: A consented contact of the victim workspace: who they are (never shown to viewers) and their score (shown).
CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE, CONTACT_SCORE = (
    "Secret Person",
    "secret@example.com",
    "+49 151 2345678",
    987,
)


def two_tenants(make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN001,ANN201
    """An attacker owning one workspace and a victim workspace full of objects."""
    attacker, victim = make_user(email="attacker@example.com"), make_user(email="victim@example.com")
    own = make_workspace("Attacker", owner=attacker)
    foreign = make_workspace("Victim", owner=victim, members={make_user(): Role.EDITOR})
    campaign = make_campaign(workspace=foreign, name="Secret launch")
    touchpoint = make_touchpoint(campaign=campaign, name="Secret poster")
    invitation, _token = auth_services.invite_member(foreign, "x@example.com", Role.VIEWER, victim, utcnow(), 7)
    code = qr_services.create_code(touchpoint, "Secret placement")
    batch = personal.create_batch(touchpoint, "Secret mailing", ["SECRET-CUSTOMER-1"])
    survey = survey_services.create_survey(foreign.id, "Secret survey", "nps-reason")
    db.session.flush()
    done = Response(
        workspace_id=foreign.id,
        touchpoint_id=touchpoint.id,
        version_id=survey.current.id,
        token="done-token",
        visitor_key="w" * 32,
        language="de",
        started_at=utcnow(),
        completed_at=utcnow(),
    )
    db.session.add(done)
    db.session.flush()
    invite = referral_services.issue_invite(done, campaign, utcnow())
    response = Response(
        workspace_id=foreign.id,
        touchpoint_id=touchpoint.id,
        version_id=survey.current.id,
        token="secret-token",
        visitor_key="v" * 32,
        language="de",
        started_at=utcnow(),
    )
    db.session.add(response)
    api_token, _plain = api_services.create_token(foreign.id, "Secret CRM", Scope.WRITE, victim.id, utcnow())
    endpoint = WebhookEndpoint(
        workspace_id=foreign.id, url="https://secret.example.com/hook", events="lead.qualified", secret="whsec_secret"
    )
    db.session.add(endpoint)
    db.session.flush()
    sent = webhook_services.ping(endpoint, utcnow())
    offer = Offer(workspace_id=foreign.id, campaign_id=campaign.id, name="Secret offer", texts={"de": "Geheim"})
    contact = Contact(
        workspace_id=foreign.id,
        touchpoint_id=touchpoint.id,
        name=CONTACT_NAME,
        email=CONTACT_EMAIL,
        phone=CONTACT_PHONE,
        consent_text="ok",
        consent_language="de",
        consented_at=utcnow(),
        score=CONTACT_SCORE,
    )
    db.session.add_all([offer, contact])
    db.session.flush()
    done.contact_id = contact.id
    qualified = {"contact": lead_services.contact_data(contact), "previous_stage": "new"}
    db.session.add(
        WebhookDelivery(
            workspace_id=foreign.id,
            endpoint_id=endpoint.id,
            event="lead.qualified",
            event_id="00000000-0000-0000-0000-000000000001",
            payload=json.dumps({"event": "lead.qualified", "data": qualified}),
            status="delivered",
            next_attempt_at=utcnow(),
        )
    )
    db.session.flush()
    segment = SavedSegment(workspace_id=foreign.id, name="Secret segment", conditions={"device": "mobile"})
    db.session.add(segment)
    step = nurture_steps.add_step(
        foreign.id,
        nurture_steps.StepData(2, Texts.of(de="Secret step", en="Secret step"), Texts.of(de="Secret", en="Secret"),
                               touchpoint.id),
        utcnow(),
    )  # fmt: skip
    winback = WinbackBatch(workspace_id=foreign.id, batch_id=batch.id, lapsed_days=180)
    db.session.add(winback)
    db.session.flush()
    db.session.add(WinbackRecipient(workspace_id=foreign.id, winback_id=winback.id, contact_id=contact.id,
                                    code_id=next(personal.batch_codes(batch)).id))  # fmt: skip
    db.session.commit()
    membership = db.session.scalar(sa.select(Membership).where(Membership.workspace_id == foreign.id))
    ids = {
        "campaign_id": campaign.id,
        "touchpoint_id": touchpoint.id,
        "membership_id": membership.id,
        "invitation_id": invitation.id,
        "code_id": code.id,
        "batch_id": batch.id,
        "endpoint_id": endpoint.id,
        "offer_id": offer.id,
        "contact_id": contact.id,
        "delivery_id": sent.id,
        "fmt": "png",
        "survey_id": survey.id,
        "response_id": response.id,
        "invite_id": invite.id,
        "key": "nps",
        "action": "up",
        "token_id": api_token.id,
        "segment_id": segment.id,
        "step_id": step.id,
        "winback_id": winback.id,
    }
    return attacker, own, foreign, ids
