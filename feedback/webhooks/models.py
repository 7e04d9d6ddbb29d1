"""Webhook endpoints of a workspace and the outbox of their deliveries (which doubles as the delivery log)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import BigId


class Event(enum.StrEnum):
    """What a webhook can be told about."""

    RESPONSE_COMPLETED = "response.completed"
    INVITE_ACCEPTED = "invite.accepted"
    #: One event per scan: opt-in, as it can be many.
    CODE_SCANNED = "code.scanned"
    #: A consented contact's lead score reached a higher stage.
    LEAD_QUALIFIED = "lead.qualified"
    #: A contact moved to another stage of the funnel: by its score, or moved by a member or a sales system.
    CONTACT_STAGE_CHANGED = "contact.stage_changed"
    #: Sent on request from the dashboard, to try an endpoint.
    PING = "ping"


SUBSCRIBABLE = (
    Event.RESPONSE_COMPLETED,
    Event.INVITE_ACCEPTED,
    Event.LEAD_QUALIFIED,
    Event.CONTACT_STAGE_CHANGED,
    Event.CODE_SCANNED,
)
#: Events whose bodies carry a contact's name, e-mail and phone (not for viewers; erased with the contact).
WITH_CONTACT = frozenset({Event.LEAD_QUALIFIED.value, Event.CONTACT_STAGE_CHANGED.value})


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands: waiting (also between retries), delivered, given up, or never to be sent because
    what it reported was erased."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


STATUS_VALUES = tuple(s.value for s in DeliveryStatus)


class WebhookEndpoint(db.Model):
    """A URL of the workspace's own systems that receives signed events."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (sa.UniqueConstraint("id", "workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Space-separated event names, e.g. "response.completed invite.accepted".
    events: Mapped[str] = mapped_column(sa.String(200))
    #: The HMAC key receivers verify signatures with ("whsec_…"); needed in plain to sign.
    secret: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Paused endpoints get no new deliveries; waiting ones stay until it is resumed.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Attempts in a row that got no 2xx answer (a delivered one starts again at 0).
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    #: After too many failures in a row the dispatchers leave the endpoint alone until then (its deliveries wait,
    #: none is given up for it); then one attempt at a time tries it (feedback/webhooks/delivery.py).
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def listens_to(self, event: str) -> bool:
        """True when the endpoint subscribed to the event (everyone gets pings)."""
        return event == Event.PING.value or event in self.events.split()

    def suspended(self, now: datetime) -> bool:
        """Whether the dispatchers leave the endpoint alone now, after repeated failures."""
        return self.suspended_until is not None and self.suspended_until > now


class WebhookDelivery(db.Model):
    """One event for one endpoint: written in the transaction that caused it, sent and retried from here."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["endpoint_id", "workspace_id"],
            ["webhook_endpoint.id", "webhook_endpoint.workspace_id"],
            name="fk_webhook_delivery_endpoint_workspace",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"status IN {STATUS_VALUES!r}", name="status"),
        # The dispatcher's query: what is due now.
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
        # Erasure finds the deliveries that carry a response's answers or a contact's details.
        sa.Index("ix_webhook_delivery_response", "response_id"),
        sa.Index("ix_webhook_delivery_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column()
    event: Mapped[str] = mapped_column(sa.String(40))
    #: The same for every endpoint the event went to: receivers deduplicate by it.
    event_id: Mapped[str] = mapped_column(sa.String(36))
    #: The JSON body exactly as it is sent and signed.
    payload: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default=DeliveryStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the next attempt is due; while an attempt runs, the end of its lease.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: HTTP status of the last answer; None when no answer came (refused, timeout, blocked address).
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The response whose answers the body carries (response.completed), so that deleting the response erases it;
    #: no foreign key: the erased delivery outlives the response.
    response_id: Mapped[int | None] = mapped_column(BigId)
    #: The contact whose details the body carries (lead.qualified), so that erasing the contact erases it.
    contact_id: Mapped[int | None] = mapped_column()

    endpoint: Mapped[WebhookEndpoint] = relationship(overlaps="workspace")
