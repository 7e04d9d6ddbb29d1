"""Confirmation steps and short undos for the dashboard's destructive actions.

An action that cannot be taken back (deleting a response, erasing a contact, revoking a token …) takes two POSTs:
the first, without `confirm=1`, answers with a page that says exactly what will happen, a "Yes, …" button that
sends the same form again with `confirm=1` and a way back; only the second acts. It needs no JavaScript.

An action that can be taken back (archiving, pausing, ending an offer) acts at once, and its message carries an
Undo button for UNDO_SECONDS. The button sends a token signed with the app's secret that names the action, the
object, the workspace and the user, and the time it was made; another workspace's or user's token, a changed one,
or one older than UNDO_SECONDS changes nothing. The page's own Restore (Resume) button keeps working at any time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, flash, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer

from feedback.errors import DomainError
from feedback.tenancy import current_workspace

#: How long the Undo button of a message works after the action.
UNDO_SECONDS = 10
#: The flash category of a message with an Undo button (base_dashboard.html renders its form).
UNDO_CATEGORY = "undo"


class UndoExpired(DomainError):
    """The undo came later than UNDO_SECONDS after the action."""

    status = 409
    message = _l(
        "Undo is no longer possible: it works for %(seconds)s seconds after the action. Nothing was changed; use the "
        "button on the page instead.",
        seconds=UNDO_SECONDS,
    )


class UndoRefused(DomainError):
    """The undo token was changed, or belongs to another action, object, workspace or user."""

    status = 400
    message = _l("This undo does not belong to this action. Nothing was changed.")


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says and sends: a question, what will happen, the yes button's words, where the
    yes button posts to (the action's own URL) and where Cancel leads (a path of this site, made by url_for)."""

    question: str
    consequence: str
    yes: str
    action: str
    back: str
    #: Hidden fields the first POST carried and the second must carry again (e.g. the page to return to).
    fields: Mapping[str, str] = field(default_factory=dict)


def confirmed() -> bool:
    """True when the form was sent from the confirmation page (`confirm=1`)."""
    return request.form.get("confirm") == "1"


def confirmation_page(confirmation: Confirmation, form: FlaskForm) -> str:
    """The page that asks before an action that cannot be undone; `form` gives the CSRF token."""
    return render_template("confirm.html", confirmation=confirmation, form=form)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="feedback.undo")


def _scope(action: str, object_id: int) -> list[object]:
    """What an undo token is bound to: the action, the object, the workspace and the user of this request."""
    return [action, object_id, current_workspace().id, current_user.id]


def undo_token(action: str, object_id: int, now: datetime) -> str:
    """A signed token that lets the current user undo `action` on the object in this workspace, made at `now`."""
    return _serializer().dumps([*_scope(action, object_id), now.timestamp()])


def check_undo(action: str, object_id: int, now: datetime) -> None:
    """Accept the request's undo token (`undo`), if it carries one; a request without one is not an undo.

    :raises UndoRefused: the token was changed or names another action, object, workspace or user.
    :raises UndoExpired: the token is older than UNDO_SECONDS.
    """
    token = request.form.get("undo")
    if token is None:
        return
    try:
        data = _serializer().loads(token[:500])
    except BadSignature:
        raise UndoRefused() from None
    if not isinstance(data, list) or len(data) != 5 or data[:4] != _scope(action, object_id):
        raise UndoRefused()
    age = now.timestamp() - float(data[4])
    if not 0 <= age <= UNDO_SECONDS:
        raise UndoExpired()


def flash_with_undo(
    message: str, action: str, object_id: int, url: str, fields: Mapping[str, str], now: datetime
) -> None:
    """Show `message` with an Undo button that posts `fields` and a fresh undo token to `url` (the action's own
    URL, which takes the reversing fields, such as restore=1)."""
    token = undo_token(action, object_id, now)
    flash({"text": message, "url": url, "fields": {**fields, "undo": token}, "seconds": UNDO_SECONDS}, UNDO_CATEGORY)
