"""Team devices: the browsers of the workspace's own people, whose scans and answers are kept apart from customers'.

A browser belongs to a workspace's team while a member is logged in on it, or after a member pressed "This is our
device" on the members page: that sets a signed first-party cookie naming the workspace (no other data), which the
same button removes again. The respondent pages ask `team_workspaces()`; scans of those workspaces' codes get the
outcome `team` and responses are flagged `team`, so no number counts them and the pages list them separately.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from feedback.auth.models import Membership
from feedback.extensions import db

TEAM_COOKIE = "fb_team"
#: Browsers keep a cookie at most 400 days; the button renews it.
TEAM_COOKIE_AGE = 400 * 24 * 3600
_SALT = "feedback-team-device"
#: A browser marked for more workspaces than this keeps the newest ones (the cookie stays small).
MAX_WORKSPACES = 20


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def marked_workspaces() -> list[int]:
    """The workspaces this browser was marked for with the button (a forged or old cookie names none)."""
    raw = request.cookies.get(TEAM_COOKIE, "")
    if not raw:
        return []
    try:
        ids = _serializer().loads(raw[:2000])
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def team_workspaces() -> frozenset[int]:
    """The workspaces whose team this browser belongs to: marked with the button, or a member logged in here."""
    ids = set(marked_workspaces())
    if current_user.is_authenticated:
        ids.update(db.session.scalars(sa.select(Membership.workspace_id).where(Membership.user_id == current_user.id)))
    return frozenset(ids)


def mark(response: Response, workspace_id: int, on: bool) -> Response:
    """Add this browser to the workspace's team devices (`on`) or take it off again."""
    ids = [i for i in marked_workspaces() if i != workspace_id]
    if on:
        ids = [*ids, workspace_id][-MAX_WORKSPACES:]
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if ids:
        response.set_cookie(
            TEAM_COOKIE,
            _serializer().dumps(ids),
            max_age=TEAM_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
    else:
        response.delete_cookie(TEAM_COOKIE, httponly=True, samesite="Lax", secure=secure)
    return response
