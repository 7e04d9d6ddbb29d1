"""Use cases for accounts, workspaces and memberships."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from slugify import slugify
from werkzeug.security import check_password_hash, generate_password_hash

from feedback import events
from feedback.auth.models import LOCALES, Membership, Role, User, Workspace, WorkspaceInvitation
from feedback.db_types import utcnow
from feedback.errors import DomainError, NotFound
from feedback.events import MembershipChanged
from feedback.extensions import db

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


class InvalidCredentials(DomainError):
    """Unknown e-mail, wrong password or disabled account: one message, so accounts cannot be probed."""

    status = 401
    message = _l("E-mail or password is wrong.")


class EmailTaken(DomainError):
    """Another account already uses the e-mail address."""

    status = 409
    message = _l("An account with this e-mail address already exists.")


class WeakPassword(DomainError):
    """The password does not meet the minimum requirements."""

    message = _l("The password must have at least 10 characters.")


class InvitationInvalid(DomainError):
    """The invitation link is unknown, used, revoked or expired."""

    status = 404
    message = _l("This invitation link is not valid any more. Ask for a new one.")


class InvitationForOtherEmail(DomainError):
    """A logged-in user tried to accept an invitation addressed to another e-mail."""

    status = 403
    message = _l("This invitation was sent to another e-mail address. Log out and open the link again.")


class AlreadyMember(DomainError):
    """The invited person already belongs to the workspace."""

    status = 409
    message = _l("This person is already a member of the workspace.")


class LastOwner(DomainError):
    """A workspace must keep at least one owner."""

    status = 409
    message = _l("A workspace needs at least one owner. Make someone else owner first.")


def normalise_email(email: str) -> str:
    """Trim and lower-case an e-mail address for storage and lookup."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Hash a password (scrypt via Werkzeug) after checking the minimum requirements."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH or not password.strip():
        raise WeakPassword()
    return generate_password_hash(password)


@cache
def _dummy_hash() -> str:
    """A hash checked when the e-mail is unknown, so both login failures take the same time."""
    return generate_password_hash(secrets.token_urlsafe(16))


def user_by_email(email: str) -> User | None:
    """Find a user by e-mail address, case-insensitively."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User:
    """Return the active user with these credentials or raise InvalidCredentials.

    :param email: as typed; case and surrounding spaces do not matter.
    :param password: as typed.
    """
    user = user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        raise InvalidCredentials()
    if not check_password_hash(user.password_hash, password) or not user.active:
        raise InvalidCredentials()
    return user


def create_user(email: str, password: str, name: str = "", locale: str = "en") -> User:
    """Create an account; the caller commits.

    :raises EmailTaken: when the address is in use.
    :raises WeakPassword: when the password is too short.
    """
    if user_by_email(email) is not None:
        raise EmailTaken()
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        locale=locale if locale in LOCALES else "en",
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change a password and end every other session of the user; the caller commits."""
    user.password_hash = hash_password(password)
    user.session_version += 1


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie of the user (logout everywhere)."""
    user.session_version += 1


def unique_workspace_slug(name: str) -> str:
    """A free workspace slug derived from a name."""
    base = slugify(name, max_length=50) or "workspace"
    slug, n = base, 1
    while db.session.scalar(sa.select(Workspace.id).where(Workspace.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_workspace(name: str, owner: User, timezone: str = "Europe/Berlin") -> Workspace:
    """Create a workspace with `owner` as its first owner; the caller commits."""
    workspace = Workspace(name=name.strip(), slug=unique_workspace_slug(name), timezone=timezone)
    db.session.add(workspace)
    db.session.add(Membership(user=owner, workspace=workspace, role=Role.OWNER.value))
    db.session.flush()
    return workspace


def workspaces_of(user: User) -> list[Membership]:
    """The user's memberships, ordered by workspace name."""
    return list(
        db.session.scalars(
            sa.select(Membership).join(Workspace).where(Membership.user_id == user.id).order_by(Workspace.name)
        )
    )


