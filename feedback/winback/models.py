"""A win-back mailing: a batch of personalised codes for lapsed customers, and which contact got which code."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import CodeBatch


class WinbackBatch(db.Model):
    """The selection behind one mailing batch: lapsed since how many days, and who was left out and why."""

    __tablename__ = "winback_batch"
    __table_args__ = (
        sa.CheckConstraint("lapsed_days >= 1", name="lapsed_days_positive"),
        sa.CheckConstraint("suppressed_detractors >= 0 AND without_email >= 0", name="suppressed_counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    #: The mailing batch holding the codes (one code per recipient).
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("code_batch.id", ondelete="CASCADE"), unique=True)
    #: A customer is lapsed whose last purchase is more than this many days before the batch was created.
    lapsed_days: Mapped[int] = mapped_column(sa.Integer)
    include_detractors: Mapped[bool] = mapped_column(default=False)
    #: Lapsed customers left out because their latest NPS answer was a detractor's (when not included).
    suppressed_detractors: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Lapsed customers left out because they left no e-mail address.
    without_email: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    batch: Mapped[CodeBatch] = relationship()


class WinbackRecipient(db.Model):
    """One lapsed customer of a win-back batch and the personal code they were sent."""

    __tablename__ = "winback_recipient"
    __table_args__ = (sa.UniqueConstraint("winback_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    winback_id: Mapped[int] = mapped_column(sa.ForeignKey("winback_batch.id", ondelete="CASCADE"), index=True)
    #: None once the contact is erased (the code and its answers stay counted).
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("code.id", ondelete="CASCADE"), unique=True)
