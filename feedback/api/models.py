"""API tokens: one per integration, scoped to one workspace, stored only as a hash."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.auth.models import User
from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db


class Scope(enum.StrEnum):
    """What a token may do: read everything of its workspace, or also change it."""

    READ = "read"
    WRITE = "write"


class ApiToken(db.Model):
    """A bearer token of a workspace; the plain token is shown once and never stored."""

    __tablename__ = "api_token"
    __table_args__ = (sa.CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    #: What the token is for, e.g. "CRM sync".
    name: Mapped[str] = mapped_column(sa.String(80))
    #: The first characters of the token, to recognise it in lists ("fbk_3Qx9…").
    prefix: Mapped[str] = mapped_column(sa.String(16))
    #: SHA-256 of the token (hex); tokens carry 256 random bits, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(5), default=Scope.READ.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Who created it (None: made on the command line, or the user was deleted).
    created_by: Mapped[User | None] = relationship(lazy="joined")
    #: Updated at most once a minute, so reads stay reads.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: After this moment the token no longer works; None: until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def is_active(self, now: datetime) -> bool:
        """Revoked and expired tokens are kept for the record but no longer work."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def allows(self, needed: Scope) -> bool:
        """Write tokens may also read."""
        return self.scope == Scope.WRITE.value or needed is Scope.READ
