"""Operator commands: `feedback codes` lists every printed code; `feedback qr CODE` renders one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from feedback.analysis.services import code_arrivals, code_traffic
from feedback.analysis.summaries import Arrivals
from feedback.auth.models import Workspace
from feedback.db_types import utcnow
from feedback.exports import DIALECTS, PLAIN, csv_stream, dialect_named
from feedback.extensions import db
from feedback.qr.codes import InvalidCode, normalise_code
from feedback.qr.models import Code
from feedback.qr.rendering import QrOptions, RenderError, qr_url, render_png, render_svg
from feedback.touchpoints.models import Campaign, Touchpoint

CODE_COLUMNS = [
    "workspace",
    "campaign",
    "touchpoint",
    "label",
    "code",
    "url",
    "state",
    "scans",
    "unique_visitors",
    "scanned_symbol",
    "typed_url",
    "typed_code",
    "scan_share",
    "scan_share_low",
    "scan_share_high",
]


def code_rows(campaign_slug: str | None = None, workspace_slug: str | None = None) -> list[dict[str, object]]:
    """One row per code with its scans and visitors (counted per day; bots excluded): the numbers of the ratings'
    code roll-up (`analysis.services.code_traffic`), the same in every output."""
    query = (
        sa.select(Code, Workspace, Campaign.slug, Touchpoint.name)
        .join(Touchpoint, Touchpoint.id == Code.touchpoint_id)
        .join(Campaign, Campaign.id == Touchpoint.campaign_id)
        .join(Workspace, Workspace.id == Code.workspace_id)
        .order_by(Workspace.slug, Campaign.slug, Touchpoint.name, Code.id)
    )
    if campaign_slug:
        query = query.where(Campaign.slug == campaign_slug)
    if workspace_slug:
        query = query.where(Workspace.slug == workspace_slug)
    found = db.session.execute(query).all()
    touchpoints: dict[Workspace, set[int]] = {}
    for code, workspace, _campaign, _touchpoint in found:
        touchpoints.setdefault(workspace, set()).add(code.touchpoint_id)
    traffic: dict[int, tuple[int, int]] = {}
    arrivals: dict[int, Arrivals] = {}
    for workspace, ids in touchpoints.items():
        traffic |= code_traffic(workspace.id, workspace.timezone, ids)
        arrivals |= code_arrivals(workspace.id, workspace.timezone, ids)
    base = current_app.config["PUBLIC_BASE_URL"]
    now = utcnow()
    return [
        {
            "workspace": workspace.slug,
            "campaign": campaign,
            "touchpoint": touchpoint,
            "label": code.label,
            "code": code.code,
            "url": f"{base}/t/{code.code}",
            "state": code.state(now).value,
            "scans": traffic.get(code.id, (0, 0))[0],
            "unique_visitors": traffic.get(code.id, (0, 0))[1],
            **_arrival_columns(arrivals.get(code.id, Arrivals())),
        }
        for code, workspace, campaign, touchpoint in found
    ]


def _arrival_columns(arrivals: Arrivals) -> dict[str, object]:
    """How the code's counted scans arrived, and the scan share with its Wilson interval (empty without visits)."""
    share = arrivals.scan_share
    return {
        "scanned_symbol": arrivals.scanned,
        "typed_url": arrivals.of("typed_url"),
        "typed_code": arrivals.of("typed_code"),
        "scan_share": share.share if share else None,
        "scan_share_low": share.ci.low if share and share.ci else None,
        "scan_share_high": share.ci.high if share and share.ci else None,
    }


@click.command("codes")
@click.option("--campaign", "campaign_slug", default=None, help="Only codes of the campaign with this slug.")
@click.option("--workspace", "workspace_slug", default=None, help="Only codes of the workspace with this slug.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--dialect",
    type=click.Choice(list(DIALECTS)),
    default="plain",
    show_default=True,
    help="CSV dialect: plain (commas, decimal points, LF, no BOM, for scripts) or excel-de (semicolons, decimal "
    "commas, UTF-8 BOM and CRLF, for German Excel).",
)
@with_appcontext
def codes_command(campaign_slug: str | None, workspace_slug: str | None, fmt: str, dialect: str) -> None:
    """List printed codes with workspace, campaign, touchpoint, label, URL, state, scans and visitors (counted per
    day: the column unique_visitors), how the scans arrived and the scan share with its 95 % interval."""
    rows = code_rows(campaign_slug, workspace_slug)
    if (
        campaign_slug
        and not rows
        and not db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == campaign_slug))
    ):
        raise click.ClickException(f"no campaign with the slug {campaign_slug!r}")
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    # labels and names are user text: csv_stream keeps a spreadsheet from running one as a formula (as in every web
    # export); the plain output stays what scripts have read so far (LF, no BOM)
    chosen = dialect_named(dialect)
    plain = chosen is PLAIN
    lines = csv_stream(
        CODE_COLUMNS,
        ([row[key] for key in CODE_COLUMNS] for row in rows),
        chosen,
        bom=not plain,
        lineterminator="\n" if plain else "\r\n",
    )
    for chunk in lines:
        sys.stdout.write(chunk)


@click.command("qr")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]), default="png", show_default=True)
@click.option("--size-mm", type=float, default=40.0, show_default=True, help="Printed width at 300 dpi.")
@click.option("--ec", type=click.Choice(["L", "M", "Q", "H"]), default="M", show_default=True, help="Error correction.")
@click.option("--no-caption", is_flag=True, help="Leave out the code text under the symbol.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@with_appcontext
def qr_command(code: str, fmt: str, size_mm: float, ec: str, no_caption: bool, output: Path) -> None:
    """Render one code as PNG or SVG for print."""
    from feedback.qr.codes import group

    try:
        token = normalise_code(code)
    except InvalidCode:
        raise click.BadParameter("not a code (8 letters and digits)", param_hint="CODE") from None
    if db.session.scalar(sa.select(Code.id).where(Code.code == token)) is None:
        raise click.ClickException(f"no code {token}")
    try:
        options = QrOptions(size_mm=size_mm, error_correction=ec, caption=None if no_caption else group(token))
    except RenderError as error:
        raise click.BadParameter(str(error.message)) from None
    url = qr_url(current_app.config["PUBLIC_BASE_URL"], token)
    if fmt == "png":
        output.write_bytes(render_png(url, options))
    else:
        output.write_text(render_svg(url, options), encoding="utf-8")
    click.echo(f"{output} ({fmt.upper()}, {size_mm:g} mm) encodes {url}")
