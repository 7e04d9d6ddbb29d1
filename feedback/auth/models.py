"""Users, workspaces (tenants), memberships with roles, and invitations to a workspace."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.texts import language_list


class Role(enum.StrEnum):
    """What a member may do in a workspace; later members include the rights of earlier ones."""

    VIEWER = "viewer"
    EDITOR = "editor"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """Order roles so that owner > editor > viewer."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """True when this role includes the rights of `needed`."""
        return self.rank >= needed.rank


ROLE_VALUES = tuple(r.value for r in Role)
LOCALES = ("en", "de")


class User(UserMixin, db.Model):
    """A person who logs in to the dashboard."""

    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint(f"locale IN {LOCALES!r}", name="locale"),
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased; the login name.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: Dashboard language chosen by the user.
    locale: Mapped[str] = mapped_column(sa.String(5), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    #: Bumped on "log out everywhere", password change and disabling, which ends all existing sessions.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Disabled users cannot log in and lose their sessions."""
        return self.active

    def get_id(self) -> str:
        """Session identifier that stops matching when session_version changes."""
        return f"{self.id}:{self.session_version}"


class Workspace(db.Model):
    """One company or brand; nothing of one workspace is visible to another."""

    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Used in dashboard URLs (/w/<slug>/…) and on the command line.
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Days, weeks and cohorts are bucketed in this zone.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    #: The languages its surveys, landing pages and offers are written in, the first being the main one
    #: ("de,en"; feedback/texts.py).
    languages: Mapped[str] = mapped_column(sa.String(40), default="de,en", server_default="de,en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="workspace", cascade="all, delete-orphan")

    @property
    def language_list(self) -> tuple[str, ...]:
        """Its languages in order, the main one first."""
        return language_list(self.languages or "")


class Membership(db.Model):
    """A user's role in one workspace."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "workspace_id"),
        sa.CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    workspace: Mapped[Workspace] = relationship(back_populates="memberships")

    @property
    def role_enum(self) -> Role:
        """The role as an enum member."""
        return Role(self.role)


class WorkspaceInvitation(db.Model):
    """An invitation for a colleague to join a workspace; the link carries a token whose hash is stored."""

    __tablename__ = "workspace_invitation"
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(10))
    #: SHA-256 of the token in the link; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    workspace: Mapped[Workspace] = relationship()

    def is_open(self, now: datetime) -> bool:
        """An invitation can be accepted while it is neither used, revoked nor expired."""
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at
