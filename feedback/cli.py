"""Commands of the command line: `feedback serve`, `demo`, `create-user` (and `feedback db …` from Flask-Migrate);
feedback/console.py is the program that runs them."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from flask_migrate import upgrade

from feedback.extensions import db


def default_workers() -> int:
    """Worker processes for gunicorn: one per core, at least two, at most eight."""
    return max(2, min(8, os.cpu_count() or 1))


#: Threads per gunicorn worker. A scan is acknowledged only after the commit that holds it, and concurrent scans
#: share one commit (feedback.qr.scanwriter), so throughput grows with the number of requests that can wait at once:
#: on 2 cores, 4 threads per worker reached 25 % of a bare WSGI app, 32 threads 48 % (python -m bench).
DEFAULT_THREADS = 32


def gunicorn_settings(host: str, port: int, workers: int, threads: int) -> dict[str, object]:
    """What `feedback serve` tells gunicorn."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "graceful_timeout": 30,
        "timeout": 60,
        "accesslog": "-",
        # No client address in the access log: privacy by design.
        "access_log_format": '"%(r)s" %(s)s %(b)s %(M)sms',
        # ... and no secret from a link (invitation and response tokens), no address in the error log
        "logger_class": "feedback.logs.PrivateLogger",
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
    }


def run_gunicorn(factory: Callable[[], Flask], host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app with gunicorn; each worker builds its own app with `factory`, so no connection crosses the
    fork."""
    from gunicorn.app.base import BaseApplication

    class FeedbackApplication(BaseApplication):
        """gunicorn application that calls create_app() in every worker."""

        def load_config(self) -> None:
            """Apply our settings to gunicorn."""
            for key, value in gunicorn_settings(host, port, workers, threads).items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            """Build the app inside the worker."""
            from feedback.analysis.rollup_keeper import keep_rolled_up
            from feedback.notifications.services import start_dispatcher as start_mail_dispatcher
            from feedback.webhooks.delivery import start_dispatcher

            app = factory()
            start_dispatcher(app)  # each worker sends webhooks and mails too, so nothing else has to run
            start_mail_dispatcher(app)
            keep_rolled_up(app)  # and rolls up closed days while it has nothing else to do
            return app

    FeedbackApplication().run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for all).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="gunicorn worker processes.")
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 128),
    help="Threads per worker (scans wait for a shared commit, so many threads keep the disk busy).",
)
@click.option("--demo", is_flag=True, help="Load demo data and print a login.")
@with_appcontext
def serve_command(host: str, port: int, workers: int | None, threads: int, demo: bool) -> None:
    """Apply migrations, optionally load demo data, and serve with gunicorn."""
    upgrade()
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0', '::') else host}:{port}/"
    if demo:
        _print_demo_login(load_demo(), url)
    else:
        click.echo(f"feedback is starting at {url}")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may cross gunicorn's fork
    if sys.platform == "win32":  # gunicorn needs fork; the development server is enough to try things
        from feedback.notifications.services import start_dispatcher as start_mail_dispatcher
        from feedback.webhooks.delivery import start_dispatcher

        start_dispatcher(current_app._get_current_object())  # type: ignore[attr-defined]
        start_mail_dispatcher(current_app._get_current_object())  # type: ignore[attr-defined]
        current_app.run(host=host, port=port)
        return
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None or info.create_app is None:
        raise click.UsageError("serve runs from the feedback command, which knows how to build the app")
    run_gunicorn(info.create_app, host, port, workers or default_workers(), threads)


def load_demo(password: str | None = None) -> dict[str, str]:
    """Create or refresh the demo workspace and return its login."""
    from feedback.analysis import rollups
    from feedback.demo import DEMO_EMAIL, NotTheDemosWorkspace, load_demo_data

    password = password or secrets.token_urlsafe(9)
    try:
        workspace = load_demo_data(password)
    except NotTheDemosWorkspace as refused:
        db.session.rollback()
        raise click.ClickException(str(refused.message)) from None
    found = (workspace.id, workspace.timezone, workspace.slug)
    db.session.commit()  # and no read of the session after it: roll-ups are written on connections of their own
    rollups.build(found[0], found[1])  # a bulk import: its closed days are rolled up before serving
    return {"email": DEMO_EMAIL, "password": password, "workspace": found[2]}


def _print_demo_login(login: dict[str, str], url: str) -> None:
    """Tell the operator where to go and how to log in."""
    click.echo("")
    click.echo(f"  feedback is starting at {url}")
    click.echo(f"  Log in as {login['email']} with password {login['password']}")
    click.echo("")


@click.command("demo")
@click.option("--password", default=None, help="Password for the demo login (default: a new random one).")
@with_appcontext
def demo_command(password: str | None) -> None:
    """Load (or refresh) realistic demo data; safe to run again."""
    upgrade()
    login = load_demo(password)
    click.echo(f"Demo workspace '{login['workspace']}' is ready.")
    click.echo(f"Log in as {login['email']} with password {login['password']}")


@click.command("create-user")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--workspace", "workspace_name", default=None, help="Create a workspace with this user as owner.")
@click.option("--locale", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create_user_command(email: str, name: str, workspace_name: str | None, locale: str, password: str) -> None:
    """Create a dashboard user, optionally with a new workspace they own."""
    from email_validator import EmailNotValidError, validate_email

    from feedback.auth import services
    from feedback.errors import DomainError

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None
    upgrade()  # a fresh database gets its tables first, as with `serve` and `demo`
    try:
        user = services.create_user(email, password, name, locale)
        if workspace_name:
            workspace = services.create_workspace(workspace_name, user)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Created user {user.email}.")
    if workspace_name:
        click.echo(f"Created workspace '{workspace.slug}' owned by {user.email}.")


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    from feedback.analysis.cli import ratings_command, responses_command, retention_command, rollup_command
    from feedback.api.cli import token_group
    from feedback.backup import backup_command, restore_command
    from feedback.notifications.cli import mail_group, notify_group
    from feedback.notifications.schedule import add_job
    from feedback.nurture.cli import nurture_command, scheduled
    from feedback.qr.cli import codes_command, qr_command
    from feedback.webhooks.cli import webhooks_group

    app.cli.add_command(codes_command)
    app.cli.add_command(qr_command)
    app.cli.add_command(ratings_command)
    app.cli.add_command(responses_command)
    app.cli.add_command(rollup_command)
    app.cli.add_command(retention_command)
    app.cli.add_command(token_group)
    app.cli.add_command(webhooks_group)
    app.cli.add_command(mail_group)
    app.cli.add_command(notify_group)
    app.cli.add_command(nurture_command)
    add_job(app, "nurture mail(s)", scheduled)
    app.cli.add_command(serve_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
