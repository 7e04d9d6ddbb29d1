"""Offers and coupons: which offer a respondent gets, issuing a unique coupon, and redeeming it once at the till."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback import events
from feedback.errors import DomainError
from feedback.events import Bus, CouponRedeemed, ResponseCompleted
from feedback.extensions import db
from feedback.offers.models import MAX_ORDER_VALUE, Coupon, Offer
from feedback.qr.codes import InvalidCode, generate_code, group, normalise_code
from feedback.qr.services import end_of_day
from feedback.surveys.claims import count_coupon
from feedback.surveys.models import Response
from feedback.tenancy import get_owned, owned
from feedback.texts import Texts
from feedback.touchpoints.models import Campaign, Touchpoint

#: 10 × 5 = 50 random bits: not guessable at any rate the redemption limits allow.
COUPON_LENGTH = 10


class OfferError(DomainError):
    """An offer that cannot be saved as entered."""

    status = 422
    message = _l("This offer cannot be saved.")


class CouponRefused(DomainError):
    """A coupon that cannot be redeemed, with the reason; `reason` is a stable key for the API."""

    status = 409
    reason = "refused"

    def __init__(self, reason: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class OfferData:
    """What a marketer enters for an offer."""

    name: str
    #: What respondents read, in each language.
    text: Texts
    touchpoint_id: int | None = None
    with_coupon: bool = True
    valid_days: int | None = None
    valid_until: date | None = None


def _apply(offer: Offer, campaign: Campaign, data: OfferData) -> None:
    if not data.name.strip():
        raise OfferError(str(_l("Give the offer a name.")))
    if not data.text.stripped():
        raise OfferError(str(_l("Write what respondents get, in at least one language.")))
    if data.touchpoint_id is not None:
        touchpoint = db.session.get(Touchpoint, data.touchpoint_id)
        if touchpoint is None or touchpoint.campaign_id != campaign.id:
            raise OfferError(str(_l("Choose a touchpoint of this campaign.")))
    offer.name = data.name.strip()[:80]
    offer.texts = data.text.stripped(300).as_dict()
    offer.touchpoint_id = data.touchpoint_id
    offer.with_coupon = data.with_coupon
    offer.valid_days = data.valid_days or None
    offer.valid_until = end_of_day(data.valid_until, campaign.workspace.timezone) if data.valid_until else None


def create_offer(campaign: Campaign, data: OfferData) -> Offer:
    """A new offer of the campaign; the caller commits."""
    offer = Offer(workspace_id=campaign.workspace_id, campaign_id=campaign.id)
    _apply(offer, campaign, data)
    db.session.add(offer)
    db.session.flush()
    return offer


def set_archived(offer: Offer, archived: bool, now: datetime) -> None:
    """Archived offers are no longer shown or issued; their coupons can still be redeemed while valid."""
    offer.archived_at = now if archived else None


def offers_of(campaign: Campaign) -> list[Offer]:
    """The campaign's offers, active first."""
    return list(
        db.session.scalars(
            owned(Offer, campaign.workspace_id, Offer.campaign_id == campaign.id).order_by(
                Offer.archived_at.is_not(None), Offer.id
            )
        )
    )


def get_offer(workspace_id: int, offer_id: int) -> Offer:
    """One offer of the workspace or NotFound."""
    return get_owned(Offer, workspace_id, offer_id)


def offer_for(touchpoint: Touchpoint, now: datetime) -> Offer | None:
    """The active offer respondents of the touchpoint get: the touchpoint's own, else the campaign's."""
    candidates = db.session.scalars(
        owned(Offer, touchpoint.workspace_id, Offer.campaign_id == touchpoint.campaign_id, Offer.archived_at.is_(None))
        .where(sa.or_(Offer.touchpoint_id == touchpoint.id, Offer.touchpoint_id.is_(None)))
        .order_by(Offer.touchpoint_id.is_(None), Offer.id.desc())
    )
    for offer in candidates:
        if offer.valid_until is None or now < offer.valid_until:
            return offer
    return None


def may_issue_coupon(workspace_id: int, campaign_id: int, touchpoint_id: int) -> bool:
    """Whether a completion at the touchpoint may get a coupon: an offer with coupons is active for it (its own or
    the campaign's; expiry is left to `issue_coupon`)."""
    query = owned(
        Offer,
        workspace_id,
        Offer.campaign_id == campaign_id,
        Offer.archived_at.is_(None),
        Offer.with_coupon.is_(True),
        sa.or_(Offer.touchpoint_id == touchpoint_id, Offer.touchpoint_id.is_(None)),
    )
    if _kiosk_without_coupons(touchpoint_id):
        return False
    return db.session.scalar(query.with_only_columns(Offer.id).limit(1)) is not None


