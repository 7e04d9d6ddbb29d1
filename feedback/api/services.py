"""Use cases of API tokens: create (shown once), list, revoke, and authenticate a request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback.api.models import ApiToken, Scope
from feedback.auth.models import Membership, Role
from feedback.errors import DomainError
from feedback.events import Bus, MembershipChanged
from feedback.extensions import db
from feedback.qr.services import write_in_own_transaction
from feedback.tenancy import get_owned, owned

TOKEN_PREFIX = "fbk_"
#: last_used_at is written at most this often per token.
USE_RESOLUTION = timedelta(minutes=1)


class InvalidTokenName(DomainError):
    """A token needs a name of 1–80 characters."""

    message = _l("Give the token a name of up to 80 characters, e.g. “CRM sync”.")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    workspace_id: int, name: str, scope: Scope, user_id: int | None, now: datetime, valid_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token; returns the row and the plain token, which is never shown again. The caller commits.

    :param valid_days: the token stops working after this many days; None: until revoked.

    :raises InvalidTokenName: the name is empty or too long.
    """
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise InvalidTokenName()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        workspace_id=workspace_id,
        name=name,
        prefix=plain[:10],
        token_hash=_hash(plain),
        scope=scope.value,
        created_by_id=user_id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days) if valid_days else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def list_tokens(workspace_id: int) -> list[ApiToken]:
    """The workspace's tokens, active first, newest first."""
    return list(
        db.session.scalars(
            owned(ApiToken, workspace_id).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def get_token(workspace_id: int, token_id: int) -> ApiToken:
    """One API token of the workspace or NotFound."""
    return get_owned(ApiToken, workspace_id, token_id)


def revoke_token(workspace_id: int, token_id: int, now: datetime) -> ApiToken:
    """Revoke a token at once; the caller commits."""
    token = get_owned(ApiToken, workspace_id, token_id)
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def authenticate(header: str | None, now: datetime, writing: bool = False) -> ApiToken | None:
    """The active token of an `Authorization: Bearer …` header, or None; notes its use (at most once a minute).

    :param writing: the request already holds the write lock (unsafe methods): note the use in its transaction.
    """
    if not header:
        return None
    kind, _, plain = header.strip().partition(" ")
    plain = plain.strip()
    if kind.lower() != "bearer" or not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    digest = _hash(plain)  # looked up by its SHA-256: the plain token is never stored or compared
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest) or not token.is_active(now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        if writing:
            token.last_used_at = now
        else:  # its own short write, so a GET stays a read for the request's session
            write_in_own_transaction(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token


def _follow_membership(event: MembershipChanged) -> None:
    """A member's tokens lose what the member lost: revoked when they leave the workspace, read-only when they
    become a viewer."""
    mine = sa.and_(
        ApiToken.workspace_id == event.workspace_id,
        ApiToken.created_by_id == event.user_id,
        ApiToken.revoked_at.is_(None),
    )
    if event.role is None:
        db.session.execute(sa.update(ApiToken).where(mine).values(revoked_at=event.at))
    elif event.role == Role.VIEWER.value:
        writing = sa.and_(mine, ApiToken.scope != Scope.READ.value)
        db.session.execute(sa.update(ApiToken).where(writing).values(scope=Scope.READ.value))


def subscribe(bus: Bus) -> None:
    """A member's removal or a lower role reaches the tokens they created."""
    bus.subscribe(MembershipChanged, _follow_membership)


def creator_role(token: ApiToken) -> Role:
    """What the token may see: at most what its creator may see in the workspace now. A token made by a member who
    is now a viewer, or who left the workspace, sees what a viewer sees; one made on the command line (no creator)
    is the operator's and sees everything."""
    if token.created_by_id is None:
        return Role.OWNER
    role = db.session.scalar(
        sa.select(Membership.role).where(
            Membership.user_id == token.created_by_id, Membership.workspace_id == token.workspace_id
        )
    )
    return Role(role) if role is not None else Role.VIEWER
