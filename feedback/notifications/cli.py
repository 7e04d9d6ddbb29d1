"""`feedback mail test EMAIL` sends one mail now; `feedback notify run [--once]` writes the due weekly reports and
the daily checks' alerts and sends the outbox (from cron with --once, or as a process of its own)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.notifications import compose, mailer, outbox, schedule, services
from feedback.notifications.models import Mail, MailStatus, Topic

log = logging.getLogger(__name__)
#: How often a running `feedback notify run` looks for due reports and checks (they write each thing once).
CHECK_SECONDS = 600


@click.group("mail")
def mail_group() -> None:
    """Mail server."""


@mail_group.command("test")
@click.argument("email")
@click.option("--locale", type=click.Choice(["de", "en"]), default="en", show_default=True)
@with_appcontext
def test_command(email: str, locale: str) -> None:
    """Send a test mail to EMAIL now, through the outbox, and say what the mail server answered."""
    try:
        mailer.check_address(email)
    except ValueError:
        raise click.BadParameter(f"{email!r} is not an e-mail address", param_hint="EMAIL") from None
    rendered = compose.test_mail(locale)
    mail = outbox.queue_mail(
        to=email,
        topic=Topic.TEST.value,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        locale=locale,
        now=(now := utcnow()),
    )
    mail.next_attempt_at = now + timedelta(seconds=outbox.LEASE_SECONDS)  # this command sends it, no dispatcher
    db.session.commit()
    settings = outbox.smtp_settings()
    if settings is None:
        click.echo(f"not sent: no mail server configured (set SMTP_URL); mail {mail.id} waits in the outbox", err=True)
        raise SystemExit(1)
    outcome = outbox.attempt(mail.id, settings)
    assert outcome is not None
    if not outcome.ok:
        stored = db.session.get(Mail, mail.id)
        state = "given up" if stored is not None and stored.status == MailStatus.FAILED.value else "will be retried"
        click.echo(f"not sent to {email} via {settings.describe()}: {outcome.error} ({state})", err=True)
        raise SystemExit(1)
    click.echo(f"sent to {email} via {settings.describe()}")


@click.group("notify")
def notify_group() -> None:
    """Alerts and weekly reports by mail."""


def _send_due(app: Flask) -> int:
    total = 0
    while sent := outbox.run_once(app, services.bundle):  # failed attempts are due again only later: this ends
        total += sent
    return total


@notify_group.command("run")
@click.option("--once", is_flag=True, help="Write what is due, send the outbox, then stop (for cron).")
@with_appcontext
def run_command(once: bool) -> None:
    """Write due weekly reports and the daily checks' alerts, and send mails until stopped (Ctrl+C)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        written = schedule.run_due(utcnow())
        attempts = _send_due(app)
        jobs = "".join(f", {n} {name} written" for name, n in written.jobs.items())
        click.echo(f"{written.digests} report(s), {written.alerts} alert(s) written{jobs}; {attempts} send attempt(s)")
        if outbox.smtp_settings(app) is None:
            click.echo("not sent: no mail server configured (set SMTP_URL); mails wait in the outbox", err=True)
        return
    dispatcher = outbox.start_dispatcher(app, services.bundle)
    try:
        while True:
            with app.app_context():
                try:
                    schedule.run_due(utcnow())
                except Exception:  # a database hiccup must not stop the sending: try again next time
                    log.exception("notify run: the due reports and checks failed")
                    db.session.rollback()
            time.sleep(CHECK_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        outbox.stop_dispatchers()
    click.echo(f"{dispatcher.attempts} send attempt(s)")
