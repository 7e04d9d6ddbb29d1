"""Contacts who agreed to be contacted, their lead score and its history, and the workspace's scoring rules."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import BigId


class Stage(enum.StrEnum):
    """Where a lead stands. The score moves a lead among the marketing stages (new, marketing-qualified and
    sales-ready, by the workspace's thresholds); people and sales systems move it on (sales-accepted,
    sales-qualified) and close it (won with an order value, lost with a reason)."""

    NEW = "new"
    MARKETING_QUALIFIED = "marketing_qualified"
    #: Marketing-qualified with a score at or above the sales-ready threshold: ready to be handed to sales.
    SALES_READY = "sales_ready"
    SALES_ACCEPTED = "sales_accepted"
    SALES_QUALIFIED = "sales_qualified"
    WON = "won"
    LOST = "lost"


STAGE_VALUES = tuple(s.value for s in Stage)
#: The stages the score decides; once a person or a sales system moved a lead beyond them, the score no longer does.
SCORED_STAGES = frozenset({Stage.NEW, Stage.MARKETING_QUALIFIED, Stage.SALES_READY})


class LostReason(enum.StrEnum):
    """Why a lead was lost (a fixed list, so that reasons can be counted; a note may say more)."""

    PRICE = "price"
    COMPETITOR = "competitor"
    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    TIMING = "timing"
    NO_RESPONSE = "no_response"
    OTHER = "other"


LOST_REASON_VALUES = tuple(r.value for r in LostReason)

#: How each reason reads on pages.
LOST_REASON_LABELS = {
    LostReason.PRICE.value: _l("Price too high"),
    LostReason.COMPETITOR.value: _l("Chose a competitor"),
    LostReason.NO_BUDGET.value: _l("No budget"),
    LostReason.NO_NEED.value: _l("No need after all"),
    LostReason.TIMING.value: _l("Not now (timing)"),
    LostReason.NO_RESPONSE.value: _l("Could not be reached"),
    LostReason.OTHER.value: _l("Other reason"),
}


class ChangedBy(enum.StrEnum):
    """Who moved a lead: its score, a member in the dashboard, or a sales system through the API."""

    SCORE = "score"
    DASHBOARD = "dashboard"
    API = "api"


CHANGED_BY_VALUES = tuple(c.value for c in ChangedBy)


class Activity(enum.StrEnum):
    """What earns a lead points."""

    SCAN = "scan"
    COMPLETED = "completed"
    PROMOTER = "promoter"
    FOLLOW_UP = "follow_up"
    INVITE_ACCEPTED = "invite_accepted"
    COUPON_REDEEMED = "coupon_redeemed"
    #: Opened the personal link (or scanned the personal code) of a nurture mail (feedback.nurture).
    NURTURE_REACTION = "nurture_reaction"


#: How a contact's score events are named on pages and in alerts.
ACTIVITY_LABELS = {
    Activity.SCAN.value: _l("Scanned a code"),
    Activity.COMPLETED.value: _l("Completed a survey"),
    Activity.PROMOTER.value: _l("Promoter answer (NPS 9–10)"),
    Activity.FOLLOW_UP.value: _l("Asked for an offer or information"),
    Activity.INVITE_ACCEPTED.value: _l("A friend they invited answered"),
    Activity.COUPON_REDEEMED.value: _l("Redeemed a coupon"),
    Activity.NURTURE_REACTION.value: _l("Reacted to a nurture mail"),
}

#: Points per activity unless the workspace sets its own.
DEFAULT_POINTS = {
    Activity.SCAN: 1,
    Activity.COMPLETED: 5,
    Activity.PROMOTER: 10,
    Activity.FOLLOW_UP: 20,
    Activity.INVITE_ACCEPTED: 10,
    Activity.COUPON_REDEEMED: 25,
    Activity.NURTURE_REACTION: 5,
}
DEFAULT_MQL, DEFAULT_SALES_READY = 15, 35
#: The most points one activity can be worth, and the highest threshold: larger values are typing errors.
MAX_POINTS, MAX_THRESHOLD = 1000, 10_000


class Contact(db.Model):
    """A person who ticked the consent box: one per response that left details.

    The first contact with an e-mail address (or, without one, a phone number) in the workspace holds it. Whoever
    enters that address again from a survey gets a contact of their own marked `same_address_as` the first: it is
    not confirmed that they own the address, so they may neither change the first contact's data nor add to its
    score.
    """

    __tablename__ = "contact"
    __table_args__ = (
        sa.CheckConstraint(f"stage IN {STAGE_VALUES!r}", name="stage"),
        sa.CheckConstraint("email <> '' OR phone <> ''", name="reachable"),
        # a won lead has its order value, a lost one its reason, and no other lead has either
        sa.CheckConstraint("(stage = 'won') = (order_value IS NOT NULL)", name="won_with_value"),
        sa.CheckConstraint("order_value IS NULL OR order_value >= 0", name="order_value_not_negative"),
        sa.CheckConstraint("(stage = 'lost') = (lost_reason IS NOT NULL)", name="lost_with_reason"),
        sa.CheckConstraint(f"lost_reason IS NULL OR lost_reason IN {LOST_REASON_VALUES!r}", name="lost_reason"),
        sa.Index("ix_contact_workspace_stage", "workspace_id", "stage", "score"),
        sa.Index("ix_contact_workspace_email", "workspace_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    #: Where the person first left their details.
    touchpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Lower-cased, as validated.
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    #: What the person agreed to, word for word, in the language it was shown, and when (the latest consent).
    consent_text: Mapped[str] = mapped_column(sa.Text)
    consent_language: Mapped[str] = mapped_column(sa.String(8))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    score: Mapped[int] = mapped_column(default=0)
    stage: Mapped[str] = mapped_column(sa.String(20), default=Stage.NEW.value)
    stage_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Left with an address (or phone number) that another contact already held: that the respondent owns it is not
    #: confirmed, so this contact stays apart, is not counted as a new lead and sends no `lead.qualified`. It stays
    #: unconfirmed when the other contact is erased.
    unconfirmed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The contact that held the address when this one was left (None once that contact is erased).
    same_address_as: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id", ondelete="SET NULL"))
    #: The order value of a won lead, in the workspace currency (exact to the cent); None unless won.
    order_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    #: Why a lost lead was lost (LostReason) and what else was said; None / "" unless lost.
    lost_reason: Mapped[str | None] = mapped_column(sa.String(20))
    lost_note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")


class StageChange(db.Model):
    """One move of a contact from one stage to another: the funnel's times per stage are read from these rows."""

    __tablename__ = "stage_change"
    __table_args__ = (
        sa.CheckConstraint(f"to_stage IN {STAGE_VALUES!r}", name="to_stage"),
        sa.CheckConstraint(f"from_stage IN {STAGE_VALUES!r}", name="from_stage"),
        sa.CheckConstraint("from_stage <> to_stage", name="moved"),
        sa.CheckConstraint(f"changed_by IN {CHANGED_BY_VALUES!r}", name="changed_by"),
        sa.Index("ix_stage_change_contact", "contact_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id", ondelete="CASCADE"))
    from_stage: Mapped[str] = mapped_column(sa.String(20))
    to_stage: Mapped[str] = mapped_column(sa.String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: ChangedBy: the score, a member (user_id) or an API token (api_token_id).
    changed_by: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    api_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_token.id", ondelete="SET NULL"))
    #: What the move recorded: the order value of a win, the reason and note of a loss.
    order_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    lost_reason: Mapped[str | None] = mapped_column(sa.String(20))
    lost_note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")


class ScoreEvent(db.Model):
    """One activity that changed a contact's score (the score's history)."""

    __tablename__ = "score_event"
    __table_args__ = (
        # An activity counts once per response (or coupon, or acceptance): replays add nothing.
        sa.UniqueConstraint("contact_id", "activity", "source", name="uq_score_event_source"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    activity: Mapped[str] = mapped_column(sa.String(20))
    points: Mapped[int] = mapped_column()
    #: What earned it, e.g. "response:42", "coupon:7".
    source: Mapped[str] = mapped_column(sa.String(40))
    touchpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LeadSettings(db.Model):
    """A workspace's points per activity, stage thresholds and the consent wording it asks for."""

    __tablename__ = "lead_settings"

    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    #: JSON object: activity → points.
    points: Mapped[str] = mapped_column(sa.Text, default="{}")
    mql_at: Mapped[int] = mapped_column(default=DEFAULT_MQL)
    sales_ready_at: Mapped[int] = mapped_column(default=DEFAULT_SALES_READY)
    #: The consent wording in the workspace's own words: {language: text} (empty: the default wording).
    purpose: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)


class RulesVersion(db.Model):
    """One saved state of a workspace's points and thresholds: who saved it and when, and what rescoring every
    contact with it changed. The newest is the one in force; scores are recomputed from each contact's score events
    whenever a version is saved."""

    __tablename__ = "lead_rules_version"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "number", name="uq_lead_rules_version_number"),
        sa.CheckConstraint("mql_at >= 1", name="mql_positive"),
        sa.CheckConstraint("mql_at < sales_ready_at", name="thresholds_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 … per workspace.
    number: Mapped[int] = mapped_column()
    #: Activity → points, every activity (the defaults filled in).
    points: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    mql_at: Mapped[int] = mapped_column()
    sales_ready_at: Mapped[int] = mapped_column()
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The member who saved it (None: carried over from before versions were kept, or a member since deleted).
    saved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Contacts whose score the rescoring changed, and those whose stage it moved.
    rescored: Mapped[int] = mapped_column(default=0)
    restaged: Mapped[int] = mapped_column(default=0)
