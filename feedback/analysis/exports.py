"""Downloads of ratings and comparisons: CSV (UTF-8 BOM), XLSX (typed cells, formats, frozen header) and JSON.

Column names are a contract for operators' scripts: add columns at the end, never rename or drop one.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from feedback.analysis import comparisons
from feedback.analysis.catalogue import BY_KEY, Unit
from feedback.analysis.choices import ChoiceQuestion
from feedback.analysis.driver_catalogue import DRIVER_HEADER, DRIVERS_HELP, driver_documents
from feedback.analysis.period_catalogue import PERIOD_HEADER, PERIODS_HELP, TREND_HEADER, TREND_HELP, documents
from feedback.analysis.ratings import CampaignRatings, TouchpointRating
from feedback.analysis.stats import Interval
from feedback.analysis.theme_catalogue import THEME_FIELDS, THEME_HEADER, THEMES_HELP, theme_documents
from feedback.exports import PLAIN, CsvDialect, csv_stream, safe_cell


@dataclass(frozen=True)
class Column:
    """One export column: stable key, kind (int, share, number, p, money, text, bool) and what it means."""

    key: str
    kind: str
    help: Any
    value: Callable[[TouchpointRating], object]


def _low(ci: Interval | None) -> float | None:
    return None if ci is None else ci.low


def _high(ci: Interval | None) -> float | None:
    return None if ci is None else ci.high


def value(key: str) -> Callable[[TouchpointRating], object]:
    """A column holding a catalogue metric's value."""
    metric = BY_KEY[key]
    return lambda row: metric.of(row).value


def low(key: str) -> Callable[[TouchpointRating], object]:
    """A column holding the lower end of a catalogue metric's interval."""
    metric = BY_KEY[key]
    return lambda row: _low(metric.of(row).ci)


def high(key: str) -> Callable[[TouchpointRating], object]:
    """A column holding the upper end of a catalogue metric's interval."""
    metric = BY_KEY[key]
    return lambda row: _high(metric.of(row).ci)


def n(key: str) -> Callable[[TouchpointRating], object]:
    """A column holding how many answers a catalogue metric rests on."""
    metric = BY_KEY[key]
    return lambda row: metric.of(row).n


def _metric_of(result: comparisons.Result | None) -> str | None:
    return None if result is None else result.test.value


