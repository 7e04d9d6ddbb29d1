"""Jinja filters and globals: numbers, money, dates and labels in the user's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, g
from flask_babel import format_currency, format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l

from feedback.qr.codes import group
from feedback.touchpoints.forms import CHANNEL_LABELS, PHASE_LABELS
from feedback.touchpoints.models import Channel, Phase

ROLE_LABELS = {"owner": _l("Owner"), "editor": _l("Editor"), "viewer": _l("Viewer")}
CODE_STATE_LABELS = {"active": _l("active"), "paused": _l("paused"), "expired": _l("expired")}
DEVICE_LABELS = {
    "mobile": _l("Phone"),
    "tablet": _l("Tablet"),
    "desktop": _l("Desktop"),
    "bot": _l("Bot"),
    "other": _l("Other"),
}


def money(value: Decimal | None, currency: str | None = None) -> str:
    """An amount in the workspace's currency, or an en dash when unknown."""
    if value is None:
        return "–"
    workspace = g.get("workspace")
    return format_currency(value, currency or (workspace.currency if workspace else "EUR"))


def number(value: int | float | Decimal | None) -> str:
    """A number with the language's grouping, or an en dash when unknown."""
    return "–" if value is None else format_decimal(value)


def percent(value: float | None) -> str:
    """A share as a percentage in the user's language (44 % / 44%), or an en dash when undefined."""
    return "–" if value is None else format_percent(value)


def percent1(value: float | None) -> str:
    """A share with one decimal in the user's language (16,4 % / 16.4%), or an en dash when undefined."""
    if value is None:
        return "–"
    pattern = get_locale().percent_formats[None].pattern  # "#,##0 %" in German, "#,##0%" in English
    last = pattern.rfind("0")
    return format_percent(value, format=pattern[: last + 1] + ".0" + pattern[last + 1 :])


def decimal2(value: float | None) -> str:
    """A ratio with two decimals in the user's language (0,14 / 0.14), or an en dash when undefined."""
    return "–" if value is None else format_decimal(value, format="0.00")


def day(value: date | None) -> str:
    """A calendar date in the language's medium format."""
    return "–" if value is None else format_date(value, "medium")


def local_time(value: datetime | None, timezone: str | None = None, style: str = "medium") -> str:
    """A UTC timestamp shown in the given or the current workspace's time zone."""
    if value is None:
        return "–"
    workspace = g.get("workspace")
    zone = ZoneInfo(timezone or (workspace.timezone if workspace else "Europe/Berlin"))
    return format_datetime(value.astimezone(zone).replace(tzinfo=None), style)


def last_day(value: datetime | None, timezone: str | None = None) -> str:
    """The last local day before an exclusive end (an expiry at midnight means "valid until the day before")."""
    if value is None:
        return "–"
    workspace = g.get("workspace")
    zone = ZoneInfo(timezone or (workspace.timezone if workspace else "Europe/Berlin"))
    return format_date((value.astimezone(zone) - timedelta(seconds=1)).date(), "medium")


def channel_label(value: str) -> str:
    """Translated channel name."""
    return str(CHANNEL_LABELS.get(Channel(value), value))


def phase_label(value: str) -> str:
    """Translated journey-phase name."""
    return str(PHASE_LABELS.get(Phase(value), value))


def role_label(value: str) -> str:
    """Translated role name."""
    return str(ROLE_LABELS.get(value, value))


def code_state_label(value: str) -> str:
    """Translated state of a code."""
    return str(CODE_STATE_LABELS.get(value, value))


def device_label(value: str) -> str:
    """Translated device class."""
    return str(DEVICE_LABELS.get(value, value))


def question_type_label(value: str) -> str:
    """Translated question type."""
    from feedback.surveys.forms import TYPE_LABELS
    from feedback.surveys.questions import QuestionType

    return str(TYPE_LABELS.get(QuestionType(value), value))


INVITE_POLICY_LABELS = {
    "everyone": _l("everyone who answers"),
    "promoters": _l("promoters only (NPS 9–10)"),
    "off": _l("nobody"),
}


