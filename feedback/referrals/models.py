"""Invites issued to respondents and the acceptances they bring."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import BigId

INVITE_CODE_LENGTH = 12  # 12 × 5 = 60 random bits


class Invite(db.Model):
    """A respondent's personal referral code; one per completed response."""

    __tablename__ = "invite"
    __table_args__ = (sa.CheckConstraint("generation >= 1", name="generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    #: The referrer's touchpoint: referrals are attributed to it.
    touchpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("response.id", ondelete="CASCADE"), unique=True)
    #: Crockford base32, upper case, unique; printed in groups of four.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    #: The referrer's visitor key: the same visitor accepting their own invite does not count.
    referrer_visitor_key: Mapped[str] = mapped_column(sa.String(32))
    #: The network + device signature (a keyed hash) of the referrer when the invite was taken: a friend answering
    #: from it within the campaign's repeat window is the referrer's own invite opened. Cleared a day later.
    referrer_signature: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    #: 1 for a respondent who came on their own; n + 1 for one who came through an invite of generation n.
    generation: Mapped[int] = mapped_column(default=1)
    parent_invite_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invite.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InviteAcceptance(db.Model):
    """A completed response of an invited visitor; each visitor counts once per invite."""

    __tablename__ = "invite_acceptance"
    __table_args__ = (sa.UniqueConstraint("invite_id", "visitor_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    invite_id: Mapped[int] = mapped_column(sa.ForeignKey("invite.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("response.id", ondelete="CASCADE"), unique=True)
    visitor_key: Mapped[str] = mapped_column(sa.String(32))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
