"""A workspace's nurture sequence, its steps, who is in it (and why they left it), and each mail it wrote."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import BigId


class StopAt(enum.StrEnum):
    """The threshold that ends nurturing: a lead that reaches it is handed on and gets no more nurture mails."""

    MARKETING_QUALIFIED = "marketing_qualified"
    SALES_READY = "sales_ready"


class StopReason(enum.StrEnum):
    """Why a contact's sequence ended before its last step."""

    #: The contact followed the link in a mail to stop them.
    UNSUBSCRIBED = "unsubscribed"
    #: The score reached the sequence's threshold.
    REACHED_THRESHOLD = "reached_threshold"
    #: A member or a sales system moved the lead (accepted, lost, …), or the score moved it out of the nurtured stages.
    STAGE_CHANGED = "stage_changed"


STOP_AT_VALUES = tuple(s.value for s in StopAt)
STOP_REASON_VALUES = tuple(r.value for r in StopReason)
#: The longest wait before a step (a year).
MAX_DELAY_DAYS = 365


class NurtureSequence(db.Model):
    """Whether the workspace nurtures, since when, and up to which threshold (one sequence per workspace)."""

    __tablename__ = "nurture_sequence"
    __table_args__ = (sa.CheckConstraint(f"stop_at IN {STOP_AT_VALUES!r}", name="stop_at"),)

    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    active: Mapped[bool] = mapped_column(default=False)
    #: Contacts who left their details from this time on enter the sequence (older contacts are not mailed out of
    #: the blue when a sequence is switched on); None while it was never active.
    active_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_at: Mapped[str] = mapped_column(sa.String(20), default=StopAt.SALES_READY.value)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NurtureStep(db.Model):
    """One mail of the sequence: when (days after entering, or after the previous step), what it says in German
    and English, and the touchpoint whose personal code it carries."""

    __tablename__ = "nurture_step"
    __table_args__ = (
        sa.CheckConstraint(f"delay_days >= 0 AND delay_days <= {MAX_DELAY_DAYS}", name="delay_days"),
        sa.Index("ix_nurture_step_order", "workspace_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    #: The order of the steps (1, 2, 3 …; gaps allowed).
    position: Mapped[int] = mapped_column()
    #: Days after the contact entered the sequence (first step) or after the previous step's mail.
    delay_days: Mapped[int] = mapped_column()
    #: {language: text}: the subject and the text of the mail.
    subject: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    body: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    #: The touchpoint the personal code leads to (its landing page and survey).
    touchpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="SET NULL"))
    #: The mailing batch that holds this step's personal codes (one code per contact), made with the first mail.
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("code_batch.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NurtureEnrolment(db.Model):
    """A contact in the sequence: since its first mail, and, once it left before the last step, when and why."""

    __tablename__ = "nurture_enrolment"
    __table_args__ = (
        sa.CheckConstraint(f"stop_reason IS NULL OR stop_reason IN {STOP_REASON_VALUES!r}", name="stop_reason"),
        sa.CheckConstraint("(stopped_at IS NULL) = (stop_reason IS NULL)", name="stopped_with_reason"),
    )

    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_reason: Mapped[str | None] = mapped_column(sa.String(20))
    #: The step the contact would have got next when the sequence stopped.
    stopped_before: Mapped[int | None] = mapped_column(sa.ForeignKey("nurture_step.id", ondelete="SET NULL"))


class NurtureMail(db.Model):
    """One step's mail to one contact (at most one: the nurture run is idempotent), with its personal code and the
    first reaction to it (a scan of the code by a person, not a bot or a link checker)."""

    __tablename__ = "nurture_mail"
    __table_args__ = (
        sa.UniqueConstraint("contact_id", "step_id", name="uq_nurture_mail_contact_step"),
        sa.Index("ix_nurture_mail_step", "step_id", "reacted_at"),
        sa.Index("ix_nurture_mail_waiting", "workspace_id", "reacted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("nurture_step.id", ondelete="CASCADE"))
    #: The outbox row (None once the mail log dropped it).
    mail_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("mail.id", ondelete="SET NULL"))
    code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("code.id", ondelete="SET NULL"), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
