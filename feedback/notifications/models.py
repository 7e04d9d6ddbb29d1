"""The mail outbox (which doubles as the mail log), the alerts waiting to be bundled into a mail, and each member's
choice of alerts."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import BigId


class Topic(enum.StrEnum):
    """What a member can be told by mail; each can be switched off per member and workspace."""

    #: A detractor (0–6) left a comment or asked to be contacted.
    DETRACTOR = "detractor"
    #: A lead crossed the sales-ready threshold.
    SALES_READY = "sales_ready"
    #: A touchpoint's NPS of the last 4 weeks is significantly below its previous 12 weeks.
    NPS_DROP = "nps_drop"
    #: Webhook or mail deliveries have been failing for a day.
    DELIVERY_FAILING = "delivery_failing"
    #: The weekly report of a campaign.
    DIGEST = "digest"
    #: A mail sent on request to try the mail server (cannot be switched off).
    TEST = "test"
    #: A step of a workspace's nurture sequence, to a consented contact (feedback.nurture; not to a member, and not
    #: switched here: the contact stops them through the link in every such mail).
    NURTURE = "nurture"


#: Topics a member can switch, in the order the settings page lists them.
SWITCHABLE = (Topic.DETRACTOR, Topic.SALES_READY, Topic.NPS_DROP, Topic.DELIVERY_FAILING, Topic.DIGEST)
#: Topics whose alerts are sent as they come (grouped within a minute) rather than by the daily checks.
IMMEDIATE = (Topic.DETRACTOR, Topic.SALES_READY)


class MailStatus(enum.StrEnum):
    """Where a mail stands: waiting (also between retries, and while no mail server is configured), accepted by
    the mail server, given up (with its reason), or never to be sent because what it reported was erased."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


STATUS_VALUES = tuple(s.value for s in MailStatus)
TOPIC_VALUES = tuple(t.value for t in Topic)
#: What members are alerted of and can switch (every topic but the contacts' nurture mails).
MEMBER_TOPIC_VALUES = tuple(t.value for t in Topic if t is not Topic.NURTURE)


class Mail(db.Model):
    """One mail to one address: written in the transaction that caused it (or by the dispatcher that bundles
    alerts), sent and retried from here."""

    __tablename__ = "mail"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUS_VALUES!r}", name="status"),
        sa.CheckConstraint(f"topic IN {TOPIC_VALUES!r}", name="topic"),
        # The dispatcher's query: what is due now.
        sa.Index("ix_mail_due", "status", "next_attempt_at"),
        sa.Index("ix_mail_workspace", "workspace_id", "id"),
        # A digest or a check's alert is written once, however many `feedback notify run` there are.
        sa.UniqueConstraint("dedupe_key", name="uq_mail_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: None for a test mail sent from the command line.
    workspace_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    #: The member it is for (None: an address typed on the command line, or a member since deleted).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    topic: Mapped[str] = mapped_column(sa.String(20))
    locale: Mapped[str] = mapped_column(sa.String(5), default="en")
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    #: The same on every attempt, so that a mail sent twice (a crash between the server's acceptance and its
    #: record) is recognised as one by mail clients that deduplicate.
    message_id: Mapped[str] = mapped_column(sa.String(200))
    #: Set for mails that must be written at most once (a campaign's digest of a week for one member).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(10), default=MailStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the next attempt is due; while an attempt runs, the end of its lease.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The mail server's answer or the error of the last failed attempt ("" when none failed).
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The consented contact a nurture mail is addressed to (no member), so that erasing them erases it.
    contact_id: Mapped[int | None] = mapped_column(index=True)
    #: The one-click unsubscribe link of a mail to a contact (the List-Unsubscribe header); members' mails derive
    #: theirs from the member and topic.
    list_unsubscribe: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")


class Alert(db.Model):
    """One thing to tell one member: written in the transaction of the event, bundled into a mail (with the other
    alerts of the same topic that are due with it) by the dispatcher."""

    __tablename__ = "mail_alert"
    __table_args__ = (
        sa.CheckConstraint(f"topic IN {MEMBER_TOPIC_VALUES!r}", name="topic"),
        sa.Index("ix_mail_alert_due", "mail_id", "due_at"),
        sa.Index("ix_mail_alert_recent", "user_id", "workspace_id", "topic", "due_at"),
        sa.Index("ix_mail_alert_about", "workspace_id", "topic", "about", "created_at"),
        sa.Index("ix_mail_alert_response", "response_id"),
        sa.Index("ix_mail_alert_contact", "contact_id"),
        # A check's alert is written once per member, thing and day, however many `feedback notify run` there are.
        sa.UniqueConstraint("dedupe_key", name="uq_mail_alert_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(sa.String(20))
    #: What the alert is about, for the checks that alert once per thing ("touchpoint:12", "webhook:3", "mail").
    about: Mapped[str] = mapped_column(sa.String(60), default="")
    #: What the mail shows, taken when the event happened (names, numbers, the answer, the consented contact).
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When it may go out: at once, or a minute after the member's last mail of the topic (grouping).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The mail that carries it, once bundled.
    mail_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("mail.id", ondelete="SET NULL"))
    #: The response or contact whose details `data` carries, so that erasing them erases it.
    response_id: Mapped[int | None] = mapped_column(BigId)
    contact_id: Mapped[int | None] = mapped_column()
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160))


class NotifyRun(db.Model):
    """A daily check or a week's reports of a workspace that `feedback notify run` has done (so that running it
    hourly repeats no work)."""

    __tablename__ = "notify_run"

    kind: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertSetting(db.Model):
    """A member's choice for one topic in one workspace; without a row the topic is on."""

    __tablename__ = "alert_setting"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "workspace_id", "topic"),
        sa.CheckConstraint(f"topic IN {MEMBER_TOPIC_VALUES!r}", name="topic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(sa.String(20))
    enabled: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
