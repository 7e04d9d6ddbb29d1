"""Operator commands: `feedback ratings` and `feedback responses`, the dashboard's downloads on the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import force_locale

from feedback.analysis.downloads import (
    RATING_FORMATS,
    RESPONSE_FORMATS,
    Download,
    all_campaigns,
    campaigns_ratings_download,
    campaigns_responses_download,
)
from feedback.analysis.services import DateRange, InvalidPeriod, parse_range
from feedback.auth.models import Workspace
from feedback.exports import DIALECTS, CsvDialect, dialect_named
from feedback.extensions import db
from feedback.touchpoints.models import Campaign
from feedback.touchpoints.services import campaign_by_slug


def _campaigns(campaign_slug: str | None, workspace_slug: str | None) -> tuple[Workspace, list[Campaign]]:
    """The campaign the options name, or every campaign of the workspace; a usage error that lists the choices."""
    workspaces = sa.select(Workspace).order_by(Workspace.slug)
    if workspace_slug:
        workspaces = workspaces.where(Workspace.slug == workspace_slug)
    if campaign_slug:
        workspaces = workspaces.where(
            sa.exists().where(Campaign.workspace_id == Workspace.id, Campaign.slug == campaign_slug)
        )
    found = list(db.session.scalars(workspaces))
    if not found:
        raise click.UsageError(f"no campaign matches (campaign={campaign_slug!r}, workspace={workspace_slug!r})")
    if len(found) > 1:
        choices = ", ".join(w.slug for w in found[:20])
        raise click.UsageError(f"several workspaces match; choose one with --workspace: {choices}")
    workspace = found[0]
    if campaign_slug:
        return workspace, [campaign_by_slug(workspace.id, campaign_slug)]
    campaigns = all_campaigns(workspace.id)
    if not campaigns:
        raise click.UsageError(f"workspace {workspace.slug!r} has no campaigns yet")
    return workspace, campaigns


def _dates(first: str | None, last: str | None) -> DateRange:
    try:
        return parse_range(first, last)
    except InvalidPeriod as error:
        raise click.BadParameter(str(error.message), param_hint="--from/--to") from None


def _write(download: Download, output: str | None) -> None:
    body = download.body
    if output in (None, "-"):
        if isinstance(body, bytes):
            if sys.stdout.isatty():
                raise click.UsageError("binary output: write it to a file with -o FILE")
            sys.stdout.buffer.write(body)
        else:
            for chunk in body:
                sys.stdout.write(chunk)
        return
    path = Path(output)
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            for chunk in body:
                handle.write(chunk)
    click.echo(f"wrote {path} ({path.stat().st_size:,} bytes)", err=True)


Make = Callable[[Workspace, list[Campaign], DateRange, str, CsvDialect], Download]

#: `--dialect`, shared by every command that writes CSV.
DIALECT_HELP = (
    "CSV dialect: plain (commas, decimal points, ISO 8601 dates, for scripts) or excel-de (semicolons, decimal "
    "commas, dates TT.MM.JJJJ and times TT.MM.JJJJ hh:mm:ss in the workspace's time zone, for German Excel)."
)


def _command(name: str, formats: tuple[str, ...], make: Make, doc: str):
    @click.command(name, help=doc)
    @click.option("--campaign", "campaign_slug", default=None, help="Campaign slug; every campaign when omitted.")
    @click.option("--workspace", "workspace_slug", default=None, help="Workspace slug (needed when there are several).")
    @click.option("--from", "first", default=None, help="First day, YYYY-MM-DD (workspace time zone).")
    @click.option("--to", "last", default=None, help="Last day, YYYY-MM-DD (inclusive).")
    @click.option("--format", "fmt", type=click.Choice(formats), default="csv", show_default=True)
    @click.option(
        "--dialect", type=click.Choice(list(DIALECTS)), default="plain", show_default=True, help=DIALECT_HELP
    )
    @click.option("-o", "--output", default=None, help="File to write; standard output when omitted.")
    @click.option("--lang", type=click.Choice(["de", "en"]), default="en", show_default=True, help="Language of texts.")
    @with_appcontext
    def command(
        campaign_slug: str | None,
        workspace_slug: str | None,
        first: str | None,
        last: str | None,
        fmt: str,
        dialect: str,
        output: str | None,
        lang: str,
    ) -> None:
        dates = _dates(first, last)
        workspace, campaigns = _campaigns(campaign_slug, workspace_slug)
        with force_locale(lang):
            _write(make(workspace, campaigns, dates, fmt, dialect_named(dialect)), output)

    return command


ratings_command = _command(
    "ratings",
    RATING_FORMATS,
    campaigns_ratings_download,
    "Touchpoint ratings of a campaign, or of every campaign of the workspace in one file with a first 'campaign' "
    "column (the dashboard's CSV / XLSX / JSON download).",
)
responses_command = _command(
    "responses",
    RESPONSE_FORMATS,
    campaigns_responses_download,
    "Raw responses of a campaign or of every campaign of the workspace: CSV / XLSX with one row per response and "
    "one column per question key (a first 'campaign' column when there are several), or JSON, a list of objects "
    "with the answers keyed by question key.",
)


@click.command("rollup")
@click.option("--workspace", "workspace_slug", default=None, help="Only this workspace.")
@with_appcontext
def rollup_command(workspace_slug: str | None) -> None:
    """Build the daily roll-ups of every closed day now (otherwise the first dashboard visit builds them)."""
    from feedback.analysis import rollups

    query = sa.select(Workspace).order_by(Workspace.slug)
    if workspace_slug:
        query = query.where(Workspace.slug == workspace_slug)
    workspaces = list(db.session.scalars(query))
    if not workspaces:
        raise click.UsageError(f"no workspace {workspace_slug!r}")
    for workspace in workspaces:
        days = rollups.build(workspace.id, workspace.timezone)
        click.echo(f"{workspace.slug}: days rolled up: {days}")


@click.command("retention")
@click.option("--days", type=int, default=None, help="Keep this many days of raw scans [SCAN_RETENTION_DAYS].")
@click.option("--workspace", "workspace_slug", default=None, help="Only this workspace.")
@with_appcontext
def retention_command(days: int | None, workspace_slug: str | None) -> None:
    """Turn raw scans older than the retention period into exact daily counts and delete them (run it daily)."""
    from flask import current_app

    from feedback.analysis import retention
    from feedback.db_types import utcnow

    days = days if days is not None else int(current_app.config["SCAN_RETENTION_DAYS"])
    if not days:
        raise click.UsageError("no retention period: set SCAN_RETENTION_DAYS or pass --days")
    if days < retention.MIN_DAYS:
        raise click.UsageError(f"--days must be at least {retention.MIN_DAYS}")
    now = utcnow()
    done = retention.run(days, now, workspace_slug)
    if workspace_slug and not done:
        raise click.UsageError(f"no workspace {workspace_slug!r}")
    for result in done:
        click.echo(
            f"{result.workspace}: {result.days} days retained, {result.scans_counted} scans counted, "
            f"{result.scans_deleted} raw scans deleted"
        )
