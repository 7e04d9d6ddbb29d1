"""Who is told what: each member's alert switches, alerts written in the transaction of their event, the bundling of
due alerts into one mail per member and topic, signed unsubscribe links, erasure, and the mail log.

An alert goes to the members `touchpoints.services.alert_recipients` names (the touchpoint's owner, else the
campaign's owner, else the workspace's editors) who have not switched its topic off and can still be reached: active,
and an editor or owner of the workspace when the mail is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from feedback.auth.models import User, Workspace
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.notifications import compose, outbox
from feedback.notifications.models import SWITCHABLE, Alert, AlertSetting, Mail, MailStatus, Topic
from feedback.notifications.recipients import reachable
from feedback.notifications.tokens import Unsubscribe, read_unsubscribe_token

#: Mails shown per page of the log.
LOG_PAGE = 50


# --- switches --------------------------------------------------------------------------------------------------


def switches(user_id: int, workspace_id: int) -> dict[Topic, bool]:
    """Which topics the member gets in this workspace (on unless switched off)."""
    rows = db.session.execute(
        sa.select(AlertSetting.topic, AlertSetting.enabled).where(
            AlertSetting.user_id == user_id, AlertSetting.workspace_id == workspace_id
        )
    ).all()
    chosen = {topic: enabled for topic, enabled in rows}
    return {topic: chosen.get(topic.value, True) for topic in SWITCHABLE}


def wants(user_id: int, workspace_id: int, topic: Topic) -> bool:
    """Whether the member gets this topic here."""
    return topic not in SWITCHABLE or switches(user_id, workspace_id)[topic]


def switch(user_id: int, workspace_id: int, topic: Topic, enabled: bool, now: datetime) -> None:
    """Turn a topic on or off for a member (the caller commits)."""
    setting = db.session.scalar(
        sa.select(AlertSetting).where(
            AlertSetting.user_id == user_id,
            AlertSetting.workspace_id == workspace_id,
            AlertSetting.topic == topic.value,
        )
    )
    if setting is None:
        db.session.add(
            AlertSetting(user_id=user_id, workspace_id=workspace_id, topic=topic.value, enabled=enabled, changed_at=now)
        )
    elif setting.enabled != enabled:
        setting.enabled, setting.changed_at = enabled, now


def workspace_named(chosen: Unsubscribe) -> Workspace | None:
    """The workspace an unsubscribe token names, while it and its member exist."""
    if db.session.get(User, chosen.user_id) is None:
        return None
    return db.session.get(Workspace, chosen.workspace_id)


def unsubscribe(token: str, now: datetime) -> tuple[Unsubscribe, Workspace] | None:
    """Switch off what the token names (the caller commits); None for a bad token or a workspace since deleted."""
    chosen = read_unsubscribe_token(token)
    workspace = db.session.get(Workspace, chosen.workspace_id) if chosen else None
    if chosen is None or workspace is None or db.session.get(User, chosen.user_id) is None:
        return None
    switch(chosen.user_id, chosen.workspace_id, chosen.topic, False, now)
    return chosen, workspace


# --- alerts ----------------------------------------------------------------------------------------------------


def queue_alert(
    user: User,
    workspace_id: int,
    topic: Topic,
    data: dict[str, Any],
    now: datetime,
    *,
    about: str = "",
    response_id: int | None = None,
    contact_id: int | None = None,
    dedupe_key: str | None = None,
) -> Alert | None:
    """Write an alert for a member in the caller's transaction (None when they switched the topic off). It is due
    at once, or, when the member's last alert of the topic went out less than a minute ago, a minute after that one,
    so that many alerts in a minute make one mail."""
    if not wants(user.id, workspace_id, topic):
        return None
    last = db.session.execute(
        sa.select(Alert.due_at, Alert.mail_id)
        .where(Alert.user_id == user.id, Alert.workspace_id == workspace_id, Alert.topic == topic.value)
        .order_by(Alert.due_at.desc(), Alert.id.desc())
        .limit(1)
    ).first()
    # Two processes may read the last alert while a dispatcher bundles it: the new one is then due at once and goes
    # in a mail of its own, a minute early. Nothing is lost or sent twice; grouping is a courtesy, not a promise.
    due = now
    group = timedelta(seconds=outbox.GROUP_SECONDS)
    if last is not None and last.due_at + group > now:
        # join an alert still waiting; else wait a minute after the last mail
        due = max(now, last.due_at if last.mail_id is None else last.due_at + group)
    alert = Alert(
        workspace_id=workspace_id,
        user_id=user.id,
        topic=topic.value,
        about=about,
        data=data,
        created_at=now,
        due_at=due,
        response_id=response_id,
        contact_id=contact_id,
        dedupe_key=dedupe_key,
    )
    db.session.add(alert)
    db.session.info[outbox.WAKE] = True
    return alert


def alerted_since(workspace_id: int, topic: Topic, about: str, since: datetime) -> bool:
    """Whether an alert of this topic about this thing was written after `since` (the daily checks alert once)."""
    return (
        db.session.scalar(
            sa.select(Alert.id)
            .where(
                Alert.workspace_id == workspace_id,
                Alert.topic == topic.value,
                Alert.about == about,
                Alert.created_at > since,
            )
            .limit(1)
        )
        is not None
    )


def bundle(user_id: int, workspace_id: int, topic: str, alerts: list[Alert], now: datetime) -> Mail | None:
    """The mail that carries a member's due alerts of one topic, rendered in their language (outbox.Bundler); None
    when the member can no longer be mailed here or switched the topic off meanwhile."""
    user = reachable(user_id, workspace_id)
    workspace = db.session.get(Workspace, workspace_id)
    if user is None or workspace is None or not wants(user_id, workspace_id, Topic(topic)):
        return None
    items = [a.data for a in alerts if not a.data.get("erased")]
    if not items:  # everything it would have said was erased meanwhile
        return None
    rendered = compose.alerts(Topic(topic), items, user, workspace)
    return outbox.queue_mail(
        to=user.email,
        topic=topic,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        locale=user.locale,
        now=now,
        workspace_id=workspace_id,
        user_id=user_id,
    )


# --- erasure ---------------------------------------------------------------------------------------------------


def erase(workspace_id: int, *, response_id: int | None = None, contact_id: int | None = None) -> None:
    """Erase the alerts that carry a response's answers or a contact's details (the caller commits): those not yet
    in a mail are deleted; a mail not yet sent that carries one is cancelled and its other alerts go into a new
    mail; the bodies of sent mails that carried one are emptied."""
    column = Alert.response_id if response_id is not None else Alert.contact_id
    value = response_id if response_id is not None else contact_id
    erased = Alert.workspace_id == workspace_id, column == value
    db.session.execute(sa.delete(Alert).where(*erased, Alert.mail_id.is_(None)))
    mail_ids = list(db.session.scalars(sa.select(Alert.mail_id).where(*erased).distinct()))
    if not mail_ids:
        return
    db.session.execute(sa.update(Alert).where(*erased).values(data={"erased": True}))
    waiting = list(
        db.session.scalars(sa.select(Mail.id).where(Mail.id.in_(mail_ids), Mail.status == MailStatus.PENDING.value))
    )
    if waiting:
        db.session.execute(
            sa.update(Mail)
            .where(Mail.id.in_(waiting))
            .values(status=MailStatus.CANCELLED.value, last_error="not sent: what it reported was erased")
        )
        # what the cancelled mails said about others is bundled again, at once
        db.session.execute(
            sa.update(Alert)
            .where(Alert.mail_id.in_(waiting), sa.or_(column.is_(None), column != value))
            .values(mail_id=None, due_at=utcnow())
        )
        db.session.info[outbox.WAKE] = True
    db.session.execute(sa.update(Mail).where(Mail.id.in_(mail_ids)).values(text_body="", html_body=""))


# --- the mail log ----------------------------------------------------------------------------------------------


def mail_log(workspace_id: int, page: int = 1) -> list[Mail]:
    """The workspace's mails, newest first."""
    return list(
        db.session.scalars(
            sa.select(Mail)
            .where(Mail.workspace_id == workspace_id)
            .order_by(Mail.id.desc())
            .offset((page - 1) * LOG_PAGE)
            .limit(LOG_PAGE + 1)
        )
    )


def waiting_alerts(workspace_id: int) -> int:
    """Alerts not yet bundled into a mail (due within a minute)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Alert)
            .where(Alert.workspace_id == workspace_id, Alert.mail_id.is_(None))
        )
        or 0
    )


# --- the dispatchers -------------------------------------------------------------------------------------------


def start_dispatcher(app: Flask) -> outbox.Dispatcher:
    """Start (once per app and process) the thread that bundles alerts and sends mails."""
    return outbox.start_dispatcher(app, bundle)


def dispatch_from_each_process(app: Flask) -> None:
    """Send mails from every process that serves the app, started by its first request (after any fork)."""

    def _start() -> None:
        start_dispatcher(app)

    app.before_request(_start)
