"""`feedback token create`: an API token for scripts and operators."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from feedback.api import services
from feedback.api.models import Scope
from feedback.auth.models import Workspace
from feedback.db_types import utcnow
from feedback.extensions import db


@click.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.option("--workspace", "workspace_slug", required=True, help="Slug of the workspace the token may access.")
@click.option("--scope", type=click.Choice([s.value for s in Scope]), default=Scope.READ.value, show_default=True)
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
@click.option("--days", type=click.IntRange(1, 3650), default=None, help="Stop working after N days (default: never).")
@with_appcontext
def create_command(workspace_slug: str, scope: str, name: str, days: int | None) -> None:
    """Create a token and print it (only this once) to standard output."""
    workspace = db.session.scalar(sa.select(Workspace).where(Workspace.slug == workspace_slug))
    if workspace is None:
        raise click.UsageError(f"no workspace {workspace_slug!r}")
    try:
        _token, plain = services.create_token(workspace.id, name, Scope(scope), None, utcnow(), days)
    except services.InvalidTokenName as error:
        raise click.BadParameter(str(error.message), param_hint="--name") from None
    db.session.commit()
    click.echo(plain)
    click.echo(f"{scope} token for {workspace.slug} created; it is not shown again.", err=True)
