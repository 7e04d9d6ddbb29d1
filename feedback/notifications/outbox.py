"""The mail outbox: mails written in the transaction that caused them, alerts bundled into mails when due, and the
dispatcher that sends them over SMTP with retries and backoff.

A mail is durable exactly when the write that caused it is: `queue_mail` and `services.queue_alert` add rows to the
caller's session, the caller's commit stores both or neither, and the dispatchers send after the commit. Mails are
claimed with a lease (next_attempt_at moves past the attempt, compare-and-set), so several processes can send side by
side and a crash before the server accepted a mail only means it is tried again after the lease. A crash in the
moment between the server's acceptance and its record sends it again with the same Message-ID (docs/RELIABILITY.md).
Alerts are bundled by one transaction that creates the mail and marks the alerts as carried only if no other process
marked them first, so an alert goes out in exactly one mail.

Without SMTP_URL nothing is attempted: mails wait in the outbox, and the dashboard says why.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from feedback.auth.models import User
from feedback.config import ConfigError
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.notifications import mailer
from feedback.notifications.models import Alert, Mail, MailStatus
from feedback.notifications.recipients import reachable
from feedback.notifications.tokens import unsubscribe_url
from feedback.webhooks.delivery import backoff

log = logging.getLogger(__name__)

#: Attempts before a mail is given up (about a day of retries with the webhooks' backoff).
MAX_ATTEMPTS = 12
#: How long an attempt may hold a claimed mail before another dispatcher may try it (longer than any SMTP timeout).
LEASE_SECONDS = 600
#: Mails one round claims, and alert bundles it makes.
BATCH = 20
#: Alerts of one topic for one member that come within this time after the last mail are sent together.
GROUP_SECONDS = 60
SETTINGS = "feedback.smtp"
WAKE = "mail_wake"


def init_app(app: Flask) -> None:
    """Read SMTP_URL once (a test's override too; the environment's was checked with the other settings)."""
    url = str(app.config.get("SMTP_URL") or "")
    try:
        app.extensions[SETTINGS] = mailer.parse_smtp_url(url) if url else None
    except mailer.SmtpUrlInvalid as error:
        raise ConfigError(str(error)) from None


def smtp_settings(app: Flask | None = None) -> mailer.SmtpSettings | None:
    """The configured mail server, or None when mails only wait in the outbox."""
    return (app or current_app).extensions.get(SETTINGS)


def _wake_after_commit() -> None:
    db.session.info[WAKE] = True


def queue_mail(
    *,
    to: str,
    topic: str,
    subject: str,
    text: str,
    html: str,
    locale: str,
    now: datetime,
    workspace_id: int | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    contact_id: int | None = None,
    list_unsubscribe: str = "",
) -> Mail:
    """Add a mail to the caller's session (the caller commits); sent at once after the commit. A mail to a
    consented contact (`contact_id`, no member) carries its own one-click unsubscribe link."""
    mail = Mail(
        workspace_id=workspace_id,
        user_id=user_id,
        to_address=mailer.check_address(to),
        topic=topic,
        locale=locale,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        message_id=mailer.message_id(mailer.domain_of(str(current_app.config["MAIL_FROM"]))),
        dedupe_key=dedupe_key,
        status=MailStatus.PENDING.value,
        created_at=now,
        next_attempt_at=now,
        contact_id=contact_id,
        list_unsubscribe=list_unsubscribe[:300],
    )
    db.session.add(mail)
    _wake_after_commit()
    return mail


# --- bundling alerts -------------------------------------------------------------------------------------------

#: Renders the due alerts of one member and topic as a mail: (user_id, workspace_id, topic, alerts) → Mail or None
#: (None: the member cannot be mailed any more; the alerts are dropped). Set by services (which knows the templates).
Bundler = Callable[[int, int, str, list[Alert], datetime], Mail | None]


def bundle_due(bundler: Bundler, now: datetime) -> int:
    """Turn due alerts into mails, one per member, workspace and topic; how many mails were made."""
    groups = db.session.execute(
        sa.select(Alert.user_id, Alert.workspace_id, Alert.topic)
        .where(Alert.mail_id.is_(None), Alert.due_at <= now)
        .group_by(Alert.user_id, Alert.workspace_id, Alert.topic)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    made = 0
    for user_id, workspace_id, topic in groups:
        db.session.connection(execution_options={"sqlite_immediate": True})
        alerts = list(
            db.session.scalars(
                sa.select(Alert)
                .where(
                    Alert.user_id == user_id,
                    Alert.workspace_id == workspace_id,
                    Alert.topic == topic,
                    Alert.mail_id.is_(None),
                    Alert.due_at <= now,
                )
                .order_by(Alert.id)
            )
        )
        if not alerts:
            db.session.rollback()
            continue
        ids = [a.id for a in alerts]
        try:
            mail = bundler(user_id, workspace_id, topic, alerts, now)
        except Exception as error:  # one mail that cannot be composed must not hold up the others
            log.exception("alerts %s could not be composed", ids)
            db.session.rollback()
            _give_up_bundle(user_id, workspace_id, topic, ids, f"cannot be composed: {error}", now)
            continue
        if mail is None:  # the member can no longer be mailed here, or switched the topic off: the alerts are done
            db.session.execute(sa.delete(Alert).where(Alert.id.in_(ids), Alert.mail_id.is_(None)))
            db.session.commit()
            continue
        db.session.flush()
        marked = db.session.execute(
            sa.update(Alert)
            .where(Alert.id.in_(ids), Alert.mail_id.is_(None))
            .values(mail_id=mail.id)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != len(ids):  # another dispatcher bundled them first
            db.session.rollback()
            continue
        db.session.commit()
        made += 1
    return made


def _give_up_bundle(user_id: int, workspace_id: int, topic: str, ids: list[int], reason: str, now: datetime) -> None:
    """Record alerts that could not become a mail as a mail given up, with the reason, for the log."""
    db.session.connection(execution_options={"sqlite_immediate": True})
    user = db.session.get(User, user_id)
    mail = Mail(
        workspace_id=workspace_id,
        user_id=user_id,
        to_address=(user.email if user is not None else "")[:254],
        topic=topic,
        locale=user.locale if user is not None else "en",
        subject="",
        text_body="",
        html_body="",
        message_id="",
        status=MailStatus.FAILED.value,
        created_at=now,
        next_attempt_at=now,
        last_error=reason[:300],
    )
    db.session.add(mail)
    db.session.flush()
    db.session.execute(
        sa.update(Alert)
        .where(Alert.id.in_(ids), Alert.mail_id.is_(None))
        .values(mail_id=mail.id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- sending ---------------------------------------------------------------------------------------------------


def _claim(now: datetime, room: int) -> list[int]:
    """Take up to `room` due mails by moving their due time past a lease (compare-and-set per row), oldest first."""
    claimed: list[int] = []
    lease = now + timedelta(seconds=LEASE_SECONDS)
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            due = connection.execute(
                sa.select(Mail.id, Mail.next_attempt_at)
                .where(Mail.status == MailStatus.PENDING.value, Mail.next_attempt_at <= now)
                .order_by(Mail.next_attempt_at, Mail.id)
                .limit(room)
            ).all()
            for mail_id, due_at in due:
                result = connection.execute(
                    sa.update(Mail)
                    .where(Mail.id == mail_id, Mail.status == MailStatus.PENDING.value, Mail.next_attempt_at == due_at)
                    .values(next_attempt_at=lease)
                )
                if result.rowcount == 1:
                    claimed.append(mail_id)
    return claimed


def attempt(mail_id: int, settings: mailer.SmtpSettings) -> mailer.Outcome | None:
    """Send one claimed mail and record the outcome; None when it was cancelled meanwhile (an erasure)."""
    mail = db.session.get(Mail, mail_id)
    if mail is None or mail.status != MailStatus.PENDING.value:
        db.session.rollback()
        return None
    member_mail = mail.workspace_id is not None and mail.contact_id is None
    if member_mail and reachable(mail.user_id, mail.workspace_id) is None:
        # the member left the workspace, became a viewer or was disabled while the mail waited: it is not theirs
        db.session.rollback()
        cancel(mail_id, "not sent: the recipient is no longer an editor of the workspace", utcnow())
        return None
    outgoing = mailer.Outgoing(
        sender=str(current_app.config["MAIL_FROM"]),
        to=mail.to_address,
        subject=mail.subject,
        text=mail.text_body,
        html=mail.html_body,
        message_id=mail.message_id,
        language=mail.locale,
        created_at=mail.created_at,
        unsubscribe_url=mail.list_unsubscribe or unsubscribe_url(mail),
    )
    attempts = mail.attempts
    db.session.rollback()  # no transaction stays open while the server is talked to
    try:
        outcome = mailer.send(settings, mailer.build(outgoing))
    except ValueError as error:  # a header the e-mail package cannot write: trying again cannot help
        outcome = mailer.Outcome(False, f"cannot build the mail: {error}"[:300], permanent=True)
    record(mail_id, attempts + 1, outcome, utcnow())
    return outcome


def record(mail_id: int, attempts: int, outcome: mailer.Outcome, done: datetime) -> None:
    """Store an attempt's outcome (an erasure that cancelled the mail meanwhile keeps the last word)."""
    values: dict[str, object] = {"attempts": attempts, "last_attempt_at": done, "last_error": outcome.error[:300]}
    if outcome.ok:
        values |= {"status": MailStatus.SENT.value, "sent_at": done}
    elif outcome.permanent or attempts >= MAX_ATTEMPTS:
        values |= {"status": MailStatus.FAILED.value}
    else:
        values |= {"next_attempt_at": done + backoff(attempts)}
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            connection.execute(
                sa.update(Mail).where(Mail.id == mail_id, Mail.status == MailStatus.PENDING.value).values(**values)
            )
    if not outcome.ok:
        log.info("mail %s not sent (attempt %s): %s", mail_id, attempts, outcome.error)


