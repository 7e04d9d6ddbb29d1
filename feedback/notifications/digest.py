"""The weekly digest of one campaign: the week's numbers against the week before, its highest and lowest ranked
touchpoints, new leads and changed advice, composed as a mail (subject, plain text, HTML) in the reader's language.

Every number comes from the ratings of `analysis.services.campaign_ratings` for the week (the same rows the
ratings page shows), and every verdict from the test behind it (STATS.md §3, §11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from feedback.analysis import comparisons, sentences
from feedback.analysis.comparisons import Comparison, Result
from feedback.analysis.ratings import CampaignRatings, TouchpointRating
from feedback.analysis.services import DateRange, campaign_ratings
from feedback.analysis.stats import NpsEstimate
from feedback.leads.services import lead_numbers
from feedback.notifications.links import absolute_url
from feedback.templating import money
from feedback.touchpoints.models import Campaign
from feedback.touchpoints.services import touchpoints_of

#: At most this many touchpoints are listed at each end of the week's ranking.
LISTED = 3
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class AdviceChange:
    """A touchpoint whose advice changed this week: its rating rows up to the end of the week before and up to the
    end of this week, with the campaign ratings each was phrased against."""

    touchpoint_id: int
    name: str
    before: TouchpointRating
    after: TouchpointRating
    campaign_before: CampaignRatings
    campaign_after: CampaignRatings


@dataclass(frozen=True)
class DigestData:
    """Everything the digest of one campaign and one week (Monday to Sunday in the workspace's zone) shows."""

    campaign_id: int
    campaign_name: str
    workspace_slug: str
    workspace_name: str
    currency: str
    first: date
    last: date
    scans: int
    scans_before: int
    #: Responses completed in the week.
    completions: int
    completions_before: int
    #: The NPS of all the campaign's answers in the week and in the week before (n, adjusted-Wald interval).
    nps: NpsEstimate
    nps_before: NpsEstimate
    #: This week against the week before (adjusted-Wald z-test, STATS.md §3); None when a week has no NPS answer.
    change: Result | None
    #: The highest and lowest ranked touchpoints of the week, best first; no touchpoint is in both.
    top: tuple[TouchpointRating, ...]
    bottom: tuple[TouchpointRating, ...]
    #: Touchpoints answered in the week but with too few answers to be ranked.
    unranked: int
    #: Contacts first captured in the week, and how many of them are sales-ready now.
    leads: int
    leads_sales_ready: int
    advice_changes: tuple[AdviceChange, ...]


@dataclass(frozen=True)
class Rendered:
    """A composed mail."""

    subject: str
    text: str
    html: str


def week_before(today: date) -> date:
    """The Monday of the last complete week (Monday to Sunday) before `today`."""
    return today - timedelta(days=today.weekday()) - WEEK


def _listed(ratings: CampaignRatings) -> tuple[tuple[TouchpointRating, ...], tuple[TouchpointRating, ...]]:
    """The top and the bottom of the ranked touchpoints: at most three each, and the upper half at most on top, so
    that the two lists never share a touchpoint (two ranked: one each)."""
    ranked = sorted((row for row in ratings.rows if row.rank is not None), key=lambda row: row.rank or 0)
    top = ranked[: min(LISTED, math.ceil(len(ranked) / 2))]
    return tuple(top), tuple(ranked[len(top) :][-LISTED:])


def _advice_changes(before: CampaignRatings, after: CampaignRatings) -> tuple[AdviceChange, ...]:
    """Touchpoints whose advice (keep, grow, improve, rethink or cut, make cheaper, measure longer) differs between
    the two ratings; numbers that moved under the same advice are no change."""
    old = {row.touchpoint.id: row for row in before.rows}
    return tuple(
        AdviceChange(row.touchpoint.id, row.touchpoint.name, old[row.touchpoint.id], row, before, after)
        for row in after.rows
        if row.touchpoint.id in old and old[row.touchpoint.id].advice is not row.advice
    )


def _leads(campaign: Campaign, dates: DateRange) -> tuple[int, int]:
    """Contacts first captured at the campaign's touchpoints within the dates, and the sales-ready among them."""
    ids = [tp.id for tp in touchpoints_of(campaign, include_archived=True)]
    period = dates.period(campaign.workspace.timezone)
    found = lead_numbers(campaign.workspace_id, ids, period.start, period.end).values()
    return sum(n.contacts for n in found), sum(n.sales_ready for n in found)


def digest_data(campaign: Campaign, week_first: date) -> DigestData:
    """The digest of the week starting on Monday `week_first` (local dates of the workspace's zone)."""
    if week_first.weekday() != 0:
        raise ValueError(f"{week_first.isoformat()} is not a Monday")
    last = week_first + timedelta(days=6)
    week = campaign_ratings(campaign, DateRange(week_first, last))
    before = campaign_ratings(campaign, DateRange(week_first - WEEK, last - WEEK))
    found = comparisons.compare_one(Comparison.NPS, week.total, before.total)
    top, bottom = _listed(week)
    leads, sales_ready = _leads(campaign, DateRange(week_first, last))
    return DigestData(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        workspace_slug=campaign.workspace.slug,
        workspace_name=campaign.workspace.name,
        currency=campaign.workspace.currency,
        first=week_first,
        last=last,
        scans=week.total.counts.scans,
        scans_before=before.total.counts.scans,
        completions=week.total.counts.completions,
        completions_before=before.total.counts.completions,
        nps=week.total.nps,
        nps_before=before.total.nps,
        change=None if found is None else comparisons.adjust([found])[0],
        top=top,
        bottom=bottom,
        unranked=sum(1 for row in week.rows if row.rank is None and row.min_n > 0),
        leads=leads,
        leads_sales_ready=sales_ready,
        advice_changes=_advice_changes(
            campaign_ratings(campaign, DateRange(None, last - WEEK)), campaign_ratings(campaign, DateRange(None, last))
        ),
    )


def week_label(first: date, last: date) -> str:
    """The week as the subject names it: "30 Nov to 6 Dec 2026" / "30. Nov. bis 6. Dez. 2026"."""
    # the date patterns are translated: CLDR's skeletons give US English ("Nov 30") where the reader expects "30 Nov"
    with_year = _("d MMM y")
    start = format_date(first, with_year if first.year != last.year else _("d MMM"))
    return _("%(first)s to %(last)s", first=start, last=format_date(last, with_year))


def _touchpoint_url(data: DigestData, touchpoint_id: int) -> str:
    """The absolute link to one touchpoint's ratings page."""
    return absolute_url(
        "analysis.touchpoint", ws=data.workspace_slug, campaign_id=data.campaign_id, touchpoint_id=touchpoint_id
    )


def _sentences(data: DigestData) -> dict[str, object]:
    """The digest's sentences in the current language: the week-over-week test and each advice, old and new."""

    def amount(value: Decimal) -> str:
        return money(value, data.currency)

    change = (
        sentences.comparison(data.change, _("This week"), _("the week before"))
        if data.change is not None
        else _("No NPS answers in one of the two weeks: nothing to compare.")
    )
    advice = [
        {
            "change": item,
            "url": _touchpoint_url(data, item.touchpoint_id),
            "old": sentences.advice(item.before, item.campaign_before, amount),
            "new": sentences.advice(item.after, item.campaign_after, amount),
        }
        for item in data.advice_changes
    ]
    return {"change_sentence": change, "advice": advice}


def _links(data: DigestData) -> dict[str, object]:
    """Absolute links to the campaign's ratings and to each touchpoint listed."""
    rows = (*data.top, *data.bottom)
    return {
        "ratings_url": absolute_url("analysis.overview", ws=data.workspace_slug, campaign_id=data.campaign_id),
        "touchpoint_urls": {row.touchpoint.id: _touchpoint_url(data, row.touchpoint.id) for row in rows},
    }


def render_digest(data: DigestData, *, locale: str, unsubscribe_url: str, settings_url: str | None = None) -> Rendered:
    """The digest as a mail in `locale` ("de" or "en"): subject, plain-text part and HTML part."""
    with force_locale(locale):
        week = week_label(data.first, data.last)
        subject = _("Weekly report: %(campaign)s – %(week)s", campaign=data.campaign_name, week=week)
        context = {
            "data": data,
            "week": week,
            "subject": subject,
            "unsubscribe_url": unsubscribe_url,
            "settings_url": settings_url,
            **_sentences(data),
            **_links(data),
        }
        text = render_template("notifications/digest.txt", **context)
        html = render_template("notifications/digest.html", **context)
    return Rendered(subject, text, html)