COLUMNS: list[Column] = [
    Column(
        "rank",
        "int",
        _l("Rank by the lower 90 % bound of the rating; empty when not ranked (fewer than 10 answers)."),
        lambda r: r.rank,
    ),
    Column("touchpoint_id", "int", _l("Internal id of the touchpoint."), lambda r: r.touchpoint.id),
    Column("touchpoint", "text", _l("Touchpoint name."), lambda r: r.touchpoint.name),
    Column("channel", "text", _l("Channel key (flyer, poster, trade_fair …)."), lambda r: r.touchpoint.channel),
    Column("phase", "text", _l("Customer-journey phase key."), lambda r: r.touchpoint.phase),
    Column(
        "rating",
        "number",
        _l("Composite rating 0–100 (NPS 40 %, CSAT, CES, loyalty 20 % each), shrunk toward the campaign."),
        value("rating"),
    ),
    Column("rating_low", "number", _l("Lower end of the rating's approximate 95 % interval."), low("rating")),
    Column(
        "rating_high",
        "number",
        _l("Upper end of the rating's approximate 95 % interval."),
        high("rating"),
    ),
    Column("ranking_key", "number", _l("Rating − 1.645 × SD: what the rank sorts by."), lambda r: r.ranking_key),
    Column(
        "sample_flag",
        "text",
        _l("no_data, insufficient (1–9), low_precision (10–29) or ok, for the smallest metric asked."),
        lambda r: r.flag.value,
    ),
    Column(
        "quadrant",
        "text",
        _l(
            "Touchpoint matrix, a description and not advice: high_rating_many_visitors, high_rating_few_visitors, "
            "low_rating_many_visitors or low_rating_few_visitors (split at the medians of the ranked touchpoints; "
            "empty when not ranked)."
        ),
        lambda r: r.quadrant.value if r.quadrant else None,
    ),
    Column(
        "advice",
        "text",
        _l(
            "keep, grow, improve, cut (rethink or cut), make_cheaper or measure, from the position against the "
            "campaign, reach against the median and cost per promoter (see position); no_reach for a segment whose "
            "visitors are not counted (the position only)."
        ),
        lambda r: r.advice.value,
    ),
    Column("scans", "int", _l("Scans that reached the landing page (bots excluded)."), value("scans")),
    Column(
        "unique_visitors",
        "int",
        _l(
            "Visitors, counted per day: distinct visitors of each day, summed over the days of the period (visitors "
            "of different days cannot be linked, by design)."
        ),
        value("unique_visitors"),
    ),
    Column("reach", "int", _l("Copies printed, visitors or recipients as entered."), lambda r: r.touchpoint.reach),
    Column(
        "scan_rate",
        "share",
        _l("Visitors (counted per day) ÷ reach; no interval, as the visitors are not distinct people across days."),
        value("scan_rate"),
    ),
    Column(
        "starts",
        "int",
        _l("Survey starts (responses with at least one answer; flagged ones excluded)."),
        lambda r: r.summary.counts.starts,
    ),
    Column("completions", "int", _l("Completed responses."), lambda r: r.summary.counts.completions),
    Column("start_rate", "share", _l("Starts ÷ scans."), value("start_rate")),
    Column("completion_rate", "share", _l("Completions ÷ starts."), value("completion_rate")),
    Column(
        "completion_rate_low",
        "share",
        _l("Wilson 95 % interval, lower end."),
        low("completion_rate"),
    ),
    Column(
        "completion_rate_high",
        "share",
        _l("Wilson 95 % interval, upper end."),
        high("completion_rate"),
    ),
    Column("response_rate", "share", _l("Completions ÷ scans."), value("response_rate")),
    Column(
        "response_rate_low",
        "share",
        _l("Wilson 95 % interval, lower end."),
        low("response_rate"),
    ),
    Column(
        "response_rate_high",
        "share",
        _l("Wilson 95 % interval, upper end."),
        high("response_rate"),
    ),
    Column("nps_n", "int", _l("NPS answers."), n("nps")),
    Column("nps", "number", _l("Net Promoter Score in points (−100…100)."), value("nps")),
    Column(
        "nps_se",
        "number",
        _l("Wald standard error of the NPS in points; 0 when every answer is in one group: use the interval."),
        lambda r: r.summary.nps.se,
    ),
    Column("nps_low", "number", _l("Adjusted-Wald 95 % interval, lower end."), low("nps")),
    Column("nps_high", "number", _l("Adjusted-Wald 95 % interval, upper end."), high("nps")),
    Column(
        "nps_adj",
        "number",
        _l("Centre of the adjusted-Wald interval (pulled toward 0)."),
        lambda r: r.summary.nps.nps_adj,
    ),
    Column("promoters_share", "share", _l("Share of 9–10 answers."), lambda r: r.summary.nps.promoter_share),
    Column("passives_share", "share", _l("Share of 7–8 answers."), lambda r: r.summary.nps.passive_share),
    Column("detractors_share", "share", _l("Share of 0–6 answers."), lambda r: r.summary.nps.detractor_share),
    Column("csat_n", "int", _l("CSAT answers."), n("csat")),
    Column("csat", "share", _l("CSAT: share of 4–5 on the 1–5 scale."), value("csat")),
    Column("csat_low", "share", _l("Wilson 95 % interval, lower end."), low("csat")),
    Column("csat_high", "share", _l("Wilson 95 % interval, upper end."), high("csat")),
    Column("csat_mean", "number", _l("Mean satisfaction 1–5 (not the CSAT)."), value("csat_mean")),
    Column("csat_mean_low", "number", _l("t 95 % interval, lower end."), low("csat_mean")),
    Column("csat_mean_high", "number", _l("t 95 % interval, upper end."), high("csat_mean")),
    Column("ces_n", "int", _l("CES answers."), n("ces")),
    Column("ces_mean", "number", _l("Customer effort score 1–7 (7 = easiest)."), value("ces")),
    Column("ces_low", "number", _l("t 95 % interval, lower end."), low("ces")),
    Column("ces_high", "number", _l("t 95 % interval, upper end."), high("ces")),
    Column("loyalty_n", "int", _l("Loyalty answers (all 1–5 items pooled)."), n("loyalty")),
    Column("loyalty_mean", "number", _l("Mean of the loyalty items 1–5."), value("loyalty")),
    Column("loyalty_low", "number", _l("t 95 % interval, lower end."), low("loyalty")),
    Column("loyalty_high", "number", _l("t 95 % interval, upper end."), high("loyalty")),
    Column(
        "invites",
        "int",
        _l("Invites taken by the respondents who completed here in the period."),
        lambda r: r.referrals.invites,
    ),
    Column(
        "acceptances",
        "int",
        _l("Friends won: invited visitors who completed the survey (whenever they answered)."),
        lambda r: r.referrals.friends,
    ),
    Column(
        "acceptance_rate",
        "share",
        _l("Invites with at least one friend who completed ÷ invites issued (at most 100 %)."),
        value("acceptance_rate"),
    ),
    Column(
        "k_factor",
        "number",
        _l("Friends won ÷ respondents who completed here (invites per respondent × friends per invite)."),
        value("k_factor"),
    ),
    Column("cost", "money", _l("Cost of the touchpoint as entered."), lambda r: r.touchpoint.cost),
    Column("cost_per_scan", "money", _l("Cost ÷ scans."), lambda r: r.cost_per_scan),
    Column("cost_per_completion", "money", _l("Cost ÷ completed responses."), lambda r: r.cost_per_completion),
    Column("cost_per_promoter", "money", _l("Cost ÷ promoters (NPS 9–10)."), value("cost_per_promoter")),
    Column(
        "coupons_issued",
        "int",
        _l("Coupons issued to respondents here."),
        lambda r: r.touchpoint.outcomes.coupons_issued,
    ),
    Column("redemptions", "int", _l("Of those, redeemed."), lambda r: r.touchpoint.outcomes.redemptions),
    Column(
        "redemption_rate",
        "share",
        _l("Redemptions ÷ coupons issued; empty where no coupon was issued."),
        value("redemption_rate"),
    ),
    Column(
        "redemption_rate_low",
        "share",
        _l("Wilson 95 % interval, lower end."),
        low("redemption_rate"),
    ),
    Column(
        "redemption_rate_high",
        "share",
        _l("Wilson 95 % interval, upper end."),
        high("redemption_rate"),
    ),
    Column("revenue", "money", _l("Order values of the redeemed coupons."), lambda r: r.touchpoint.outcomes.revenue),
    Column("revenue_per_scan", "money", _l("Revenue ÷ scans."), lambda r: r.touchpoint.revenue_per_scan),
    Column(
        "return_on_cost",
        "number",
        _l("Revenue ÷ cost of the touchpoint (1 = it paid for itself)."),
        value("return_on_cost"),
    ),
    Column(
        "leads",
        "int",
        _l("People who left their contact details here, with consent."),
        lambda r: r.touchpoint.outcomes.leads,
    ),
    Column(
        "leads_qualified",
        "int",
        _l("Of those, marketing-qualified or sales-ready now."),
        lambda r: r.touchpoint.outcomes.leads_qualified,
    ),
    Column(
        "leads_sales_ready", "int", _l("Of those, sales-ready now."), lambda r: r.touchpoint.outcomes.leads_sales_ready
    ),
    Column(
        "position",
        "text",
        _l(
            "above, like or below the campaign: the first metric asked (NPS, else CSAT, effort, loyalty) against the "
            "rest of the campaign, Holm-adjusted over its touchpoints; like = not significant; empty when not ranked."
        ),
        lambda r: r.position.value if r.position else None,
    ),
    Column("position_metric", "text", _l("The metric that test compared."), lambda r: _metric_of(r.evidence)),
    Column(
        "position_p_holm",
        "p",
        _l("Holm-adjusted p of that test (the same value as on the comparisons sheet)."),
        lambda r: _significant(r.evidence.p_adjusted) if r.evidence else None,
    ),
    Column(
        "respondents",
        "int",
        _l("Respondents who completed here in the period (U of the k-factor)."),
        lambda r: r.referrals.completed,
    ),
    Column(
        "invites_accepted",
        "int",
        _l("Invites with at least one friend who completed."),
        lambda r: r.referrals.invites_accepted,
    ),
    Column(
        "acceptance_rate_low",
        "share",
        _l("Wilson 95 % interval, lower end."),
        low("acceptance_rate"),
    ),
    Column(
        "acceptance_rate_high",
        "share",
        _l("Wilson 95 % interval, upper end."),
        high("acceptance_rate"),
    ),
    Column(
        "friends_per_invite",
        "number",
        _l("Friends won ÷ invites issued (may exceed 1)."),
        value("friends_per_invite"),
    ),
    Column(
        "friends_per_invite_low",
        "number",
        _l("Seeded percentile bootstrap 95 % interval, lower end; empty below 10 invites."),
        low("friends_per_invite"),
    ),
    Column(
        "friends_per_invite_high",
        "number",
        _l("Bootstrap 95 % interval, upper end."),
        high("friends_per_invite"),
    ),
    Column(
        "k_factor_low",
        "number",
        _l("Seeded percentile bootstrap 95 % interval over the respondents, lower end; empty below 10."),
        low("k_factor"),
    ),
    Column("k_factor_high", "number", _l("Bootstrap 95 % interval, upper end."), high("k_factor")),
    Column(
        "loyalty_top2",
        "share",
        _l("Loyalty top-2-box: share of 4–5 on the loyalty items."),
        value("loyalty_top2"),
    ),
    Column("loyalty_top2_low", "share", _l("Wilson 95 % interval, lower end."), low("loyalty_top2")),
    Column("loyalty_top2_high", "share", _l("Wilson 95 % interval, upper end."), high("loyalty_top2")),
    Column("start_rate_low", "share", _l("Wilson 95 % interval, lower end."), low("start_rate")),
    Column("start_rate_high", "share", _l("Wilson 95 % interval, upper end."), high("start_rate")),
    *(
        Column(key, "int" if BY_KEY[key].unit == "count" else "number", BY_KEY[key].definition, value(key))
        for key in (
            "kiosk",
            "action_call",
            "action_calendar",
            "action_follow",
            "action_cta",
            "action_call_per_visitor",
            "action_calendar_per_visitor",
            "action_follow_per_visitor",
            "action_cta_per_visitor",
        )
    ),
    Column("won_customers", "int", BY_KEY["won_customers"].definition, value("won_customers")),
    Column("won_value", "money", BY_KEY["won_value"].definition, value("won_value")),
    Column("won_value_per_cost", "number", BY_KEY["won_value_per_cost"].definition, value("won_value_per_cost")),
    Column("customers", "int", BY_KEY["customers"].definition, value("customers")),
    Column(
        "repeat_customers",
        "int",
        _l("Of those customers, the ones with two purchases or more."),
        lambda r: r.touchpoint.outcomes.customers.repeat,
    ),
    Column("clv", "money", BY_KEY["clv"].definition, value("clv")),
    Column("clv_low", "money", _l("t 95 % interval of the mean, lower end (not below 0); empty below 2."), low("clv")),
    Column("clv_high", "money", _l("t 95 % interval of the mean, upper end."), high("clv")),
    Column(
        "repeat_purchase_rate",
        "share",
        BY_KEY["repeat_purchase_rate"].definition,
        value("repeat_purchase_rate"),
    ),
    Column("repeat_purchase_rate_low", "share", _l("Wilson 95 % interval, lower end."), low("repeat_purchase_rate")),
    Column("repeat_purchase_rate_high", "share", _l("Wilson 95 % interval, upper end."), high("repeat_purchase_rate")),
]
COMPARISON_HEADER = [
    "touchpoint",
    "compared_with",
    "metric",
    "n_a",
    "n_b",
    "difference",
    "ci_low",
    "ci_high",
    "p",
    "p_holm",
    "method",
    "verdict",
    "sentence",
    # added later: what `difference` measures (points, share, superiority), the interval's centre, the family size
    "effect",
    "ci_centre",
    "family",
]


