"""Workspace scoping: the one place that adds the tenant filter to dashboard queries."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, g
from flask_login import current_user, login_required

from feedback.auth.models import Membership, Role, Workspace
from feedback.errors import Forbidden, NotFound
from feedback.extensions import db

M = TypeVar("M")


def owned(model: type[M], workspace_id: int, *criteria: Any) -> sa.Select[tuple[M]]:
    """SELECT model rows of one workspace; every workspace-owned query starts here."""
    return sa.select(model).where(model.workspace_id == workspace_id, *criteria)  # type: ignore[attr-defined]


def get_owned(model: type[M], workspace_id: int, object_id: int) -> M:
    """Load one object of the workspace or raise NotFound (also for other workspaces' ids)."""
    obj = db.session.scalar(owned(model, workspace_id, model.id == object_id))  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound()
    return obj


def current_workspace() -> Workspace:
    """The workspace of the current dashboard request."""
    return g.workspace


def current_role() -> Role:
    """The current user's role in the current workspace."""
    return g.membership.role_enum


def require_role(needed: Role) -> None:
    """Raise Forbidden unless the current member's role includes `needed`."""
    if not current_role().allows(needed):
        raise Forbidden()


def membership_for(user_id: int, slug: str) -> Membership | None:
    """The user's membership in the workspace with this slug, if any."""
    return db.session.scalar(
        sa.select(Membership).join(Workspace).where(Membership.user_id == user_id, Workspace.slug == slug)
    )


def scope_blueprint(bp: Blueprint) -> None:
    """Make every route of `bp` live under /w/<ws>/, require login, and load the member's workspace."""

    @bp.url_value_preprocessor
    def _pull_workspace(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.workspace_slug = (values or {}).pop("ws", None)

    @bp.url_defaults
    def _add_workspace(_endpoint: str, values: dict[str, Any]) -> None:
        if "ws" not in values and getattr(g, "workspace", None) is not None:
            values["ws"] = g.workspace.slug

    @bp.before_request
    @login_required
    def _load_workspace() -> None:
        membership = membership_for(current_user.id, g.workspace_slug or "")
        if membership is None:
            raise NotFound()
        g.membership = membership
        g.workspace = membership.workspace
