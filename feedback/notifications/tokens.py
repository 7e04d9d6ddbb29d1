"""Signed unsubscribe links: a token names one member, workspace and topic, signed with the app's secret."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from feedback.notifications.links import absolute_url
from feedback.notifications.models import SWITCHABLE, Mail, Topic

UNSUBSCRIBE_SALT = "feedback.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, workspace_id: int, topic: Topic) -> str:
    """A token that names one member, workspace and topic, signed with the app's secret (it never expires: an old
    mail's link must still work)."""
    return _serializer().dumps([user_id, workspace_id, topic.value])


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    workspace_id: int
    topic: Topic


def read_unsubscribe_token(token: str) -> Unsubscribe | None:
    """What a token names, or None when it was changed or names no switchable topic."""
    try:
        user_id, workspace_id, topic = _serializer().loads(token)
        chosen = Topic(topic)
    except (BadSignature, ValueError, TypeError):
        return None
    if chosen not in SWITCHABLE or not isinstance(user_id, int) or not isinstance(workspace_id, int):
        return None
    return Unsubscribe(user_id, workspace_id, chosen)


def unsubscribe_url(mail: Mail) -> str:
    """The one-click link of a mail (empty for a test mail, which one cannot unsubscribe from)."""
    if mail.user_id is None or mail.workspace_id is None or Topic(mail.topic) not in SWITCHABLE:
        return ""
    return absolute_url("unsubscribe.page", token=unsubscribe_token(mail.user_id, mail.workspace_id, Topic(mail.topic)))
