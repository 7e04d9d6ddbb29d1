"""`feedback webhooks run`: send webhooks from a process of its own (the web workers also send them by default)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback.webhooks.delivery import run_once, start_dispatcher, stop_dispatchers


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries."""


@webhooks_group.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (for cron or a test).")
@with_appcontext
def run_command(once: bool) -> None:
    """Send due deliveries, retrying failed ones with backoff, until stopped (Ctrl+C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    total = 0
    if once:
        while sent := run_once(app):  # failed attempts are due again only later: this ends
            total += sent
    else:
        dispatcher = start_dispatcher(app)
        try:
            dispatcher.join()
        except KeyboardInterrupt:
            pass
        finally:
            stop_dispatchers()
        total = dispatcher.attempts
    click.echo(f"{total} delivery attempt(s)")
