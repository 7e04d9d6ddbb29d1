"""The pages a customer's phone shows: landing page, survey page, "already answered", thank-you page.

The thank-you page's steps come as data from the features that own them (the offer and its coupon from
feedback.offers, the invite from feedback.referrals, the contact step from feedback.leads); this module turns them
into what the templates show (links, QR symbols, share texts). The survey builder's preview renders the survey page
from here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from urllib.parse import quote

from flask import Response, current_app, make_response, render_template, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.i18n import current_language
from feedback.leads import services as leads
from feedback.offers import services as offers
from feedback.qr.codes import group
from feedback.qr.rendering import QrOptions, qr_url, render_svg
from feedback.qr.services import ResolvedCode
from feedback.referrals import services as referrals
from feedback.respondent import respond
from feedback.surveys.models import Response as SurveyResponse
from feedback.surveys.models import SurveyVersion
from feedback.touchpoints.models import Campaign, KioskCoupon

#: A form left open over a weekend day still submits.
FORM_MAX_AGE = 2 * 24 * 3600
#: A kiosk's thank-you page makes way for the next person after this many seconds, or after KIOSK_COUPON_RESET
#: when it shows a coupon to scan (time to take out a phone).
KIOSK_RESET = 10
KIOSK_COUPON_RESET = 45
#: A kiosk shows a coupon's QR symbol only this long after the completion: the next person going back in the
#: browser's history finds the thank-you page without the previous person's coupon.
KIOSK_COUPON_SECONDS = 120


def _serializer() -> URLSafeTimedSerializer:
    """Signs the hidden form state so nobody can change the scan, code or version it names."""
    return _serializer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=8)
def _serializer_for(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="survey-form")


def sign_state(state: respond.FormState) -> str:
    """The signed hidden field of a survey form (the benchmark signs its own forms with it too)."""
    return _serializer().dumps(asdict(state))


def unsign_state(value: str) -> respond.FormState | None:
    """The form state of a submitted form; None when it was changed, is too old or is not ours."""
    try:
        data = _serializer().loads(value[:1000], max_age=FORM_MAX_AGE)
        return respond.FormState(**data)
    except (BadSignature, TypeError, ValueError):
        return None


def no_store(response: Response) -> Response:
    """Respondent pages never come from a cache: a cached scan would not be counted, a cached form not be ours."""
    response.headers["Cache-Control"] = "no-store"
    return response


def landing_page(resolved: ResolvedCode, status: int = 200) -> Response:
    """The touchpoint's landing page without a survey."""
    html = render_template(
        "respondent/landing.html", resolved=resolved, touchpoint=resolved.touchpoint, language=current_language()
    )
    return no_store(make_response(html, status))


def already_answered_page(resolved: ResolvedCode) -> Response:
    """This phone answered here recently."""
    html = render_template("respondent/already.html", resolved=resolved, language=current_language())
    return no_store(make_response(html))


def survey_page(
    resolved: ResolvedCode,
    version: SurveyVersion,
    state: respond.FormState,
    page: int,
    answers: dict[str, object],
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
    moment: bool = False,
    preview: dict[str, object] | None = None,
) -> Response:
    """The landing page with one page of the survey; `moment`: above it, the request to check the answers and send
    them again (the page was sent faster than a person reads it); `preview`: the builder's preview, whose form goes
    by GET to `preview["action"]` carrying the answers so far (`preview["carried"]`, name and value pairs)."""
    all_pages = respond.survey_pages(version)
    questions = [q for q in all_pages[page] if q.visible(answers)]
    html = render_template(
        "respondent/landing.html",
        resolved=resolved,
        touchpoint=resolved.touchpoint,
        language=current_language(),
        survey={
            "questions": questions,
            "answers": answers,
            "errors": errors or {},
            "state": sign_state(state),
            "page": page,
            "pages": len(all_pages),
            "notice": notice,
            "honeypot": respond.HONEYPOT,
            # where a text is missing in the visitor's language: the survey's own language
            "fallback": version.survey.language,
            "moment": moment,
            "preview": preview,
        },
    )
    return no_store(make_response(html, status))


def invite_url(code: str) -> str:
    """The invite link people share: PUBLIC_BASE_URL/i/<code>."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/i/{code}"


def invite_qr_url(code: str) -> str:
    """What the on-screen QR symbol encodes: upper case (/I/), so the symbol uses alphanumeric mode."""
    return qr_url(current_app.config["PUBLIC_BASE_URL"], code).replace("/T/", "/I/")


def _invite_panel(step: referrals.ThanksInvite | None, brand: str) -> dict[str, object] | None:
    if step is None:
        return None
    panel: dict[str, object] = {"incentive": step.incentive, "token": step.token, "invite": step.invite}
    if step.invite is not None:
        url = invite_url(step.invite.code)
        text = _("Have a look – I answered a 30-second survey for %(brand)s: %(url)s", brand=brand, url=url)
        panel.update(
            url=url,
            code=group(step.invite.code),
            qr=Markup(render_svg(invite_qr_url(step.invite.code), QrOptions(size_mm=35))),  # noqa: S704 - our SVG
            whatsapp=f"https://wa.me/?text={quote(text)}",
            mail=f"mailto:?subject={quote(brand)}&body={quote(text)}",
            sms=f"sms:?&body={quote(text)}",
            share_text=text,
        )
    return panel


@dataclass(frozen=True)
class OfferPanel:
    """What the thank-you page shows of the offer, with the coupon as a QR symbol for the till's scanner."""

    text: str
    coupon: str | None
    expires_at: object | None
    qr: Markup | None = None


