"""Daily roll-ups: exact counts per workspace-local day, so ratings read a few rows per touchpoint and day.

A day is rolled up once it is over (two days ago or older), lazily on first read; any write that touches a
rolled-up day removes it again (see rollups.py), so the next read rebuilds it from the raw rows.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db

#: What a marketer can do to a theme of the open-text answers.
THEME_ACTIONS = ("rename", "hide", "merge")


class RolledUpDay(db.Model):
    """Marks a workspace-local day whose counts are in `daily_count` (all touchpoints of the workspace)."""

    __tablename__ = "rolled_up_day"

    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    #: The time zone the day was cut in; a workspace that changes its zone gets its days rebuilt.
    timezone: Mapped[str] = mapped_column(sa.String(64))


class RolledUpMonth(db.Model):
    """Marks a month whose daily counts are also summed up in `monthly_count` (read for whole months)."""

    __tablename__ = "rolled_up_month"

    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    #: The first day of the month.
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))


class _Counts:
    """The columns of a count row."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="CASCADE"))
    #: The local day (daily counts) or the first day of the month (monthly counts).
    day: Mapped[date] = mapped_column(sa.Date)
    #: touchpoint | code | device | language | item (loyalty items by question key)
    dimension: Mapped[str] = mapped_column(sa.String(10))
    #: The group within the dimension ("" for touchpoint); code ids are written as text.
    key: Mapped[str] = mapped_column(sa.String(40))
    #: scans | visitors | starts | completions | an answer type (nps, csat, ces, rating)
    measure: Mapped[str] = mapped_column(sa.String(12))
    #: The answer value for answer measures, 0 otherwise.
    value: Mapped[int] = mapped_column(default=0)
    n: Mapped[int] = mapped_column(sa.BigInteger)


class DailyCount(_Counts, db.Model):
    """One count of one day: e.g. (touchpoint 7, 2026-03-10, "code", "12", "nps", 9) → 31 answers."""

    __tablename__ = "daily_count"
    __table_args__ = (
        sa.Index("ix_daily_count_read", "workspace_id", "dimension", "day"),
        sa.Index("ix_daily_count_day", "workspace_id", "day"),
    )


class MonthlyCount(_Counts, db.Model):
    """The daily counts of a whole month summed, so long periods read a month in one row."""

    __tablename__ = "monthly_count"
    __table_args__ = (
        sa.Index("ix_monthly_count_read", "workspace_id", "dimension", "day"),
        sa.Index("ix_monthly_count_day", "workspace_id", "day"),
    )


class RetainedCount(_Counts, db.Model):
    """Scan counts (scans, visitors) of raw scans the retention job deleted, by the workspace-local day they fell
    on in the time zone of that moment; counted with the raw scans left, so every total stays exact."""

    __tablename__ = "retained_count"
    __table_args__ = (sa.Index("ix_retained_count_day", "workspace_id", "day"),)


class ThemeEdit(db.Model):
    """A marketer's edit of one theme of a campaign's open-text answers (one per theme key): a new name, hidden,
    or merged into another theme. Undoing deletes the row."""

    __tablename__ = "theme_edit"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "key"),
        sa.CheckConstraint(f"action IN {THEME_ACTIONS!r}", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id", ondelete="CASCADE"))
    #: The theme's key as themes.py makes it (a lemma or a two-word phrase, lower case).
    key: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(10))
    #: The new name (rename) or the key of the theme it is merged into (merge); empty for hide.
    value: Mapped[str] = mapped_column(sa.String(120), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class SavedSegment(db.Model):
    """A named segment of a workspace (analysis/segments.py): its conditions as query parameters, so that every
    analysis page, download and API read can be narrowed by `segment=<id>`."""

    __tablename__ = "segment"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    #: {"answer": ["contact:yes"], "device": "mobile", …}: the parameters `segments.parse_conditions` reads.
    conditions: Mapped[dict[str, object]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
