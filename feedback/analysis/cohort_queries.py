"""The cohorts of a campaign, counted by the database: who was first seen in which month at which touchpoint, and
who came back in which month after (docs/STATISTICS.md §7).

- Respondents are first-party cookie visitors who completed a survey at one of the campaign's touchpoints (not on
  a kiosk's shared screen); their first contact is their first such response. They came back in a month when the
  same cookie scanned any code of the workspace or completed a survey there. Respondents without the cookie cannot
  be followed across days (by design, their key changes daily) and are counted apart as `left_out`.
- Customers are the customers of `customer_queries` the campaign's touchpoints acquired; their first contact is
  when they left their details. They came back in a month when they bought (a won order, a redeemed coupon) or
  their cookie scanned or completed a survey anywhere in the workspace.

Months are the workspace's local calendar months; the window is the current month and the MONTHS − 1 before it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from feedback.analysis.cohorts import By, CohortTable, Who, cohort_table
from feedback.analysis.customer_queries import cookie_keys, counted_contacts, customers
from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.qr.models import Scan, ScanOutcome
from feedback.surveys.models import Response
from feedback.touchpoints.models import Campaign
from feedback.touchpoints.services import touchpoints_of

#: Months in the window, the current one included: a year of cohorts and eleven months after the oldest.
MONTHS = 13


def month_starts(now: datetime, timezone: str, months: int = MONTHS) -> tuple[list[date], list[datetime]]:
    """The first local day of each month of the window (oldest first, the current month last) and the UTC instant
    each begins at, with one more: the start of the next month."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone).date()
    index = local.year * 12 + local.month - 1
    firsts = [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 2)]
    return firsts[:-1], [datetime.combine(day, time(), zone).astimezone(ZoneInfo("UTC")) for day in firsts]


@dataclass(frozen=True)
class CohortCounts:
    """What the database counted for one kind of cohort (the inputs of `cohorts.cohort_table`)."""

    sizes: dict[tuple[int, int], int]
    returns: dict[tuple[int, int, int], int]
    left_out: int = 0


def _month_of(column: sa.ColumnElement[datetime], bounds: list[datetime]) -> sa.ColumnElement[int]:
    """The window's month index of a UTC instant: −1 before it, len(bounds) − 1 after it."""
    return sa.case(
        (column < bounds[0], -1),
        *((column < bound, i) for i, bound in enumerate(bounds[1:])),
        else_=len(bounds) - 1,
    )


def _activity(workspace_id: int) -> sa.Subquery:
    """(key, at): every counted scan of a first-party cookie and every counted completion in the workspace."""
    scans = sa.select(Scan.visitor_key.label("key"), Scan.scanned_at.label("at")).where(
        Scan.workspace_id == workspace_id,
        Scan.visitor_from_cookie == sa.true(),  # "= 1", as the partial index ix_scan_cookie_visitor says
        Scan.is_bot.is_(False),
        Scan.outcome != ScanOutcome.TEAM.value,
    )
    completions = sa.select(Response.visitor_key.label("key"), Response.completed_at.label("at")).where(
        Response.workspace_id == workspace_id, Response.completed_at.is_not(None), Response.flagged.is_(False)
    )
    return sa.union_all(scans, completions).subquery()


