"""Offers shown after a completed survey, and the unique coupons that carry them to the till."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import BigId
from feedback.texts import texts

#: The largest order value a redemption accepts (anything above is a typo, e.g. cents typed as euros).
MAX_ORDER_VALUE = Decimal("1000000.00")


class Offer(db.Model):
    """An incentive of a campaign, or of one of its touchpoints (which then wins over the campaign's)."""

    __tablename__ = "offer"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["campaign_id", "workspace_id"],
            ["campaign.id", "campaign.workspace_id"],
            name="fk_offer_campaign_workspace",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id", "workspace_id"],
            ["touchpoint.id", "touchpoint.workspace_id"],
            name="fk_offer_touchpoint_workspace",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("id", "workspace_id"),
        sa.CheckConstraint("valid_days IS NULL OR valid_days > 0", name="valid_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(index=True)
    #: None: the whole campaign.
    touchpoint_id: Mapped[int | None] = mapped_column(index=True)
    #: Internal name, e.g. "Spring 10 %".
    name: Mapped[str] = mapped_column(sa.String(80))
    #: What respondents read on the thank-you page: {language: text} (feedback/texts.py).
    texts: Mapped[dict[str, str]] = mapped_column("text", sa.JSON, default=dict)
    #: Give every completed response its own coupon code.
    with_coupon: Mapped[bool] = mapped_column(default=True)
    #: A coupon is valid this many days after it was issued ...
    valid_days: Mapped[int | None] = mapped_column()
    #: ... and never after this day (workspace time); None: no fixed end.
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def text(self, language: str, fallback: str = "de") -> str:
        """The offer in the respondent's language, else the fallback language, else any it is written in."""
        return texts(self.texts).pick(language, fallback)


class Coupon(db.Model):
    """One respondent's coupon: issued with the completed response, redeemed at most once."""

    __tablename__ = "coupon"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["offer_id", "workspace_id"], ["offer.id", "offer.workspace_id"], name="fk_coupon_offer_workspace"
        ),
        sa.CheckConstraint("order_value IS NULL OR order_value >= 0", name="order_value_not_negative"),
        sa.CheckConstraint("(redeemed_at IS NULL) = (order_value IS NULL)", name="redeemed_with_value"),
        sa.Index("ix_coupon_touchpoint_issued", "touchpoint_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(index=True)
    touchpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="CASCADE"))
    #: One coupon per response; kept (without the response) when the response is erased.
    response_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("response.id", ondelete="SET NULL"), unique=True
    )
    #: 10 Crockford characters (50 random bits), unique across all workspaces.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    order_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    #: "dashboard" or "api".
    redeemed_via: Mapped[str] = mapped_column(sa.String(10), default="")
    redeemed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
