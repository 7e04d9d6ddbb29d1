"""Builders of customer histories: people who scan with or without the first-party cookie, answer, leave their
details, redeem coupons and are won by sales, each written straight into the tables at a given time."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from feedback.extensions import db
from feedback.leads import stages
from feedback.leads.models import ChangedBy, Contact
from feedback.offers.models import Coupon, Offer
from feedback.qr.models import Scan
from feedback.surveys.models import Response, Survey
from feedback.touchpoints.models import Touchpoint

_serial = itertools.count(1)


@dataclass
class History:
    """Writes one workspace's visits; `offers` holds one offer per campaign."""

    offers: dict[int, Offer] = field(default_factory=dict)

    def scan(self, touchpoint: Touchpoint, at: datetime, key: str, cookie: bool = True, bot: bool = False) -> Scan:
        """One scan of the touchpoint by a visitor key (a first-party cookie's, or a daily one)."""
        scan = Scan(
            workspace_id=touchpoint.workspace_id, touchpoint_id=touchpoint.id, scanned_at=at, visitor_key=key,
            visitor_from_cookie=cookie, device_class="mobile", is_bot=bot,
        )  # fmt: skip
        db.session.add(scan)
        db.session.flush()
        return scan

    def respond(
        self,
        touchpoint: Touchpoint,
        at: datetime,
        key: str,
        cookie: bool = True,
        kiosk: bool = False,
        flagged: bool = False,
    ) -> Response:
        """A scan and a completed response 40 seconds later."""
        scan = self.scan(touchpoint, at, key, cookie)
        version = db.session.get(Survey, touchpoint.survey_id).current
        response = Response(
            workspace_id=touchpoint.workspace_id, touchpoint_id=touchpoint.id, scan_id=scan.id, version_id=version.id,
            token=f"h-{next(_serial)}", visitor_key=key, language="de", started_at=at,
            completed_at=at + timedelta(seconds=40), kiosk=kiosk, flagged=flagged,
        )  # fmt: skip
        db.session.add(response)
        db.session.flush()
        return response

    def contact(self, response: Response, email: str, unconfirmed: bool = False) -> Contact:
        """The respondent leaves their details with consent (at the response's time)."""
        contact = Contact(
            workspace_id=response.workspace_id, touchpoint_id=response.touchpoint_id, name=email, email=email,
            consent_text="ok", consent_language="de", consented_at=response.completed_at,
            created_at=response.completed_at, unconfirmed=unconfirmed,
        )  # fmt: skip
        db.session.add(contact)
        db.session.flush()
        response.contact_id = contact.id
        db.session.flush()
        return contact

    def coupon(self, response: Response, redeemed: datetime | None = None, value: str | None = None) -> Coupon:
        """The offer's coupon for the response, redeemed at `redeemed` with order value `value` (or not at all)."""
        touchpoint = db.session.get(Touchpoint, response.touchpoint_id)
        offer = self.offers.get(touchpoint.campaign_id)
        if offer is None:
            offer = Offer(workspace_id=touchpoint.workspace_id, campaign_id=touchpoint.campaign_id, name="10 %",
                          texts={"de": "10 %"})  # fmt: skip
            db.session.add(offer)
            db.session.flush()
            self.offers[touchpoint.campaign_id] = offer
        coupon = Coupon(
            workspace_id=touchpoint.workspace_id, offer_id=offer.id, touchpoint_id=touchpoint.id,
            response_id=response.id, code=f"C{next(_serial):09d}", issued_at=response.completed_at,
            redeemed_at=redeemed, order_value=Decimal(value) if value is not None else None,
            redeemed_via="dashboard" if redeemed else "",
        )  # fmt: skip
        db.session.add(coupon)
        db.session.flush()
        return coupon

    def win(self, contact: Contact, at: datetime, value: str) -> None:
        """Sales accepts, qualifies and wins the lead at `at` with the order value."""
        for stage in ("sales_accepted", "sales_qualified", "won"):
            move = stages.Move(stage, order_value=Decimal(value) if stage == "won" else None)
            stages.move_stage(contact.workspace_id, contact.id, move, stages.Mover(ChangedBy.DASHBOARD), at)


def key(name: str) -> str:
    """A 32-character visitor key made from a short name."""
    return name.encode().hex().ljust(32, "0")[:32]
