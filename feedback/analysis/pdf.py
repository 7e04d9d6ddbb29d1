"""A one-page campaign summary for management (reportlab): ranking, journey map, key comparisons, advice."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from feedback.analysis import comparisons, rollups, sentences
from feedback.analysis.downloads import MIMETYPES, Download, _suffix
from feedback.analysis.ratings import CampaignRatings, TouchpointRating
from feedback.analysis.segments import Segment
from feedback.analysis.services import DateRange, campaign_ratings
from feedback.analysis.stats import NpsEstimate, Proportion
from feedback.templating import analysis_label, money, number, percent
from feedback.touchpoints.models import Campaign, Phase

MAX_ROWS = 14
#: The standard PDF fonts cover Latin-1 and a few more; map the rest to what they have.
_TEXT_FIXES = str.maketrans({"−": "-", "→": "->", "≥": ">=", "≤": "<=", "×": "x", "÷": "/", "θ": "theta"})

BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=8, leading=10)
SMALL = ParagraphStyle("small", parent=BASE, fontSize=7, leading=8.5, textColor=colors.HexColor("#5a636e"))
TITLE = ParagraphStyle("title", parent=BASE, fontName="Helvetica-Bold", fontSize=15, leading=18)
HEAD = ParagraphStyle(
    "head", parent=BASE, fontName="Helvetica-Bold", fontSize=10, leading=13, spaceBefore=6, spaceAfter=3
)


def _p(text: str, style: ParagraphStyle = BASE) -> Paragraph:
    return Paragraph(escape(text.translate(_TEXT_FIXES)), style)


def _nps_text(nps: NpsEstimate) -> str:
    if nps.nps is None or nps.ci is None:
        return "–"
    return f"{number(round(nps.nps))} ({number(round(nps.ci.low))}…{number(round(nps.ci.high))})"


def _share_text(share: Proportion | None) -> str:
    if share is None or share.share is None or share.ci is None:
        return "–"
    return f"{percent(share.share)} ({percent(share.ci.low)}…{percent(share.ci.high)})"


def _nps(row: TouchpointRating) -> str:
    return _nps_text(row.summary.nps)


def _rating(row: TouchpointRating) -> str:
    ci = row.rating_ci
    if row.rating is None or ci is None:
        return "–"
    return f"{number(round(row.rating))} ({number(round(ci.low))}…{number(round(ci.high))})"


def _table(data: list[list[object]], widths: list[float], align_right_from: int) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f1fb")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c5ccd3")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (align_right_from, 0), (-1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _key_comparisons(result: CampaignRatings) -> list[str]:
    """Best against worst ranked touchpoint, then touchpoints that differ significantly from the rest."""
    ranked = [row for row in result.rows if row.ranked]
    lines: list[str] = []
    if len(ranked) >= 2:
        best, worst = ranked[0], ranked[-1]
        # the same family as the compare page (every touchpoint of the campaign), so the same adjusted p
        groups = {row.touchpoint.id: row.summary for row in result.rows}
        found = comparisons.pairwise(groups, best.touchpoint.id, worst.touchpoint.id)
        lines += [sentences.comparison(r, best.touchpoint.name, worst.touchpoint.name) for r in found[:1]]
    return lines


def summary_pdf(
    campaign: Campaign, dates: DateRange, result: CampaignRatings, segment: str = "", scans_counted: bool = True
) -> bytes:
    """Render the summary (of a segment, described in `segment`); everything is scaled to stay on one A4 page."""
    story: list[object] = []
    start = format_date(dates.first, "medium") if dates.first else _("first scan")
    end = format_date(dates.last, "medium") if dates.last else _("today")
    period = f"{start} – {end}"
    story.append(_p(_("%(campaign)s – campaign summary", campaign=campaign.name), TITLE))
    story.append(
        _p(
            _(
                "Period: %(period)s · created %(day)s · 95 %% intervals in brackets",
                period=period,
                day=format_date(datetime.now(UTC).date(), "medium"),
            ),
            SMALL,
        )
    )
    if segment:
        story.append(_p(_("Segment: %(conditions)s", conditions=segment), SMALL))
    total = result.total
    facts = [
        (_("Scans"), number(total.counts.scans) if scans_counted else "–"),
        (_("Completed responses"), number(total.counts.completions)),
        (
            _("NPS"),
            "–" if total.nps.nps is None else _nps_text(total.nps),
        ),
        (_("CSAT"), _share_text(total.csat)),
        (_("Response rate"), _share_text(total.response_rate)),
        (
            _("Campaign rating"),
            "–" if result.campaign_rating is None else f"{number(round(result.campaign_rating))} ({_('no interval')})",
        ),
    ]
    story.append(Spacer(1, 4))
    facts_table = Table(
        [[_p(k, SMALL) for k, _v in facts], [_p(v, HEAD) for _k, v in facts]],
        colWidths=[27 * mm, 33 * mm, 30 * mm, 22 * mm, 27 * mm, 37 * mm],
    )
    story.append(facts_table)

    story.append(_p(_("Ranking"), HEAD))
    header = [
        _("#"),
        _("Touchpoint"),
        _("Rating"),
        _("NPS"),
        _("n"),
        _("CSAT"),
        _("Response rate"),
        _("Cost per promoter"),
        _("Advice"),
    ]
    rows = [[_p(h, SMALL) for h in header]]
    for row in result.rows[:MAX_ROWS]:
        rows.append(
            [
                str(row.rank or "–"),
                _p(row.touchpoint.name),
                _rating(row),
                _nps(row),
                number(row.summary.nps.n),
                _p(_share_text(row.summary.csat), SMALL),
                _p(_share_text(row.summary.response_rate), SMALL),
                money(row.cost_per_promoter, campaign.workspace.currency),
                _p(_advice_word(row)),
            ]
        )
    story.append(_table(rows, [7 * mm, 38 * mm, 20 * mm, 20 * mm, 9 * mm, 20 * mm, 22 * mm, 20 * mm, 24 * mm], 2))
    if len(result.rows) > MAX_ROWS:
        story.append(_p(_("%(n)s more touchpoints in the XLSX download.", n=len(result.rows) - MAX_ROWS), SMALL))
    story.append(
        _p(
            _(
                "Not ranked (–): fewer than 10 answers. Rating 0–100 combines NPS, CSAT, CES and loyalty, "
                "pulled toward the campaign for small samples."
            ),
            SMALL,
        )
    )

    story.append(_p(_("Customer journey"), HEAD))
    by_phase = {p: [r for r in result.rows if r.touchpoint.phase == p.value] for p in Phase}
    journey = [[_p(f"{i}. {_phase(p)}", SMALL) for i, p in enumerate(Phase, start=1)]]
    journey.append(
        [
            [
                _p(
                    f"{r.touchpoint.name}: NPS {_nps_text(r.summary.nps)}, n={r.summary.nps.n}",
                    SMALL,
                )
                for r in by_phase[p]
            ]
            or [_p("–", SMALL)]
            for p in Phase
        ]
    )
    story.append(_table(journey, [36 * mm] * 5, 5))

    key = _key_comparisons(result)
    if key:
        story.append(_p(_("Key comparison"), HEAD))
        story += [_p(line) for line in key]
    story.append(_p(_("What to do"), HEAD))
    for line in [sentences.advice(r, result, money) for r in result.rows if r.ranked][:8]:
        story.append(_p("• " + line))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("%(campaign)s – campaign summary", campaign=campaign.name),
        author="feedback",
    )
    doc.build([KeepInFrame(doc.width, doc.height, story, mode="shrink")])
    return buffer.getvalue()


def _phase(phase: Phase) -> str:
    from feedback.templating import phase_label

    return str(phase_label(phase.value))


def _advice_word(row: TouchpointRating) -> str:
    return str(analysis_label(row.advice))


def summary_download(
    campaign: Campaign, dates: DateRange, segment: Segment | None = None, described: str = ""
) -> Download:
    """The summary as a file to send (of the respondents and visitors of `segment`, described as `described`)."""
    result = campaign_ratings(campaign, dates, segment)
    name = f"{campaign.slug}-summary{_suffix(dates, segment)}.pdf"
    counted = rollups.scans_counted(campaign.workspace_id, dates.first, dates.last, segment)
    return Download(summary_pdf(campaign, dates, result, described, counted), MIMETYPES["pdf"], name)
