"""`feedback webhooks run`: send webhooks from a process of its own (the web workers also send them by default)."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback.webhooks.delivery import BATCH, run_once


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries."""


@webhooks_group.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (for cron or a test).")
@with_appcontext
def run_command(once: bool) -> None:
    """Send due deliveries, retrying failed ones with backoff, until stopped (Ctrl+C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    poll = float(app.config["WEBHOOK_POLL_SECONDS"])
    total = 0
    try:
        while True:
            sent = run_once(app)
            total += sent
            if once:
                break
            if sent < BATCH:
                time.sleep(poll)
    except KeyboardInterrupt:
        pass
    click.echo(f"{total} delivery attempt(s)")