def _token_hash(token: str) -> str:
    """Hash an invitation token for storage and lookup."""
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(
    workspace: Workspace, email: str, role: Role, invited_by: User, now: datetime, valid_days: int
) -> tuple[WorkspaceInvitation, str]:
    """Create an invitation and return it with the one-time token for the link; the caller commits.

    :raises AlreadyMember: when the address belongs to a member already.
    """
    address = normalise_email(email)
    existing = db.session.scalar(
        sa.select(Membership).join(User).where(Membership.workspace_id == workspace.id, User.email == address)
    )
    if existing is not None:
        raise AlreadyMember()
    token = secrets.token_urlsafe(32)
    invitation = WorkspaceInvitation(
        workspace=workspace,
        email=address,
        role=role.value,
        token_hash=_token_hash(token),
        invited_by_id=invited_by.id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def open_invitation(token: str, now: datetime) -> WorkspaceInvitation:
    """The invitation behind a link token, if it can still be accepted.

    :raises InvitationInvalid: unknown, used, revoked or expired.
    """
    invitation = db.session.scalar(
        sa.select(WorkspaceInvitation).where(WorkspaceInvitation.token_hash == _token_hash(token))
    )
    if invitation is None or not invitation.is_open(now):
        raise InvitationInvalid()
    return invitation


def accept_invitation(invitation: WorkspaceInvitation, user: User, now: datetime) -> Membership:
    """Make `user` a member with the invited role; the caller commits.

    :raises InvitationForOtherEmail: the user's address is not the invited one.
    """
    if user.email != invitation.email:
        raise InvitationForOtherEmail()
    invitation.accepted_at = now
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.workspace_id == invitation.workspace_id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(user=user, workspace_id=invitation.workspace_id, role=invitation.role)
        db.session.add(membership)
    db.session.flush()
    return membership


def get_invitation(workspace: Workspace, invitation_id: int) -> WorkspaceInvitation:
    """One invitation of the workspace or NotFound."""
    invitation = db.session.scalar(
        sa.select(WorkspaceInvitation).where(
            WorkspaceInvitation.workspace_id == workspace.id, WorkspaceInvitation.id == invitation_id
        )
    )
    if invitation is None:
        raise NotFound()
    return invitation


def revoke_invitation(workspace: Workspace, invitation_id: int, now: datetime) -> None:
    """Revoke an open invitation of the workspace; the caller commits."""
    get_invitation(workspace, invitation_id).revoked_at = now


def pending_invitations(workspace: Workspace, now: datetime) -> list[WorkspaceInvitation]:
    """Invitations of the workspace that can still be accepted."""
    rows = db.session.scalars(
        sa.select(WorkspaceInvitation)
        .where(
            WorkspaceInvitation.workspace_id == workspace.id,
            WorkspaceInvitation.accepted_at.is_(None),
            WorkspaceInvitation.revoked_at.is_(None),
        )
        .order_by(WorkspaceInvitation.created_at.desc())
    )
    return [inv for inv in rows if inv.is_open(now)]


def members(workspace: Workspace) -> list[Membership]:
    """Memberships of the workspace ordered by e-mail."""
    return list(
        db.session.scalars(
            sa.select(Membership).join(User).where(Membership.workspace_id == workspace.id).order_by(User.email)
        )
    )


def get_member(workspace: Workspace, membership_id: int) -> Membership:
    """One membership of the workspace or NotFound (read only: no lock)."""
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.workspace_id == workspace.id, Membership.id == membership_id)
    )
    if membership is None:
        raise NotFound()
    return membership


def _member(workspace: Workspace, membership_id: int) -> Membership:
    """One membership of the workspace or NotFound, with the workspace locked until the caller commits
    (PostgreSQL: FOR UPDATE on the workspace row), so that two owners removing or demoting each other at the same
    moment cannot both see a second owner and leave the workspace without one. SQLite runs writes one at a time."""
    db.session.execute(sa.select(Workspace.id).where(Workspace.id == workspace.id).with_for_update())
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.workspace_id == workspace.id, Membership.id == membership_id)
    )
    if membership is None:
        raise NotFound()
    return membership


def _owner_count(workspace: Workspace) -> int:
    """How many owners the workspace has."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.workspace_id == workspace.id, Membership.role == Role.OWNER.value)
        )
        or 0
    )


def change_role(workspace: Workspace, membership_id: int, role: Role) -> Membership:
    """Give a member another role; the caller commits.

    :raises LastOwner: when the last owner would lose the owner role.
    """
    membership = _member(workspace, membership_id)
    if membership.role == Role.OWNER.value and role is not Role.OWNER and _owner_count(workspace) <= 1:
        raise LastOwner()
    membership.role = role.value
    events.publish(MembershipChanged(workspace.id, membership.user_id, role.value, utcnow()))
    return membership


def remove_member(workspace: Workspace, membership_id: int) -> None:
    """Remove a member from the workspace; the caller commits.

    :raises LastOwner: when the last owner would be removed.
    """
    membership = _member(workspace, membership_id)
    if membership.role == Role.OWNER.value and _owner_count(workspace) <= 1:
        raise LastOwner()
    user = membership.user
    db.session.delete(membership)
    end_all_sessions(user)  # whatever the removed member had open ends now, here and in every other workspace
    events.publish(MembershipChanged(workspace.id, user.id, None, utcnow()))
