"""The `feedback` console script (and `python -m feedback`): Flask's command group around `create_app`."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError

from feedback import create_app
from feedback.config import ConfigError


def _create_app(*_args: Any) -> Flask:
    return create_app()


def main() -> None:
    """Run a command; an unusable setting or an unreachable database ends it with one line, not a traceback."""
    group = FlaskGroup(create_app=_create_app, add_version_option=False, load_dotenv=False)
    group.help = "feedback: QR codes, surveys and ratings for offline touchpoints."
    try:
        group.main(prog_name="feedback")
    except ConfigError as error:
        click.echo(f"feedback: configuration error: {error}", err=True)
        sys.exit(2)
    except OperationalError as error:  # typically the database server is down or the URL's credentials are wrong
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown error"
        hint = " (run `feedback db upgrade` first)" if "no such table" in reason else ""
        click.echo(f"feedback: cannot use the database (DATABASE_URL): {reason}{hint}", err=True)
        sys.exit(2)
