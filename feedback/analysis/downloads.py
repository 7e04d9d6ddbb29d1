"""Ratings and raw responses as files, shared by the dashboard and the command line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl import Workbook

from feedback.analysis import exports, sentences
from feedback.analysis.comments import CommentFilters
from feedback.analysis.driver_catalogue import driver_rows
from feedback.analysis.driver_queries import campaign_drivers
from feedback.analysis.exports import CAMPAIGN_COLUMN
from feedback.analysis.period_catalogue import period_rows, trend_rows
from feedback.analysis.period_queries import campaign_trend
from feedback.analysis.period_queries import comparison as period_comparison
from feedback.analysis.periods import Against
from feedback.analysis.segments import Segment
from feedback.analysis.services import DateRange, campaign_ratings, choice_questions
from feedback.analysis.theme_catalogue import theme_rows
from feedback.analysis.theme_edits import campaign_themes
from feedback.auth.models import Workspace
from feedback.errors import DomainError
from feedback.exports import PLAIN, CsvDialect, csv_stream, xlsx_cell
from feedback.extensions import db
from feedback.surveys.models import Question, Response, SurveyVersion
from feedback.surveys.services import RESPONSE_COLUMNS, response_records
from feedback.tenancy import owned
from feedback.touchpoints.models import Campaign, Touchpoint

RATING_FORMATS = ("csv", "xlsx", "json")
RESPONSE_FORMATS = ("csv", "xlsx", "json")
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


class NoCampaigns(DomainError):
    """A download of every campaign of a workspace that has none."""

    status = 404


@dataclass(frozen=True)
class Download:
    """A file to send: its body (bytes or text chunks), type and name."""

    body: bytes | Iterable[str]
    mimetype: str
    filename: str


def _suffix(dates: DateRange, segment: Segment | None = None) -> str:
    narrowed = "-segment" if segment is not None and segment.active else ""
    if not dates.first and not dates.last:
        return narrowed
    return f"-{dates.first or 'start'}_{dates.last or 'today'}{narrowed}"


def _segment_meta(segment: Segment | None) -> dict[str, object] | None:
    """The segment as the JSON downloads name it (None without one)."""
    if segment is None or not segment.active:
        return None
    return {"id": segment.saved_id, "name": segment.name or None, "conditions": segment.document()}


def _titles() -> dict[str, str]:
    return {
        "ratings": _("Ratings"),
        "comparisons": _("Comparisons"),
        "choices": _("Choice questions"),
        "drivers": _("Drivers"),
        "themes": _("Themes"),
        "periods": _("Periods"),
        "trend": _("Trend"),
        "columns": _("Columns"),
        "column": _("Column"),
        "meaning": _("Meaning"),
    }


def _period(dates: DateRange, workspace: Workspace) -> dict[str, object]:
    return {
        "from": dates.first.isoformat() if dates.first else None,
        "to": dates.last.isoformat() if dates.last else None,
        "timezone": workspace.timezone,
    }


def _campaign_meta(campaign: Campaign) -> dict[str, object]:
    return {"id": campaign.id, "name": campaign.name, "slug": campaign.slug}


def _section(campaign: Campaign, dates: DateRange, fmt: str, segment: Segment | None = None) -> exports.Section:
    result = campaign_ratings(campaign, dates, segment)
    if fmt == "csv":
        return exports.Section(campaign.slug, result, [])
    comparison = exports.comparison_rows(result, sentences.comparison)
    names = {row.touchpoint.id: row.touchpoint.name for row in result.rows}
    language = get_locale().language if get_locale() else "en"
    choices = exports.choice_rows(choice_questions(campaign, dates, segment=segment), names, language)
    drivers = driver_rows(campaign_drivers(campaign, dates, segment), language, sentences.driver)
    # the themes as the comments page shows them without other filters (of the segment's respondents)
    found = campaign_themes(campaign, CommentFilters(dates=dates, segment=segment or Segment()))
    themes = theme_rows(found.themes, found.answers)
    periods = []
    for against in (Against.PREVIOUS, Against.LAST_YEAR):
        compared = period_comparison(campaign, against, dates, segment=segment)
        periods += period_rows(compared, sentences.period_sentence(compared, campaign.name))
    trend = trend_rows(campaign_trend(campaign, dates, segment=segment))
    return exports.Section(
        campaign.slug, result, comparison, choices, drivers, themes=themes, periods=periods, trend=trend
    )


def ratings_download(
    campaign: Campaign, dates: DateRange, fmt: str, dialect: CsvDialect = PLAIN, segment: Segment | None = None
) -> Download:
    """The campaign's rating rows (and comparisons with the rest of the campaign) as CSV, XLSX or JSON."""
    return campaigns_ratings_download(campaign.workspace, [campaign], dates, fmt, dialect, segment)