def _plain(value: object) -> object:
    """JSON/CSV form: Decimals as numbers, floats rounded to 6 places, None stays empty."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _significant(p: float | None) -> float | None:
    """A p-value to 6 significant digits: never rounded to 0 (1e-12 stays 1e-12)."""
    return None if p is None else float(f"{p:.6g}")


def rating_rows(result: CampaignRatings) -> list[list[object]]:
    """One list of typed values per touchpoint, in COLUMNS order."""
    return [
        [_significant(v) if column.kind == "p" else _plain(v) for column in COLUMNS for v in (column.value(row),)]  # type: ignore[arg-type]
        for row in result.rows
    ]


def comparison_rows(
    result: CampaignRatings, sentence: Callable[[comparisons.Result, str, str], str]
) -> list[list[object]]:
    """Every touchpoint against the rest of its campaign: the same results (and adjusted p) as the pages."""
    rest_name = str(_l("rest of campaign"))
    return [
        [
            row.touchpoint.name,
            rest_name,
            r.test.value,
            r.n_a,
            r.n_b,
            _plain(r.effect),
            _plain(_low(r.ci)),
            _plain(_high(r.ci)),
            _significant(r.p),
            _significant(r.p_adjusted),
            r.method,
            r.verdict.value,
            sentence(r, row.touchpoint.name, rest_name),
            r.kind.value,
            _plain(r.centre),
            r.family,
        ]
        for row in result.rows
        for r in row.vs_rest
    ]


CHOICE_HEADER = [
    "question_key",
    "question",
    "multiple",
    "option",
    "option_label",
    "touchpoint_id",
    "touchpoint",
    "respondents",
    "chosen",
    "share",
    "share_low",
    "share_high",
    "p_holm",
]


def choice_rows(questions: list[ChoiceQuestion], names: dict[int, str], language: str) -> list[list[object]]:
    """Per choice question, option and touchpoint (then all touchpoints, empty id): respondents, how many chose the
    option, the share with its Wilson interval, and the Holm-adjusted p of the test across the touchpoints (of the
    option in a multiple-choice question, of the question otherwise)."""
    rows: list[list[object]] = []
    for question in questions:
        analysis = question.analysis
        p = {t.value: t.p_adjusted for t in analysis.tests}
        groups = [g for g in analysis.groups if g.respondents] + [analysis.total]
        for index, value in enumerate(analysis.values):
            for group in groups:
                option = group.options[index]
                rows.append(
                    [
                        question.spec.key,
                        question.spec.wording(language) or question.spec.key,
                        analysis.multiple,
                        value,
                        question.label(value, language),
                        group.key,
                        names.get(group.key, "") if group.key is not None else str(_l("all touchpoints")),  # type: ignore[call-overload]
                        group.respondents,
                        option.count,
                        _plain(option.share.share),
                        _plain(_low(option.share.ci)),
                        _plain(_high(option.share.ci)),
                        _significant(p.get(value if analysis.multiple else None)),
                    ]
                )
    return rows


CHOICES_HELP = _l(
    "One row per choice question, option and touchpoint (then all touchpoints): respondents = people who answered "
    "the question (partial responses count), chosen = how many of them chose the option, share with its Wilson 95 % "
    "interval; in a multiple-choice question shares add up to more than 100 %. p_holm: χ² (Fisher by permutation for "
    "small counts) across the touchpoints with at least 10 respondents, of the whole question (single choice) or of "
    "each option, Holm-adjusted over the options (multiple choice)."
)


#: The first column of a download that holds several campaigns (a single campaign's download has none).
CAMPAIGN_COLUMN = "campaign"
CAMPAIGN_HELP = _l("Campaign slug (only in downloads of several campaigns; ranks count within each campaign).")


@dataclass(frozen=True)
class Section:
    """One campaign's part of a download: its slug, ratings and comparisons with the rest of the campaign."""

    campaign: str
    result: CampaignRatings
    comparison: list[list[object]]
    #: Choice questions (CHOICE_HEADER rows); not in CSV downloads.
    choices: list[list[object]] = field(default_factory=list)
    #: Drivers of the NPS (DRIVER_HEADER rows); not in CSV downloads.
    drivers: list[list[object]] = field(default_factory=list)
    #: Themes of the open-text answers (THEME_HEADER rows, the marketer's edits applied); not in CSV downloads.
    themes: list[list[object]] = field(default_factory=list)
    #: The chosen days against the period before and a year earlier (PERIOD_HEADER rows); not in CSV downloads.
    periods: list[list[object]] = field(default_factory=list)
    #: Weekly NPS and completion rate (TREND_HEADER rows); not in CSV downloads.
    trend: list[list[object]] = field(default_factory=list)


