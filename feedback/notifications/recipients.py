"""Who may be mailed in a workspace: active editors and owners (viewers get no mails, former members none)."""

from __future__ import annotations

import sqlalchemy as sa

from feedback.auth.models import Membership, Role, User
from feedback.extensions import db

EDITOR_ROLES = tuple(r.value for r in Role if r.allows(Role.EDITOR))


def reachable(user_id: int | None, workspace_id: int) -> User | None:
    """The member, when mails may go to them here: active, and an editor or owner of the workspace."""
    if user_id is None:
        return None
    return db.session.scalar(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == user_id,
            Membership.workspace_id == workspace_id,
            Membership.role.in_(EDITOR_ROLES),
            User.active.is_(True),
        )
    )


def editors(workspace_id: int) -> list[User]:
    """The workspace's active editors and owners (where an alert goes that names no touchpoint)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id, Membership.role.in_(EDITOR_ROLES), User.active.is_(True))
            .order_by(User.id)
        )
    )
