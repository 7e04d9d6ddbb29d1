"""Campaigns and their touchpoints: the hub every other feature points at."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.auth.models import User, Workspace
from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.texts import texts


class Channel(enum.StrEnum):
    """Where a touchpoint reaches people."""

    PRINT_AD = "print_ad"
    FLYER = "flyer"
    POSTER = "poster"
    TRADE_FAIR = "trade_fair"
    EVENT = "event"
    POSTAL_MAIL = "postal_mail"
    PACKAGING = "packaging"
    RECEIPT = "receipt"
    STORE = "store"
    TV_RADIO = "tv_radio"
    ONLINE = "online"
    OTHER = "other"


class Phase(enum.StrEnum):
    """The five phases of the customer journey, in order."""

    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    DECISION = "decision"
    RETENTION = "retention"
    ADVOCACY = "advocacy"


class KioskCoupon(enum.StrEnum):
    """What a kiosk's thank-you page does with a coupon: a QR symbol of the coupon page for one's own phone, or no
    coupon at all (none is issued)."""

    QR = "qr"
    OFF = "off"


KIOSK_COUPON_VALUES = tuple(k.value for k in KioskCoupon)
CHANNEL_VALUES = tuple(c.value for c in Channel)
PHASE_VALUES = tuple(p.value for p in Phase)


class Campaign(db.Model):
    """A group of touchpoints with a time window and an optional budget."""

    __tablename__ = "campaign"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "slug"),
        sa.UniqueConstraint("workspace_id", "name"),
        # Lets touchpoints reference (campaign, workspace) so both always belong to the same tenant.
        sa.UniqueConstraint("id", "workspace_id"),
        sa.CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="window"),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="budget_not_negative"),
        sa.CheckConstraint("invite_policy IN ('everyone', 'promoters', 'off')", name="invite_policy"),
        # The survey new touchpoints start with must belong to the campaign's own workspace.
        sa.ForeignKeyConstraint(
            ["survey_id", "workspace_id"], ["survey.id", "survey.workspace_id"], name="fk_campaign_survey_workspace"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Stable, URL-safe name used in UTM parameters and on the command line.
    slug: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    #: In the workspace's currency.
    budget: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Shown with the invite on the thank-you page, e.g. "10 % for you and your friend".
    incentive_text: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Who is offered a personal invite: everyone, only promoters (NPS 9–10), or nobody.
    invite_policy: Mapped[str] = mapped_column(sa.String(10), default="everyone")
    #: Ask respondents, after the survey, whether they may be contacted (with explicit consent).
    ask_contact: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: A completion from the same network and device at the same code within this many minutes after another one
    #: is kept but flagged as a possible repeat (0: off). Also the window for answering one's own invite.
    repeat_window_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    #: At most this many coupons per hour for one network and device at one code (0: no cap).
    coupon_cap_per_hour: Mapped[int] = mapped_column(default=3, server_default="3")
    #: The survey every touchpoint added in the dashboard starts with (None: they start without one).
    survey_id: Mapped[int | None] = mapped_column()
    #: Where invited friends land; empty: the referrer's own touchpoint.
    referral_touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoint.id", ondelete="SET NULL", use_alter=True, name="fk_campaign_referral_touchpoint")
    )
    #: The member who hears of the campaign's alerts (an editor or owner of the workspace; see
    #: touchpoints.services.set_campaign_owner); None: the workspace's editors and owners do.
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL", name="fk_campaign_owner_user"), index=True
    )

    workspace: Mapped[Workspace] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    touchpoints: Mapped[list[Touchpoint]] = relationship(
        back_populates="campaign",
        order_by="Touchpoint.name",
        overlaps="touchpoints",
        foreign_keys="[Touchpoint.campaign_id, Touchpoint.workspace_id]",
    )

    @property
    def is_archived(self) -> bool:
        """Archived campaigns are hidden from the default lists but keep all their data."""
        return self.archived_at is not None


class Touchpoint(db.Model):
    """One place where the campaign meets people; every code resolves to exactly one touchpoint."""

    __tablename__ = "touchpoint"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "name"),
        # Lets codes and scans reference (touchpoint, workspace) so both always belong to the same tenant.
        sa.UniqueConstraint("id", "workspace_id"),
        sa.CheckConstraint(
            "event_ends_at IS NULL OR event_starts_at IS NULL OR event_ends_at > event_starts_at", name="event_window"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "workspace_id"],
            ["campaign.id", "campaign.workspace_id"],
            name="fk_touchpoint_campaign_workspace",
            ondelete="CASCADE",
        ),
        # The survey must belong to the touchpoint's own workspace.
        sa.ForeignKeyConstraint(
            ["survey_id", "workspace_id"], ["survey.id", "survey.workspace_id"], name="fk_touchpoint_survey_workspace"
        ),
        sa.CheckConstraint(f"channel IN {CHANNEL_VALUES!r}", name="channel"),
        sa.CheckConstraint(f"phase IN {PHASE_VALUES!r}", name="phase"),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
        sa.CheckConstraint("reach IS NULL OR reach >= 0", name="reach_not_negative"),
        sa.CheckConstraint(f"kiosk_coupon IN {KIOSK_COUPON_VALUES!r}", name="kiosk_coupon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    channel: Mapped[str] = mapped_column(sa.String(20))
    phase: Mapped[str] = mapped_column(sa.String(20))
    #: Total cost of the touchpoint (print run, booth, postage) in the workspace's currency.
    cost: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    #: Copies printed, visitors or recipients: the denominator of the scan rate.
    reach: Mapped[int | None] = mapped_column(sa.Integer)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: Landing page shown after a scan: {language: text} (feedback/texts.py; a missing language falls back).
    headline_texts: Mapped[dict[str, str]] = mapped_column("headline", sa.JSON, default=dict)
    body_texts: Mapped[dict[str, str]] = mapped_column("body", sa.JSON, default=dict)
    #: When set, a scan redirects here (with UTM parameters) instead of showing the landing page.
    destination_url: Mapped[str | None] = mapped_column(sa.String(2000))
    #: Optional calls to action on the landing page.
    cta_url: Mapped[str | None] = mapped_column(sa.String(2000))
    cta_label: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    social_url: Mapped[str | None] = mapped_column(sa.String(2000))
    #: For trade fairs and events: visitors can add the date to their calendar (.ics).
    event_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    event_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The survey shown on the landing page (its newest version).
    survey_id: Mapped[int | None] = mapped_column(index=True)
    #: A shared screen (trade-fair tablet, point of sale) where one person answers after another: the thank-you
    #: page resets to a fresh survey, the repeat rule does not apply, no visitor cookie, no invite or contact step.
    kiosk: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: On a kiosk: the coupon as a QR symbol of its page, for one's own phone ("qr"), or no coupon ("off").
    kiosk_coupon: Mapped[str] = mapped_column(sa.String(8), default=KioskCoupon.QR.value, server_default="qr")
    #: The member who hears of the touchpoint's alerts (an editor or owner of the workspace; see
    #: touchpoints.services.set_touchpoint_owner); None: the campaign's owner does.
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL", name="fk_touchpoint_owner_user"), index=True
    )

    campaign: Mapped[Campaign] = relationship(
        back_populates="touchpoints",
        overlaps="workspace",
        foreign_keys="[Touchpoint.campaign_id, Touchpoint.workspace_id]",
    )
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    @property
    def is_archived(self) -> bool:
        """Archived touchpoints keep their codes answering; they only leave the default lists."""
        return self.archived_at is not None

    @property
    def main_language(self) -> str:
        """The language its texts fall back to: the workspace's main language (German for a preview's stand-in)."""
        campaign = self.campaign
        return campaign.workspace.language_list[0] if campaign is not None else "de"

    def headline(self, language: str, brand: str = "", fallback: str | None = None) -> str:
        """Landing headline in the visitor's language (else the main language, else any), else the brand.

        The touchpoint's own name is internal ("Poster main station, variant B") and never shown to customers.
        """
        return texts(self.headline_texts).pick(language, fallback or self.main_language) or brand

    def body(self, language: str, fallback: str | None = None) -> str:
        """Landing text in the visitor's language (else the main language, else any)."""
        return texts(self.body_texts).pick(language, fallback or self.main_language)

    def cta_text(self, language: str, fallback: str | None = None) -> str:
        """The call to action's button text in the visitor's language (else the main language, else any)."""
        return texts(self.cta_label).pick(language, fallback or self.main_language)

    @property
    def has_event(self) -> bool:
        """Trade fairs and events with a date offer a calendar entry."""
        return self.event_starts_at is not None