def cancel(mail_id: int, reason: str, now: datetime) -> None:
    """Never send a waiting mail, saying why."""
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            connection.execute(
                sa.update(Mail)
                .where(Mail.id == mail_id, Mail.status == MailStatus.PENDING.value)
                .values(status=MailStatus.CANCELLED.value, last_error=reason[:300], last_attempt_at=now)
            )


def run_once(app: Flask, bundler: Bundler, now: datetime | None = None) -> int:
    """Bundle due alerts and send what is due now (nothing without a mail server); how many attempts were made."""
    with app.app_context():
        now = now or utcnow()
        bundle_due(bundler, now)
        settings = smtp_settings(app)
        if settings is None:
            return 0
        claimed = _claim(now, BATCH)
        for mail_id in claimed:
            attempt(mail_id, settings)
            db.session.remove()
        return len(claimed)


class Dispatcher:
    """A thread per process that bundles and sends mails, woken at once after a commit that queued some, and every
    MAIL_POLL_SECONDS (grouped alerts and retries fall due in between)."""

    def __init__(self, app: Flask, bundler: Bundler, poll_seconds: float) -> None:
        self.app = app
        self.bundler = bundler
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        #: Set while the thread waits with nothing more due.
        self.idle = threading.Event()
        self.attempts = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="mail-dispatcher", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            settings = smtp_settings(self.app)
            self._thread.join(timeout=(settings.timeout * 4 if settings else 0) + 5)

    def join(self) -> None:
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=1)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                made = run_once(self.app, self.bundler)
            except Exception:  # the thread must survive a database hiccup; it tries again on the next round
                log.exception("mail dispatcher round failed")
                made = 0
            self.attempts += made
            if made < BATCH:
                if made == 0:
                    self.idle.set()
                self._wake.wait(self.poll_seconds)
                self.idle.clear()


_dispatchers: dict[tuple[int, int], Dispatcher] = {}


def start_dispatcher(app: Flask, bundler: Bundler) -> Dispatcher:
    """Start (once per app and process) the thread that sends mails."""
    key = (os.getpid(), id(app))
    dispatcher = _dispatchers.get(key)
    if dispatcher is None:
        dispatcher = _dispatchers[key] = Dispatcher(app, bundler, float(app.config["MAIL_POLL_SECONDS"]))
        dispatcher.start()
    return dispatcher


def wake_dispatchers() -> None:
    """Called after a commit that queued mails or alerts."""
    for dispatcher in list(_dispatchers.values()):
        dispatcher.wake()


def stop_dispatchers() -> None:
    for key, dispatcher in list(_dispatchers.items()):
        dispatcher.stop()
        _dispatchers.pop(key, None)
