"""`feedback nurture`: record the reactions to nurture mails, write the due steps, and send the outbox (from cron;
`feedback notify run` does the same each time it runs)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from feedback.db_types import utcnow
from feedback.notifications import outbox
from feedback.notifications import services as notifications
from feedback.nurture import services


def scheduled(now: datetime) -> int:
    """The job `feedback notify run` does: reactions and due steps; how many mails were written."""
    return services.run_due(now).mails


@click.command("nurture")
@click.option("--no-send", is_flag=True, help="Only write the due mails; the dispatcher sends them.")
@with_appcontext
def nurture_command(no_send: bool) -> None:
    """Record reactions to nurture mails, write every due step (each at most once per lead), then send the outbox."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    done = services.run_due(utcnow())
    attempts = 0
    if not no_send:
        while sent := outbox.run_once(app, notifications.bundle):  # failed attempts fall due only later: this ends
            attempts += sent
    click.echo(
        f"{done.reactions} reaction(s) recorded, {done.mails} mail(s) written, {done.stopped} sequence(s) stopped; "
        f"{attempts} send attempt(s)"
    )
    if not no_send and outbox.smtp_settings(app) is None:
        click.echo("not sent: no mail server configured (set SMTP_URL); mails wait in the outbox", err=True)