def campaigns_ratings_download(
    workspace: Workspace,
    campaigns: list[Campaign],
    dates: DateRange,
    fmt: str,
    dialect: CsvDialect = PLAIN,
    segment: Segment | None = None,
) -> Download:
    """Ratings of one campaign, or of several in one file (a first `campaign` column; in JSON one entry each);
    a CSV in `dialect`; of the respondents and visitors of `segment` when one is given."""
    if fmt not in RATING_FORMATS:
        raise UnknownFormat(_("Downloads come as CSV, XLSX or JSON."))
    if not campaigns:
        raise NoCampaigns(_("This workspace has no campaigns yet."))
    several = len(campaigns) > 1
    sections = [_section(campaign, dates, fmt, segment) for campaign in campaigns]
    filename = f"{workspace.slug if several else campaigns[0].slug}-ratings{_suffix(dates, segment)}.{fmt}"
    if fmt == "csv":
        return Download(exports.ratings_csv(sections, dialect.in_zone(workspace.timezone)), MIMETYPES[fmt], filename)
    if fmt == "json":
        period = {"period": _period(dates, workspace), "currency": workspace.currency}
        if segment is not None and segment.active:
            period["segment"] = _segment_meta(segment)
        if not several:
            meta = {"campaign": _campaign_meta(campaigns[0]), **period}
            return Download(exports.ratings_json(meta, exports.ratings_document(sections[0])), MIMETYPES[fmt], filename)
        meta = {"workspace": {"name": workspace.name, "slug": workspace.slug}, **period}
        parts = {
            "campaigns": [
                {"campaign": _campaign_meta(campaign), **exports.ratings_document(section)}
                for campaign, section in zip(campaigns, sections, strict=True)
            ]
        }
        return Download(exports.ratings_json(meta, parts), MIMETYPES[fmt], filename)
    currency = EXCEL_CURRENCY.get(workspace.currency, "#,##0.00")
    return Download(exports.ratings_xlsx(sections, _titles(), currency), MIMETYPES[fmt], filename)


def response_keys(workspace_id: int, campaign_ids: list[int]) -> list[str]:
    """Question keys of every survey version answered in the campaigns, in question order."""
    versions = (
        sa.select(Response.version_id)
        .where(
            Response.workspace_id == workspace_id,
            Response.touchpoint_id.in_(_touchpoints(workspace_id, campaign_ids)),
        )
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


def _touchpoints(workspace_id: int, campaign_ids: list[int]) -> sa.Select[tuple[int]]:
    return sa.select(Touchpoint.id).where(
        Touchpoint.campaign_id.in_(campaign_ids), Touchpoint.workspace_id == workspace_id
    )


def _json_list(documents: Iterable[dict[str, object]]) -> Iterator[str]:
    """A JSON array streamed one object at a time."""
    yield "["
    for index, document in enumerate(documents):
        yield ("," if index else "") + "\n  " + json.dumps(document, ensure_ascii=False, allow_nan=False)
    yield "\n]\n"


def responses_download(
    campaign: Campaign, dates: DateRange, fmt: str, dialect: CsvDialect = PLAIN, segment: Segment | None = None
) -> Download:
    """Raw responses of the campaign, one column per question key."""
    return campaigns_responses_download(campaign.workspace, [campaign], dates, fmt, dialect, segment)


def campaigns_responses_download(
    workspace: Workspace,
    campaigns: list[Campaign],
    dates: DateRange,
    fmt: str,
    dialect: CsvDialect = PLAIN,
    segment: Segment | None = None,
) -> Download:
    """Raw responses of one or several campaigns: CSV (in `dialect`) or XLSX (times typed, in the workspace's
    time zone) with one column per question key (and a first `campaign` column when there are several), or JSON,
    a list of objects with the answers keyed by question key."""
    if fmt not in RESPONSE_FORMATS:
        raise UnknownFormat(_("Responses come as CSV, XLSX or JSON."))
    if not campaigns:
        raise NoCampaigns(_("This workspace has no campaigns yet."))
    several = len(campaigns) > 1
    ids = [campaign.id for campaign in campaigns]
    period = dates.period(workspace.timezone)
    narrowing = segment.response_conditions() if segment is not None and segment.active else []
    records = response_records(
        workspace.id,
        Response.touchpoint_id.in_(_touchpoints(workspace.id, ids)),
        *period.where(Response.started_at),
        *narrowing,
    )
    filename = f"{workspace.slug if several else campaigns[0].slug}-responses{_suffix(dates, segment)}.{fmt}"
    if fmt == "json":
        return Download(_json_list(record.document() for record in records), MIMETYPES[fmt], filename)
    keys = response_keys(workspace.id, ids)
    lead = [CAMPAIGN_COLUMN] if several else []
    header = lead + RESPONSE_COLUMNS + keys
    rows = ([record.campaign] * len(lead) + record.row(keys) for record in records)
    if fmt == "csv":
        return Download(csv_stream(header, rows, dialect.in_zone(workspace.timezone)), MIMETYPES[fmt], filename)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Responses"))
    sheet.freeze_panes = "A2"
    sheet.append(header)
    zone = ZoneInfo(workspace.timezone)
    for row in rows:
        sheet.append([xlsx_cell(v, zone) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return Download(buffer.getvalue(), MIMETYPES[fmt], filename)


def all_campaigns(workspace_id: int) -> list[Campaign]:
    """Every campaign of the workspace, archived ones included, in the order they were made."""
    return list(db.session.scalars(owned(Campaign, workspace_id).order_by(Campaign.id)))


def cohort_download(
    campaign: Campaign, header: list[str], rows: list[list[object]], fmt: str, dialect: CsvDialect = PLAIN
) -> Download:
    """The cells of a cohort table (feedback/analysis/cohorts.py: COHORT_HEADER) as CSV or XLSX."""
    first = rows[0] if rows else None
    name = f"{campaign.slug}-cohorts-{first[0]}-by-{first[1]}" if first else f"{campaign.slug}-cohorts"
    if fmt == "csv":
        return Download(csv_stream(header, rows, dialect), MIMETYPES[fmt], f"{name}.csv")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Cohorts"))
    sheet.freeze_panes = "A2"
    sheet.append(header)
    for row in rows:
        sheet.append([xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return Download(buffer.getvalue(), MIMETYPES[fmt], f"{name}.xlsx")
