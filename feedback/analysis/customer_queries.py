"""Customers and their purchases, read from the database for the lifetime values and the cohorts.

A customer is a counted contact (as the lead numbers count them: first captured at one of the touchpoints, not
`unconfirmed`) with at least one purchase. A purchase is
- the contact's won order (its order value, at the time the lead was moved to won), or
- a redeemed coupon (its order value, at its redemption) of the response the contact left their details with, or of
  any response without contact details from the same first-party cookie visitor (the same phone coming back; a
  daily visitor key cannot be followed across days). Where two contacts share one cookie, such a coupon belongs to
  the first of them, so that no purchase counts twice.
Purchases are counted across the workspace (a customer acquired here who buys through another campaign's coupon
keeps buying: that is their lifetime value); the customer belongs to the touchpoint that acquired them.

The database filters, joins and groups; Python sees one row per purchase (purchases are few next to scans and
responses) and folds each customer's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from feedback.analysis.lifetime import ZERO, CustomerTotals
from feedback.extensions import db
from feedback.leads.models import Contact, Stage
from feedback.offers.models import Coupon
from feedback.qr.models import Scan
from feedback.surveys.models import Response


@dataclass(frozen=True)
class Customer:
    """One customer: who acquired them and when, their cookie visitor key (None without one) and their purchases
    as (when, order value), oldest first."""

    contact_id: int
    touchpoint_id: int
    first_at: datetime
    visitor_key: str | None
    purchases: tuple[tuple[datetime, Decimal], ...]

    @property
    def value(self) -> Decimal:
        """The lifetime value so far: the order values of all purchases."""
        return sum((value for _at, value in self.purchases), ZERO)


def counted_contacts(
    workspace_id: int,
    touchpoint_ids: Sequence[int],
    start: datetime | None = None,
    end: datetime | None = None,
    responses: Sequence[sa.ColumnElement[bool]] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """Conditions on Contact: first captured at these touchpoints (from `start` until before `end`), not left with
    an address another contact held, and with `responses` (an analysis segment) only those whose response meets
    them: the contacts the lead numbers count."""
    conditions = [
        Contact.workspace_id == workspace_id,
        Contact.touchpoint_id.in_(list(touchpoint_ids)),
        Contact.unconfirmed.is_(False),
    ]
    if responses is not None:
        conditions.append(sa.exists().where(Response.contact_id == Contact.id, *responses))
    if start is not None:
        conditions.append(Contact.created_at >= start)
    if end is not None:
        conditions.append(Contact.created_at < end)
    return conditions


def cookie_keys(workspace_id: int) -> sa.Subquery:
    """(contact_id, key): the first-party cookie visitor key of the response each confirmed contact left their
    details with (contacts whose response had no cookie, or came from a kiosk's shared screen, have none)."""
    return (
        sa.select(Response.contact_id.label("contact_id"), Response.visitor_key.label("key"))
        .join(Scan, Scan.id == Response.scan_id)
        .join(Contact, Contact.id == Response.contact_id)
        .where(
            Response.workspace_id == workspace_id,
            Scan.visitor_from_cookie.is_(True),
            Response.kiosk.is_(False),
            Contact.unconfirmed.is_(False),
        )
        .subquery()
    )


def _purchases(workspace_id: int) -> sa.Subquery:
    """(contact_id, at, value): every purchase of the workspace with the contact it belongs to (None: nobody's)."""
    keys = cookie_keys(workspace_id)
    owners = sa.select(keys.c.key, sa.func.min(keys.c.contact_id).label("contact_id")).group_by(keys.c.key).subquery()
    coupons = (
        sa.select(
            sa.func.coalesce(Response.contact_id, owners.c.contact_id).label("contact_id"),
            Coupon.redeemed_at.label("at"),
            Coupon.order_value.label("value"),
        )
        .select_from(Coupon)
        .join(Response, Response.id == Coupon.response_id)
        .outerjoin(owners, owners.c.key == Response.visitor_key)
        .where(Coupon.workspace_id == workspace_id, Coupon.redeemed_at.is_not(None))
    )
    won = sa.select(
        Contact.id.label("contact_id"),
        sa.func.coalesce(Contact.stage_changed_at, Contact.created_at).label("at"),
        Contact.order_value.label("value"),
    ).where(Contact.workspace_id == workspace_id, Contact.stage == Stage.WON.value)
    return sa.union_all(coupons, won).subquery()


def customers(
    workspace_id: int,
    touchpoint_ids: Sequence[int],
    start: datetime | None = None,
    end: datetime | None = None,
    responses: Sequence[sa.ColumnElement[bool]] | None = None,
) -> list[Customer]:
    """The customers the touchpoints acquired (contacts first captured there from `start` until before `end`),
    each with all their purchases so far, ordered by contact."""
    if not touchpoint_ids:
        return []
    bought = _purchases(workspace_id)
    keys = cookie_keys(workspace_id)
    rows = db.session.execute(
        sa.select(Contact.id, Contact.touchpoint_id, Contact.created_at, keys.c.key, bought.c.at, bought.c.value)
        .join(bought, bought.c.contact_id == Contact.id)
        .outerjoin(keys, keys.c.contact_id == Contact.id)
        .where(*counted_contacts(workspace_id, touchpoint_ids, start, end, responses))
        .order_by(Contact.id, bought.c.at)
    )
    found: dict[int, list] = {}
    heads: dict[int, tuple[int, datetime, str | None]] = {}
    for contact_id, touchpoint_id, created_at, key, at, value in rows:
        heads.setdefault(contact_id, (touchpoint_id, created_at, key))
        found.setdefault(contact_id, []).append((at, Decimal(str(value)).quantize(Decimal("0.01"))))
    return [Customer(cid, *heads[cid], tuple(purchases)) for cid, purchases in found.items()]


def customer_totals(
    workspace_id: int,
    touchpoint_ids: Sequence[int],
    start: datetime | None = None,
    end: datetime | None = None,
    responses: Sequence[sa.ColumnElement[bool]] | None = None,
) -> dict[int, CustomerTotals]:
    """Per touchpoint: the customers it acquired in the period, their purchases and lifetime values so far."""
    found: dict[int, CustomerTotals] = defaultdict(CustomerTotals)
    for customer in customers(workspace_id, touchpoint_ids, start, end, responses):
        found[customer.touchpoint_id] = found[customer.touchpoint_id].add(len(customer.purchases), customer.value)
    return dict(found)