def ratings_csv(sections: list[Section], dialect: CsvDialect = PLAIN) -> Iterator[str]:
    """Ratings as CSV text chunks in `dialect`; with several campaigns, each row starts with its campaign's slug."""
    if len(sections) == 1:
        return csv_stream([c.key for c in COLUMNS], rating_rows(sections[0].result), dialect)
    rows = ([section.campaign, *row] for section in sections for row in rating_rows(section.result))
    return csv_stream([CAMPAIGN_COLUMN, *(c.key for c in COLUMNS)], rows, dialect)


def ratings_document(section: Section) -> dict[str, object]:
    """A campaign's total, touchpoint rows and comparisons as JSON-ready values."""
    return {
        "campaign_rating": _plain(section.result.campaign_rating),
        "touchpoints": [dict(zip([c.key for c in COLUMNS], row, strict=True)) for row in rating_rows(section.result)],
        "comparisons": [dict(zip(COMPARISON_HEADER, row, strict=True)) for row in section.comparison],
        "choices": [dict(zip(CHOICE_HEADER, row, strict=True)) for row in section.choices],
        "drivers": driver_documents(section.drivers),
        "themes": theme_documents(section.themes),
        "periods": documents(PERIOD_HEADER, section.periods),
        "trend": documents(TREND_HEADER, section.trend),
    }