def _offer_panel(step: offers.ThanksOffer | None) -> OfferPanel | None:
    if step is None:
        return None
    symbol = None
    if step.coupon_code:
        symbol = Markup(render_svg(step.coupon_code, QrOptions(size_mm=25)))  # noqa: S704 - our SVG of [0-9A-Z]
    return OfferPanel(step.text, step.coupon, step.expires_at, symbol)


def coupon_page_url(code: str, token: str) -> str:
    """The coupon page of a response, as a kiosk's QR symbol encodes it (PUBLIC_BASE_URL/t/<code>/coupon?r=…)."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for("respondent.coupon", raw=code, r=token)


def _kiosk_offer(step: offers.ThanksOffer | None, code: str, response: SurveyResponse) -> KioskOffer | None:
    """A kiosk's offer: its text, and the coupon as a QR symbol of the coupon page to scan with one's own phone,
    shown only shortly after the completion (never the coupon itself, which the next person would see)."""
    if step is None:
        return None
    completed = response.completed_at
    fresh = completed is not None and (utcnow() - completed).total_seconds() <= KIOSK_COUPON_SECONDS
    if not step.coupon_code:
        return KioskOffer(step.text, None, None)
    if not fresh:
        return None
    url = coupon_page_url(code, response.token)
    return KioskOffer(step.text, url, Markup(render_svg(url, QrOptions(size_mm=40))))  # noqa: S704 - our SVG


@dataclass(frozen=True)
class KioskOffer:
    """What a kiosk's thank-you page shows of the offer: its text and the coupon page's QR symbol (None: no coupon,
    or no longer shown)."""

    text: str
    url: str | None
    qr: Markup | None


def _kiosk_thanks(resolved: ResolvedCode, response: SurveyResponse, language: str) -> Response:
    """A kiosk's thank-you page: thanks, the coupon as a QR symbol for one's own phone (where the touchpoint shows
    coupons), and a reset to a fresh survey for the next person (a refresh without JavaScript, and a button).
    No invite and no contact step: nothing of one person is left for the next."""
    offer = None
    if resolved.touchpoint.kiosk_coupon == KioskCoupon.QR:
        step = offers.thanks_offer(response, resolved.touchpoint, language, utcnow(), resolved.main_language)
        offer = _kiosk_offer(step, resolved.code.code, response)
    html = render_template(
        "respondent/kiosk_thanks.html",
        resolved=resolved,
        language=language,
        offer=offer,
        next_url=url_for("respondent.scan", raw=resolved.code.code, via="kiosk"),
        reset=KIOSK_COUPON_RESET if offer and offer.qr else KIOSK_RESET,
        team=response.flag_reason.split(",")[0] == respond.TEAM,
    )
    return no_store(make_response(html))


def coupon_page(resolved: ResolvedCode, response: SurveyResponse) -> Response | None:
    """The coupon of a response on its own page (what a kiosk's QR symbol leads to, on the visitor's phone); None
    when the response has no coupon."""
    step = offers.thanks_offer(response, resolved.touchpoint, current_language(), utcnow(), resolved.main_language)
    panel = _offer_panel(step)
    if panel is None or panel.coupon is None:
        return None
    html = render_template("respondent/coupon.html", resolved=resolved, offer=panel)
    return no_store(make_response(html))


def thanks_page(
    resolved: ResolvedCode,
    response: SurveyResponse,
    contact_errors: dict[str, str] | None = None,
    contact_values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The thank-you page: the invite, the offer with its coupon, and the contact step, as the campaign has them."""
    language = current_language()
    if resolved.touchpoint.kiosk:
        return _kiosk_thanks(resolved, response, language)
    campaign = db.session.get(Campaign, resolved.touchpoint.campaign_id)
    html = render_template(
        "respondent/thanks.html",
        resolved=resolved,
        language=language,
        completed=response.completed_at,
        invite=_invite_panel(referrals.thanks_invite(response, campaign), resolved.brand) if campaign else None,
        offer=_offer_panel(
            offers.thanks_offer(response, resolved.touchpoint, language, utcnow(), resolved.main_language)
        ),
        contact=leads.contact_step(campaign, response, resolved.brand, language) if campaign else None,
        contact_errors=contact_errors or {},
        contact_values=contact_values or {},
        team=response.flag_reason.split(",")[0] == respond.TEAM,
        # the page also answers the contact form's POST: the switcher leads back to the page's own address
        switch_base=url_for("respondent.thanks", raw=resolved.code.code, r=response.token),
    )
    return no_store(make_response(html, status))