def _kiosk_without_coupons(touchpoint_id: int) -> bool:
    """A kiosk touchpoint whose coupons are off: its completions get no coupon (nobody could take it along)."""
    query = sa.select(Touchpoint.id).where(
        Touchpoint.id == touchpoint_id, Touchpoint.kiosk.is_(True), Touchpoint.kiosk_coupon == "off"
    )
    return db.session.scalar(query) is not None


def _fresh_code() -> str:
    while True:
        code = generate_code(COUPON_LENGTH)
        if db.session.scalar(sa.select(Coupon.id).where(Coupon.code == code)) is None:
            return code


def issue_coupon(response: Response, now: datetime, device: str = "") -> Coupon | None:
    """The response's coupon, issued in its transaction on completion (once); None without a coupon offer.

    Likely bots (flagged responses) get none: coupons are worth money. Nor does a network + device (`device`, the
    completing request's signature) beyond the campaign's coupon cap at this code in the current hour: its
    response is marked `coupon_withheld`, which the touchpoint's page counts.
    """
    if response.completed_at is None or response.flagged:
        return None
    existing = coupon_of(response)
    if existing is not None:
        return existing
    touchpoint = db.session.get(Touchpoint, response.touchpoint_id)
    if touchpoint is not None and _kiosk_without_coupons(touchpoint.id):
        return None
    offer = offer_for(touchpoint, now) if touchpoint else None
    if offer is None or not offer.with_coupon:
        return None
    cap = db.session.scalar(sa.select(Campaign.coupon_cap_per_hour).where(Campaign.id == offer.campaign_id)) or 0
    if cap and device and response.code_id is not None and not (touchpoint and touchpoint.kiosk):
        if count_coupon(response.workspace_id, response.code_id, device, response.token, now) > cap:
            response.coupon_withheld = True
            return None
    expiries = [
        e for e in (now + timedelta(days=offer.valid_days) if offer.valid_days else None, offer.valid_until) if e
    ]
    coupon = Coupon(
        workspace_id=response.workspace_id,
        offer_id=offer.id,
        touchpoint_id=response.touchpoint_id,
        response_id=response.id,
        code=_fresh_code(),
        issued_at=now,
        expires_at=min(expiries) if expiries else None,
    )
    db.session.add(coupon)
    db.session.flush()
    return coupon


def coupon_of(response: Response) -> Coupon | None:
    """The coupon issued for a response."""
    return db.session.scalar(sa.select(Coupon).where(Coupon.response_id == response.id))


def find_coupon(workspace_id: int, typed: str) -> Coupon:
    """The workspace's coupon a cashier typed or scanned (separators and confusable letters forgiven).

    :raises CouponRefused: malformed or unknown here (also when it belongs to another workspace).
    """
    try:
        code = normalise_code(typed, COUPON_LENGTH)
    except InvalidCode:
        raise CouponRefused(
            "malformed", str(_l("This is not a coupon code: it has 10 letters and digits.")), 404
        ) from None
    coupon = db.session.scalar(owned(Coupon, workspace_id, Coupon.code == code))
    if coupon is None:
        raise CouponRefused("unknown", str(_l("This coupon does not exist.")), 404)
    return coupon


def parse_order_value(value: Decimal | None) -> Decimal:
    """The order value, or CouponRefused for a missing, negative or absurd one."""
    if value is None:
        raise CouponRefused("order_value", str(_l("Enter the order value.")), 422)
    if value < 0 or value > MAX_ORDER_VALUE or value != value.quantize(Decimal("0.01")):
        raise CouponRefused(
            "order_value",
            str(
                _l(
                    "Enter an order value between 0 and %(max)s with at most two decimals.",
                    max=f"{MAX_ORDER_VALUE:,.2f}",
                )
            ),
            422,
        )
    return value


