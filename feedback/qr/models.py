"""Printed codes, their scans, hits of unknown codes, and the daily salt behind visitor keys."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.touchpoints.models import Touchpoint

#: 64-bit ids on PostgreSQL; SQLite needs INTEGER for its rowid alias (it is 64-bit there anyway).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class CodeState(enum.StrEnum):
    """What a scan of the code leads to."""

    ACTIVE = "active"
    PAUSED = "paused"
    EXPIRED = "expired"


class ScanOutcome(enum.StrEnum):
    """What the visitor got: `ok` and `team` scans reach the landing page, only `ok` scans count (`team`: a device
    of the workspace's own team, shown separately)."""

    OK = "ok"
    PAUSED = "paused"
    EXPIRED = "expired"
    TEAM = "team"


OUTCOME_VALUES = tuple(o.value for o in ScanOutcome)


class Arrival(enum.StrEnum):
    """How the visitor got to the code: the printed symbol encodes `/T/<CODE>` (upper case), the printed text reads
    `/t/<code>`, the form at `/t` takes a typed code; invite links and personalised mailing codes are their own."""

    SYMBOL = "symbol"
    TYPED_URL = "typed_url"
    TYPED_CODE = "typed_code"
    INVITE = "invite"
    PERSONAL_MAILING = "personal_mailing"
    #: A kiosk screen loading a fresh survey for the next person (its thank-you page's reset): nobody scanned.
    KIOSK = "kiosk"


ARRIVAL_VALUES = tuple(a.value for a in Arrival)
#: The arrivals of people holding a shared print: the ones the scan share is about.
PRINT_ARRIVALS = (Arrival.SYMBOL, Arrival.TYPED_URL, Arrival.TYPED_CODE)
DEVICE_CLASSES = ("mobile", "tablet", "desktop", "bot", "other")


REFERENCE_LENGTH = 120


class CodeBatch(db.Model):
    """Personalised codes created together for one mailing: one code per recipient reference."""

    __tablename__ = "code_batch"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["touchpoint_id", "workspace_id"],
            ["touchpoint.id", "touchpoint.workspace_id"],
            name="fk_code_batch_touchpoint_workspace",
            ondelete="CASCADE",
        ),
        # Lets codes reference (batch, workspace) so both always belong to the same tenant.
        sa.UniqueConstraint("id", "workspace_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    touchpoint_id: Mapped[int] = mapped_column(index=True)
    #: What the mailing is called, e.g. "Customer mailing March".
    name: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    touchpoint: Mapped[Touchpoint] = relationship(overlaps="workspace")


class Code(db.Model):
    """A printed token that resolves to exactly one touchpoint, forever (codes are never reused or deleted)."""

    __tablename__ = "code"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["touchpoint_id", "workspace_id"],
            ["touchpoint.id", "touchpoint.workspace_id"],
            name="fk_code_touchpoint_workspace",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id", "workspace_id"],
            ["code_batch.id", "code_batch.workspace_id"],
            name="fk_code_batch_workspace",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("length(code) >= 8", name="code_length"),
        # A recipient's reference identifies one code of the touchpoint (NULLs, i.e. shared codes, never clash).
        sa.UniqueConstraint("touchpoint_id", "reference", name="uq_code_touchpoint_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    touchpoint_id: Mapped[int] = mapped_column(index=True)
    #: Crockford base32, upper case, unique across all workspaces.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    #: Placement or variant, e.g. "Hall B, counter" or "Variant A".
    label: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Personalised codes (one per mailing recipient) belong to the batch they were created in ...
    batch_id: Mapped[int | None] = mapped_column(index=True)
    #: ... and carry the recipient's external reference (CRM id, customer number); None for shared codes.
    reference: Mapped[str | None] = mapped_column(sa.String(REFERENCE_LENGTH))

    touchpoint: Mapped[Touchpoint] = relationship(overlaps="workspace")

    @property
    def is_personal(self) -> bool:
        """Answers through a personal code can be tied back to one recipient: they are not anonymous."""
        return self.reference is not None

    def state(self, now: datetime) -> CodeState:
        """Expired wins over paused; both still answer politely."""
        if self.expires_at is not None and self.expires_at <= now:
            return CodeState.EXPIRED
        if self.paused_at is not None:
            return CodeState.PAUSED
        return CodeState.ACTIVE


class Scan(db.Model):
    """One resolution of a code. No IP address is stored: the visitor key is a keyed hash or a cookie id's hash."""

    __tablename__ = "scan"
    __table_args__ = (
        sa.Index("ix_scan_touchpoint_time", "touchpoint_id", "scanned_at"),
        sa.Index("ix_scan_code_time", "code_id", "scanned_at"),
        sa.Index("ix_scan_workspace_time", "workspace_id", "scanned_at"),
        # Partial indexes: few scans come through invites or carry our cookie, and only those are looked up.
        sa.Index(
            "ix_scan_invite_open",
            "invite_id",
            sqlite_where=sa.text("invite_id IS NOT NULL"),
            postgresql_where=sa.text("invite_id IS NOT NULL"),
        ),
        sa.Index(
            "ix_scan_cookie_visitor",
            "workspace_id",
            "visitor_key",
            "scanned_at",
            sqlite_where=sa.text("visitor_from_cookie = 1"),
            postgresql_where=sa.text("visitor_from_cookie"),
        ),
        sa.CheckConstraint(f"outcome IN {OUTCOME_VALUES!r}", name="outcome"),
        sa.CheckConstraint(f"device_class IN {DEVICE_CLASSES!r}", name="device_class"),
        sa.CheckConstraint(f"arrival IS NULL OR arrival IN {ARRIVAL_VALUES!r}", name="arrival"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="CASCADE"))
    #: The printed code; empty for invite opens of a touchpoint that has no code.
    code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("code.id", ondelete="CASCADE"))
    #: Set when the visit came through a personal invite link (/i/<code>).
    invite_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invite.id", ondelete="SET NULL", use_alter=True))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: 32 hex characters; equal for the same visitor on the same day (or for the same first-party cookie).
    visitor_key: Mapped[str] = mapped_column(sa.String(32))
    #: True when the key comes from a first-party cookie (stable across days) rather than the daily hash.
    visitor_from_cookie: Mapped[bool] = mapped_column(default=False)
    device_class: Mapped[str] = mapped_column(sa.String(10))
    os: Mapped[str] = mapped_column(sa.String(40), default="")
    browser: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Preferred language from Accept-Language, e.g. "de".
    language: Mapped[str] = mapped_column(sa.String(8), default="")
    #: Link-preview fetchers, crawlers and HEAD requests: served, but excluded from counts.
    is_bot: Mapped[bool] = mapped_column(default=False)
    #: How the visitor arrived (Arrival); None for scans recorded before arrivals were.
    arrival: Mapped[str | None] = mapped_column(sa.String(16))
    outcome: Mapped[str] = mapped_column(sa.String(8), default=ScanOutcome.OK.value)
    #: When the retention job moved this scan's counts into `retained_count`; the row itself is kept only because
    #: a response or an invite open refers to it, and is not counted again.
    retained_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LandingActionKind(enum.StrEnum):
    """What a visitor did on a touchpoint's landing page: call, add the event to the calendar, follow, or the main
    call to action."""

    CALL = "call"
    CALENDAR = "calendar"
    FOLLOW = "follow"
    CTA = "cta"


LANDING_ACTION_VALUES = tuple(a.value for a in LandingActionKind)


class LandingAction(db.Model):
    """One click on a landing page's call, calendar, follow or main button, recorded by the redirect it goes through.
    Like a scan, it stores no address and no User-Agent: the visitor key and the device class of the visit."""

    __tablename__ = "landing_action"
    __table_args__ = (
        sa.Index("ix_landing_action_touchpoint_time", "touchpoint_id", "clicked_at"),
        sa.CheckConstraint(f"action IN {LANDING_ACTION_VALUES!r}", name="action"),
        sa.CheckConstraint(f"device_class IN {DEVICE_CLASSES!r}", name="device_class"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("code.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(10))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The visit's key, as a scan records it (a keyed hash; never the address or the User-Agent).
    visitor_key: Mapped[str] = mapped_column(sa.String(32))
    device_class: Mapped[str] = mapped_column(sa.String(10))
    #: Bots (maintained list and supplement, HEAD requests, no Accept headers): recorded, never counted.
    is_bot: Mapped[bool] = mapped_column(default=False)
    #: A device of the workspace's own team (feedback.auth.devices): recorded, never counted.
    team: Mapped[bool] = mapped_column(default=False)


class UnknownCodeHit(db.Model):
    """Attempts to open a code that does not exist, by typed text, so misprints can be found."""

    __tablename__ = "unknown_code_hit"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What was requested, with control characters removed, at most 40 characters.
    text: Mapped[str] = mapped_column(sa.String(40), unique=True)
    hits: Mapped[int] = mapped_column(default=1)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class DailySalt(db.Model):
    """The secret that keys visitor hashes for one UTC day; deleted once the day is over."""

    __tablename__ = "daily_salt"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    salt: Mapped[str] = mapped_column(sa.String(64))
