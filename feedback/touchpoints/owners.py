"""Who is responsible for a campaign or a touchpoint, and who hears of its alerts.

An owner is an active editor or owner of the workspace: the owner receives the alerts and acts on them, so a viewer,
who only watches, owns nothing. A touchpoint without an owner falls back to its campaign's owner, a campaign without
one to all the workspace's editors and owners. A member who leaves the workspace or becomes a viewer loses their
ownerships there (`subscribe`); a disabled user keeps them, but hears of nothing until enabled again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback.auth.models import Membership, Role, User
from feedback.errors import DomainError
from feedback.events import Bus, MembershipChanged
from feedback.extensions import db
from feedback.tenancy import owned
from feedback.touchpoints.models import Campaign, Touchpoint

#: The roles that may own a campaign or a touchpoint.
OWNING_ROLES = (Role.EDITOR.value, Role.OWNER.value)


class OwnerNotAllowed(DomainError):
    """Only an active editor or owner of the same workspace can be responsible for a campaign or touchpoint."""

    status = 422
    message = _l("Only an editor or owner of this workspace can be in charge.")


def _owning(workspace_id: int, *criteria: Any) -> sa.Select[tuple[User]]:
    """SELECT the active users who are editors or owners of the workspace (and meet `criteria`)."""
    members = owned(Membership, workspace_id, Membership.role.in_(OWNING_ROLES)).with_only_columns(Membership.user_id)
    return sa.select(User).where(User.id.in_(members), User.active.is_(True), *criteria)


def possible_owners(workspace_id: int) -> list[User]:
    """The users who may own the workspace's campaigns and touchpoints, by name (their e-mail when unnamed)."""
    shown_name = sa.case((User.name == "", User.email), else_=User.name)
    return list(db.session.scalars(_owning(workspace_id).order_by(sa.func.lower(shown_name), User.email)))


def checked_owner(workspace_id: int, user_id: int | None) -> int | None:
    """`user_id` when that user may own the workspace's campaigns and touchpoints (None stays None: nobody).

    :raises OwnerNotAllowed: the user is unknown, of another workspace, a viewer or disabled.
    """
    if user_id is not None and db.session.scalar(_owning(workspace_id, User.id == user_id)) is None:
        raise OwnerNotAllowed()
    return user_id


def _first_owner(workspace_id: int, *user_ids: int | None) -> User | None:
    """The first of `user_ids` that may still own in the workspace, else None."""
    for user_id in user_ids:
        if user_id is not None and (user := db.session.scalar(_owning(workspace_id, User.id == user_id))):
            return user
    return None


def _editors_and_owners(workspace_id: int) -> list[User]:
    """The workspace's active editors and owners, by user id."""
    return list(db.session.scalars(_owning(workspace_id).order_by(User.id)))


def alert_recipients(touchpoint: Touchpoint) -> list[User]:
    """Who hears of the touchpoint's alerts: its owner, else its campaign's owner (each only while an active editor
    or owner of the workspace), else every active editor and owner of the workspace, by user id."""
    owner = _first_owner(touchpoint.workspace_id, touchpoint.owner_id, touchpoint.campaign.owner_id)
    return [owner] if owner is not None else _editors_and_owners(touchpoint.workspace_id)


def campaign_recipients(campaign: Campaign) -> list[User]:
    """Who hears of the campaign's alerts: its owner (while an active editor or owner of the workspace), else every
    active editor and owner of the workspace, by user id."""
    owner = _first_owner(campaign.workspace_id, campaign.owner_id)
    return [owner] if owner is not None else _editors_and_owners(campaign.workspace_id)


def _follow_membership(event: MembershipChanged) -> None:
    """A member who left the workspace or became a viewer owns none of its campaigns and touchpoints any more."""
    if event.role is not None and event.role in OWNING_ROLES:
        return
    for model in (Campaign, Touchpoint):
        db.session.execute(
            sa.update(model)
            .where(model.workspace_id == event.workspace_id, model.owner_id == event.user_id)
            .values(owner_id=None)
        )


def subscribe(bus: Bus) -> None:
    """A member's removal or demotion to viewer clears their ownerships in that workspace."""
    bus.subscribe(MembershipChanged, _follow_membership)