def _respondents(workspace_id: int, touchpoint_ids: list[int], bounds: list[datetime]) -> CohortCounts:
    """Cohort sizes and returns of the campaign's respondents, and the completions in the window left out."""
    counted = [
        Response.workspace_id == workspace_id,
        Response.touchpoint_id.in_(touchpoint_ids),
        Response.completed_at.is_not(None),
        Response.flagged.is_(False),
    ]
    followed = sa.and_(Scan.visitor_from_cookie.is_(True), Response.kiosk.is_(False))
    ranked = (
        sa.select(
            Response.visitor_key.label("key"),
            Response.touchpoint_id.label("tp"),
            Response.completed_at.label("at"),
            sa.func.row_number()
            .over(partition_by=Response.visitor_key, order_by=(Response.completed_at, Response.id))
            .label("nth"),
        )
        .join(Scan, Scan.id == Response.scan_id)
        .where(*counted, followed)
        .subquery()
    )
    members = (
        sa.select(ranked.c.key, ranked.c.tp, ranked.c.at, _month_of(ranked.c.at, bounds).label("month"))
        .where(ranked.c.nth == 1)
        .subquery()
    )
    current = len(bounds) - 2
    sizes = {
        (month, tp): n
        for month, tp, n in db.session.execute(
            sa.select(members.c.month, members.c.tp, sa.func.count())
            .where(members.c.month.between(0, current))
            .group_by(members.c.month, members.c.tp)
        )
    }
    activity = _activity(workspace_id)
    # the month after the first is a column of a subquery: grouping by the CASE itself would bind its instants twice
    later = (
        sa.select(
            members.c.key,
            members.c.month,
            members.c.tp,
            (_month_of(activity.c.at, bounds) - members.c.month).label("k"),
        )
        .join(activity, activity.c.key == members.c.key)
        .where(members.c.month >= 0, activity.c.at < bounds[current])
        .subquery()
    )
    returns = {
        (month, tp, after): n
        for month, tp, after, n in db.session.execute(
            sa.select(later.c.month, later.c.tp, later.c.k, sa.func.count(sa.distinct(later.c.key)))
            .where(later.c.k >= 1)
            .group_by(later.c.month, later.c.tp, later.c.k)
        )
    }
    left_out = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Response)
        .outerjoin(Scan, Scan.id == Response.scan_id)
        .where(*counted, Response.completed_at >= bounds[0], sa.not_(sa.func.coalesce(followed, sa.false())))
    )
    return CohortCounts(sizes, returns, left_out or 0)


def _customers(workspace_id: int, touchpoint_ids: list[int], bounds: list[datetime]) -> CohortCounts:
    """Cohort sizes and returns of the customers the campaign's touchpoints acquired."""
    current = len(bounds) - 2

    def month(at: datetime) -> int:
        return bisect.bisect_right(bounds, at) - 1

    found = customers(workspace_id, touchpoint_ids)
    active: dict[int, set[int]] = defaultdict(set)
    for customer in found:
        active[customer.contact_id].update(month(at) for at, _value in customer.purchases if at > customer.first_at)
    keys, activity = cookie_keys(workspace_id), _activity(workspace_id)
    visits = (
        sa.select(Contact.id.label("contact_id"), _month_of(activity.c.at, bounds).label("month"))
        .join(keys, keys.c.contact_id == Contact.id)
        .join(activity, activity.c.key == keys.c.key)
        .where(*counted_contacts(workspace_id, touchpoint_ids), activity.c.at > Contact.created_at)
        .subquery()
    )
    for contact_id, index in db.session.execute(sa.select(visits.c.contact_id, visits.c.month).distinct()):
        if contact_id in active:
            active[contact_id].add(index)
    sizes: dict[tuple[int, int], int] = defaultdict(int)
    returns: dict[tuple[int, int, int], int] = defaultdict(int)
    for customer in found:
        first = month(customer.first_at)
        if not 0 <= first <= current:
            continue
        sizes[first, customer.touchpoint_id] += 1
        for index in active[customer.contact_id]:
            if first < index < current:
                returns[first, customer.touchpoint_id, index - first] += 1
    return CohortCounts(dict(sizes), dict(returns))


def campaign_cohorts(campaign: Campaign, who: Who, by: By, timezone: str, now: datetime) -> CohortTable:
    """The campaign's cohort table of respondents or customers, by month or touchpoint of first contact, in the
    window that ends with the current month of `now`."""
    touchpoints = touchpoints_of(campaign, include_archived=True)
    ids = [tp.id for tp in touchpoints]
    months, bounds = month_starts(now, timezone)
    if not ids:
        return cohort_table(who, by, months, {}, {})
    count = _respondents if who is Who.RESPONDENTS else _customers
    counts = count(campaign.workspace_id, ids, bounds)
    return cohort_table(who, by, months, counts.sizes, counts.returns, ids, counts.left_out)