def invite_policy_label(value: str) -> str:
    """Translated invite policy."""
    return str(INVITE_POLICY_LABELS.get(value, value))


ANALYSIS_LABELS = {
    "effective": _l("effective"),
    "high_rating_many_visitors": _l("higher rating · more visitors"),
    "high_rating_few_visitors": _l("higher rating · fewer visitors"),
    "low_rating_many_visitors": _l("lower rating · more visitors"),
    "low_rating_few_visitors": _l("lower rating · fewer visitors"),
    "above": _l("above the campaign"),
    "like": _l("like the campaign"),
    "below": _l("below the campaign"),
    "make_cheaper": _l("make cheaper"),
    "keep": _l("keep"),
    "grow": _l("grow"),
    "improve": _l("improve"),
    "cut": _l("rethink or cut"),
    "measure": _l("measure longer"),
    "no_reach": _l("no budget advice (visitors not counted)"),
    "no_data": _l("no data"),
    "insufficient": _l("too few answers"),
    "low_precision": _l("low precision (n < 30)"),
    "ok": "",
    "higher": _l("higher"),
    "lower": _l("lower"),
    "not_enough_evidence": _l("not enough evidence"),
    "no_variation": _l("no variation"),
    "too_few": _l("too few answers"),
}


def analysis_label(value: object) -> str:
    """Translated quadrant, advice, sample flag or verdict."""
    key = getattr(value, "value", value)
    return str(ANALYSIS_LABELS.get(str(key), key or ""))


def score(value: float | None) -> str:
    """A rating or NPS rounded to whole points, or an en dash."""
    return "–" if value is None else format_decimal(round(value))


def mean2(value: float | None) -> str:
    """A mean score with one decimal, or an en dash."""
    return "–" if value is None else format_decimal(value, format="0.0")


def points1(value: float | None, signed: bool = True) -> str:
    """Percentage points with one decimal and a real minus sign ("+31.7", "−11.9"), or an en dash."""
    if value is None:
        return "–"
    return format_decimal(value, format="+0.0;−0.0" if signed else "0.0;−0.0")


@dataclass(frozen=True)
class DownloadChoice:
    """One link of a download menu: the file format, the CSV dialect's query value (None: plain) and its label."""

    fmt: str
    dialect: str | None
    label: str


def download_choices(*formats: str) -> list[DownloadChoice]:
    """The download links of the given formats (all when none are given), the one that opens by double-click in the
    user's spreadsheet first: the CSV for German Excel when the dashboard speaks German, the workbook otherwise.
    Plain CSV carries no query value, so its links stay the URLs of before."""
    excel = DownloadChoice("xlsx", None, str(_l("Excel")))
    plain = DownloadChoice("csv", None, str(_l("CSV, machine-readable")))
    german = DownloadChoice("csv", "excel-de", str(_l("CSV for German Excel")))
    json = DownloadChoice("json", None, "JSON")
    locale = get_locale()
    order = [german, excel, plain, json] if locale and locale.language == "de" else [excel, plain, german, json]
    return [choice for choice in order if not formats or choice.fmt in formats]


def init_app(app: Flask) -> None:
    """Register the filters."""
    app.add_template_filter(money)
    app.add_template_filter(number)
    app.add_template_filter(percent)
    app.add_template_filter(percent1)
    app.add_template_filter(decimal2)
    app.add_template_filter(points1)
    app.add_template_filter(day)
    app.add_template_filter(local_time)
    app.add_template_filter(last_day)
    app.add_template_filter(channel_label)
    app.add_template_filter(phase_label)
    app.add_template_filter(role_label)
    app.add_template_filter(code_state_label)
    app.add_template_filter(device_label)
    app.add_template_filter(question_type_label)
    app.add_template_filter(invite_policy_label)
    app.add_template_filter(group, "code_group")
    app.add_template_filter(analysis_label)
    app.add_template_filter(score)
    app.add_template_filter(mean2)
    app.add_template_global(download_choices)