def redeem(
    workspace_id: int, typed: str, order_value: Decimal | None, now: datetime, via: str, user_id: int | None = None
) -> Coupon:
    """Redeem a coupon once, recording the order value; the caller commits.

    The update is conditional on "not yet redeemed", so two tills redeeming the same coupon at once cannot both
    succeed.

    :raises CouponRefused: unknown, already redeemed (when), expired (since when), bad order value.
    """
    value = parse_order_value(order_value)
    coupon = find_coupon(workspace_id, typed)
    if coupon.redeemed_at is not None:
        raise CouponRefused("already_redeemed", _already(coupon))
    if coupon.expires_at is not None and now >= coupon.expires_at:
        raise CouponRefused(
            "expired",
            # expiry is the first instant after the last valid day
            str(
                _l(
                    "This coupon was valid until %(day)s.",
                    day=_day(coupon.expires_at - timedelta(seconds=1), workspace_id),
                )
            ),
            410,
        )
    result = db.session.execute(
        sa.update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.redeemed_at.is_(None))
        .values(redeemed_at=now, order_value=value, redeemed_via=via, redeemed_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(coupon)
        raise CouponRefused("already_redeemed", _already(coupon))
    db.session.refresh(coupon)
    events.publish(CouponRedeemed(coupon.workspace_id, coupon.id, coupon.response_id, coupon.touchpoint_id, now))
    return coupon


def _day(moment: datetime, workspace_id: int) -> str:
    """The local day of a moment in the workspace's time zone, as Germans write it."""
    from zoneinfo import ZoneInfo

    from feedback.auth.models import Workspace

    zone = db.session.scalar(sa.select(Workspace.timezone).where(Workspace.id == workspace_id)) or "UTC"
    return moment.astimezone(ZoneInfo(zone)).strftime("%d.%m.%Y")


def _already(coupon: Coupon) -> str:
    when = _day(coupon.redeemed_at, coupon.workspace_id) if coupon.redeemed_at else ""
    return str(_l("This coupon was already redeemed on %(day)s.", day=when))


def display(code: str) -> str:
    """A coupon as printed and read aloud: ABCDE-FGHJK."""
    return group(code, 5)


# --- numbers for the ratings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revenue:
    """Coupons and redeemed order values of one touchpoint within a period."""

    issued: int = 0
    redeemed: int = 0
    revenue: Decimal = Decimal("0.00")


def revenue_numbers(
    workspace_id: int,
    touchpoint_ids: Iterable[int],
    start: datetime | None,
    end: datetime | None,
    responses: Sequence[sa.ColumnElement[bool]] | None = None,
) -> dict[int, Revenue]:
    """Per touchpoint: coupons issued within the period, and how many of those were redeemed, for how much; with
    `responses` (conditions on Response: an analysis segment) only the coupons of responses meeting them."""
    ids = list(touchpoint_ids)
    if not ids:
        return {}
    query = (
        sa.select(
            Coupon.touchpoint_id,
            sa.func.count(),
            sa.func.count(Coupon.redeemed_at),
            sa.func.coalesce(sa.func.sum(Coupon.order_value), 0),
        )
        .where(Coupon.workspace_id == workspace_id, Coupon.touchpoint_id.in_(ids))
        .group_by(Coupon.touchpoint_id)
    )
    if responses is not None:
        query = query.where(sa.exists().where(Response.id == Coupon.response_id, *responses))
    if start is not None:
        query = query.where(Coupon.issued_at >= start)
    if end is not None:
        query = query.where(Coupon.issued_at < end)
    return {
        tp: Revenue(issued, redeemed, Decimal(str(total)).quantize(Decimal("0.01")))
        for tp, issued, redeemed, total in db.session.execute(query)
    }


def offer_numbers(workspace_id: int, offer_ids: list[int]) -> dict[int, Revenue]:
    """Per offer: coupons issued, redeemed, and the redeemed order values."""
    if not offer_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Coupon.offer_id,
            sa.func.count(),
            sa.func.count(Coupon.redeemed_at),
            sa.func.coalesce(sa.func.sum(Coupon.order_value), 0),
        )
        .where(Coupon.workspace_id == workspace_id, Coupon.offer_id.in_(offer_ids))
        .group_by(Coupon.offer_id)
    )
    return {
        offer_id: Revenue(issued, redeemed, Decimal(str(total)).quantize(Decimal("0.01")))
        for offer_id, issued, redeemed, total in rows
    }


@dataclass(frozen=True)
class ThanksOffer:
    """What the thank-you page shows of an offer: its text and, where it has one, the respondent's coupon."""

    text: str
    #: The coupon as shown (grouped), and as the till's scanner reads it (bare code); None without a coupon.
    coupon: str | None
    coupon_code: str | None
    expires_at: object | None


def thanks_offer(
    response: Response, touchpoint: Touchpoint, language: str, now: datetime, fallback: str = "de"
) -> ThanksOffer | None:
    """The offer and the respondent's coupon for the thank-you page, in the respondent's language (else `fallback`,
    the workspace's main language); None when there is nothing to offer."""
    coupon = coupon_of(response)
    if coupon is not None:
        offer = db.session.get(Offer, coupon.offer_id)
        text = offer.text(language, fallback) if offer else ""
        return ThanksOffer(text, display(coupon.code), coupon.code, coupon.expires_at)
    if response.completed_at is None or response.flagged:
        return None
    offer = offer_for(touchpoint, now)
    if offer is None or offer.with_coupon:
        return None
    return ThanksOffer(offer.text(language, fallback), None, None, offer.valid_until)


def _issue_on_completion(event: ResponseCompleted) -> None:
    response = db.session.get(Response, event.response_id)
    if response is not None:
        issue_coupon(response, event.at, event.device)


def subscribe(bus: Bus) -> None:
    """A completed response gets the coupon of the touchpoint's offer, where it has one."""
    bus.subscribe(ResponseCompleted, _issue_on_completion, wants=may_issue_coupon)
