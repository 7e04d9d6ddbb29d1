"""Ratings and raw responses as files, shared by the dashboard and the command line."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook

from feedback.analysis import exports, sentences
from feedback.analysis.services import DateRange, campaign_ratings
from feedback.errors import DomainError
from feedback.exports import csv_stream, safe_cell
from feedback.extensions import db
from feedback.surveys.models import Question, Response, SurveyVersion
from feedback.surveys.services import RESPONSE_COLUMNS, response_rows
from feedback.tenancy import owned
from feedback.touchpoints.models import Campaign, Touchpoint

RATING_FORMATS = ("csv", "xlsx", "json")
RESPONSE_FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
EXCEL_CURRENCY = {"EUR": '#,##0.00 "€"', "CHF": '#,##0.00 "CHF"', "GBP": '"£"#,##0.00', "USD": '"$"#,##0.00'}


class UnknownFormat(DomainError):
    """A download format we do not offer."""

    status = 404


@dataclass(frozen=True)
class Download:
    """A file to send: its body (bytes or text chunks), type and name."""

    body: bytes | Iterable[str]
    mimetype: str
    filename: str


def _suffix(dates: DateRange) -> str:
    if not dates.first and not dates.last:
        return ""
    return f"-{dates.first or 'start'}_{dates.last or 'today'}"


def ratings_download(campaign: Campaign, dates: DateRange, fmt: str) -> Download:
    """The campaign's rating rows (and comparisons with the rest of the campaign) as CSV, XLSX or JSON."""
    if fmt not in RATING_FORMATS:
        raise UnknownFormat(_("Downloads come as CSV, XLSX or JSON."))
    result = campaign_ratings(campaign, dates)
    filename = f"{campaign.slug}-ratings{_suffix(dates)}.{fmt}"
    if fmt == "csv":
        return Download(exports.ratings_csv(result), MIMETYPES[fmt], filename)
    comparison = exports.comparison_rows(result, sentences.comparison)
    if fmt == "json":
        meta = {
            "campaign": {"id": campaign.id, "name": campaign.name, "slug": campaign.slug},
            "period": {
                "from": dates.first.isoformat() if dates.first else None,
                "to": dates.last.isoformat() if dates.last else None,
                "timezone": campaign.workspace.timezone,
            },
            "currency": campaign.workspace.currency,
        }
        return Download(exports.ratings_json(result, meta, comparison), MIMETYPES[fmt], filename)
    titles = {
        "ratings": _("Ratings"),
        "comparisons": _("Comparisons"),
        "columns": _("Columns"),
        "column": _("Column"),
        "meaning": _("Meaning"),
    }
    currency = EXCEL_CURRENCY.get(campaign.workspace.currency, "#,##0.00")
    return Download(exports.ratings_xlsx(result, comparison, titles, currency), MIMETYPES[fmt], filename)


def response_keys(campaign: Campaign) -> list[str]:
    """Question keys of every survey version answered in the campaign, in question order."""
    touchpoint_ids = sa.select(Touchpoint.id).where(
        Touchpoint.campaign_id == campaign.id, Touchpoint.workspace_id == campaign.workspace_id
    )
    versions = (
        sa.select(Response.version_id)
        .where(Response.workspace_id == campaign.workspace_id, Response.touchpoint_id.in_(touchpoint_ids))
        .distinct()
    )
    rows = db.session.execute(
        sa.select(Question.key)
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .where(Question.version_id.in_(versions))
        .order_by(SurveyVersion.survey_id, SurveyVersion.number.desc(), Question.position)
    )
    keys: list[str] = []
    for (key,) in rows:
        if key not in keys:
            keys.append(key)
    return keys


def responses_download(campaign: Campaign, dates: DateRange, fmt: str) -> Download:
    """Raw responses of the campaign, one column per question key."""
    if fmt not in RESPONSE_FORMATS:
        raise UnknownFormat(_("Responses come as CSV or XLSX."))
    keys = response_keys(campaign)
    header = RESPONSE_COLUMNS + keys
    touchpoint_ids = sa.select(Touchpoint.id).where(
        Touchpoint.campaign_id == campaign.id, Touchpoint.workspace_id == campaign.workspace_id
    )
    period = dates.period(campaign.workspace.timezone)
    rows = response_rows(
        campaign.workspace_id, keys, Response.touchpoint_id.in_(touchpoint_ids), *period.where(Response.started_at)
    )
    filename = f"{campaign.slug}-responses{_suffix(dates)}.{fmt}"
    if fmt == "csv":
        return Download(csv_stream(header, rows), MIMETYPES[fmt], filename)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Responses"))
    sheet.freeze_panes = "A2"
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return Download(buffer.getvalue(), MIMETYPES[fmt], filename)


def campaign_by_slug_or_all(workspace_id: int, slug: str | None) -> list[Campaign]:
    """One campaign by slug, or every campaign of the workspace."""
    query = owned(Campaign, workspace_id).order_by(Campaign.id)
    if slug:
        query = query.where(Campaign.slug == slug)
    return list(db.session.scalars(query))