def ratings_json(meta: dict[str, object], parts: dict[str, object]) -> str:
    """One JSON document: `meta` (campaign or workspace, period, currency), the time it was made, then `parts`."""
    document = {**meta, "generated_at": datetime.now(UTC).isoformat(timespec="seconds"), **parts}
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)


FORMATS = {"share": "0.0%", "number": "0.00", "money": "#,##0.00", "int": "0"}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B5CAD")


def _sheet_header(sheet: Any, header: list[str], widths: list[int]) -> None:
    sheet.append(header)
    for index, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def ratings_xlsx(sections: list[Section], titles: dict[str, str], currency_format: str) -> bytes:
    """Workbook: ratings (typed numbers, % and decimal formats, frozen header), comparisons, column explanations;
    with several campaigns a first column names each row's campaign."""
    several = len(sections) > 1
    lead = [CAMPAIGN_COLUMN] if several else []
    book = Workbook()
    sheet = book.active
    sheet.title = titles["ratings"]
    widths = [max(10, min(28, len(c.key) + 3)) for c in COLUMNS]
    _sheet_header(sheet, lead + [c.key for c in COLUMNS], [24] * len(lead) + widths)
    for section in sections:
        for values in rating_rows(section.result):
            sheet.append([safe_cell(v) for v in [section.campaign] * len(lead) + values])
    for index, column in enumerate(COLUMNS, start=1 + len(lead)):
        number_format = currency_format if column.kind == "money" else FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.column_dimensions[get_column_letter(3 + len(lead))].width = 32  # the touchpoint's name

    compare_sheet = book.create_sheet(titles["comparisons"])
    compare_widths = [28, 20, 14, 8, 8, 12, 10, 10, 10, 10, 22, 20, 100, 12, 10, 8]
    _sheet_header(compare_sheet, lead + COMPARISON_HEADER, [24] * len(lead) + compare_widths)
    for section in sections:
        for values in section.comparison:
            compare_sheet.append([safe_cell(v) for v in [section.campaign] * len(lead) + values])
    for row in compare_sheet.iter_rows(min_row=2):
        numbers = row[5 + len(lead) : 10 + len(lead)]
        for cell, fmt in zip(numbers, ["0.000", "0.00", "0.00", "0.0000", "0.0000"], strict=True):
            cell.number_format = fmt

    choice_sheet = book.create_sheet(titles["choices"])
    _sheet_header(
        choice_sheet, lead + CHOICE_HEADER, [24] * len(lead) + [16, 40, 9, 16, 28, 12, 28, 12, 9, 9, 9, 9, 10]
    )
    for section in sections:
        for values in section.choices:
            choice_sheet.append([safe_cell(v) for v in [section.campaign] * len(lead) + values])
    for row in choice_sheet.iter_rows(min_row=2):
        for cell, fmt in zip(row[9 + len(lead) : 13 + len(lead)], ["0.0%", "0.0%", "0.0%", "0.0000"], strict=True):
            cell.number_format = fmt

    driver_sheet = book.create_sheet(titles["drivers"])
    widths = [16, 40, 12, 15, 14, 24, 7, 7, 9, 9, 9, 9, 10, 10, 7, 18, 6, 9, 100]
    _sheet_header(driver_sheet, lead + DRIVER_HEADER, [24] * len(lead) + widths)
    for section in sections:
        for values in section.drivers:
            driver_sheet.append([safe_cell(v) for v in [section.campaign] * len(lead) + values])
    for row in driver_sheet.iter_rows(min_row=2):
        for cell, fmt in zip(
            row[8 + len(lead) : 14 + len(lead)], ["0.00", "0.00", "0.00", "0.00", "0.0000", "0.0000"], strict=True
        ):
            cell.number_format = fmt

    theme_sheet = book.create_sheet(titles["themes"])
    widths = [20, 28, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 8, 10, 10, 7, 12, 60, 60, 60]
    _sheet_header(theme_sheet, lead + THEME_HEADER, [24] * len(lead) + widths)
    for section in sections:
        for values in section.themes:
            theme_sheet.append([safe_cell(v) for v in [section.campaign] * len(lead) + values])
    theme_formats = [
        "0.0%" if f.unit is Unit.SHARE else "0.0000" if f.key in ("p", "p_adjusted") else None for f in THEME_FIELDS
    ]
    for row in theme_sheet.iter_rows(min_row=2):
        for cell, fmt in zip(row[len(lead) :], theme_formats, strict=True):
            if fmt:
                cell.number_format = fmt
    for key, header, formats in (
        ("periods", PERIOD_HEADER, {"p": "0.0000", "p_holm": "0.0000"}),
        ("trend", TREND_HEADER, {"nps": "0.0", "completion_rate": "0.0%"}),
    ):
        view_sheet = book.create_sheet(titles[key])
        _sheet_header(view_sheet, lead + header, [24] * len(lead) + [max(9, min(40, len(h) + 4)) for h in header])
        for section in sections:
            for values in getattr(section, key):
                view_sheet.append([safe_cell(v) for v in [section.campaign] * len(lead) + values])
        for name, fmt in formats.items():
            column = len(lead) + header.index(name) + 1
            for (cell,) in view_sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = fmt

    help_sheet = book.create_sheet(titles["columns"])
    _sheet_header(help_sheet, [titles["column"], titles["meaning"]], [24, 110])
    if several:
        help_sheet.append([CAMPAIGN_COLUMN, str(CAMPAIGN_HELP)])
    for column in COLUMNS:
        help_sheet.append([column.key, str(column.help)])
    help_sheet.append([titles["choices"], str(CHOICES_HELP)])
    help_sheet.append([titles["drivers"], str(DRIVERS_HELP)])
    help_sheet.append([titles["themes"], str(THEMES_HELP)])
    help_sheet.append([titles["periods"], str(PERIODS_HELP)])
    help_sheet.append([titles["trend"], str(TREND_HELP)])
    for row in help_sheet.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
