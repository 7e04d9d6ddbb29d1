"""Respondent pages in every respondent language: each page a phone can see is rendered in each language, and every
text it asks gettext for has a translation there; the language comes from the browser or the switcher."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Domain, get_locale
from markupsafe import escape

from feedback.db_types import utcnow
from feedback.errors import HTTP_MESSAGES, render_error
from feedback.extensions import db
from feedback.i18n import RESPONDENT_LANGUAGES
from feedback.leads.services import DEFAULT_PURPOSE
from feedback.offers.models import Offer
from feedback.qr import services as qr_services
from feedback.surveys import services as survey_services
from feedback.surveys.questions import Condition, Option, QuestionSpec, QuestionType
from feedback.texts import Texts
from feedback.touchpoints.models import Channel
from tests.phone import IPHONE, Respondent, form_fields

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag

TRANSLATIONS = Path(__file__).resolve().parent.parent / "feedback/translations"
#: The languages that need catalogues (English is the language of the msgids).
TRANSLATED = [language for language in RESPONDENT_LANGUAGES if language != "en"]


class _Recorder:
    """Translations that note every message looked up, with the request's locale."""

    def __init__(self, translations: Any, seen: list[tuple[str, str]]) -> None:
        self._translations = translations
        self._seen = seen

    def _note(self, message: str) -> None:
        self._seen.append((str(get_locale()), message))

    def ugettext(self, message: str) -> str:
        self._note(message)
        return self._translations.ugettext(message)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        self._note(singular)
        return self._translations.ungettext(singular, plural, n)

    gettext, ngettext = ugettext, ungettext

    def __getattr__(self, name: str) -> Any:
        return getattr(self._translations, name)


@pytest.fixture
def looked_up(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(locale, msgid) of every text the app translates while the test runs (templates, gettext, lazy strings)."""
    seen: list[tuple[str, str]] = []
    original = Domain.get_translations
    monkeypatch.setattr(Domain, "get_translations", lambda self: _Recorder(original(self), seen))
    return seen


def _translated(language: str) -> set[str]:
    with (TRANSLATIONS / language / "LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }


@pytest.fixture
def shop(make_campaign, make_touchpoint, make_code) -> dict[str, Any]:  # noqa: ANN001
    """A campaign that shows everything a phone can see: a two-page survey with every kind of question, an offer
    with coupons, invites, the contact step, a landing page with all its buttons, a kiosk, a paused and an
    expired code."""
    campaign = make_campaign(name="Frühjahr")
    campaign.invite_policy, campaign.ask_contact = "everyone", True
    campaign.incentive_text = "Ein Kaffee für Sie und Ihre Freunde"
    survey = survey_services.create_survey(campaign.workspace_id, "Alles", None)
    for spec in (
        QuestionSpec("nps", QuestionType.NPS, True, Texts.of(de="Weiterempfehlen?", en="Recommend us?")),
        QuestionSpec(
            "csat", QuestionType.CSAT, False, Texts.of(en="Satisfied?"), Texts.of(en="No"), Texts.of(en="Yes")
        ),
        QuestionSpec("ces", QuestionType.CES, False, text=Texts.of(en="Easy?")),
        QuestionSpec("rating", QuestionType.RATING, False, text=Texts.of(en="Again?")),
        QuestionSpec(
            "how", QuestionType.SINGLE_CHOICE, True, text=Texts.of(en="How?"), options=(Option("a"), Option("c"))
        ),
        QuestionSpec(
            "what", QuestionType.MULTI_CHOICE, False, text=Texts.of(en="What?"), options=(Option("b"), Option("d"))
        ),
        QuestionSpec("why", QuestionType.TEXT, False, text=Texts.of(en="Why?"), condition=Condition("nps", 0, 10)),
    ):
        survey_services.add_question(survey, spec)
    flyer = make_touchpoint(campaign=campaign, name="Flyer")
    kiosk = make_touchpoint(campaign=campaign, name="Tablet", channel=Channel.TRADE_FAIR, kiosk=True)
    for touchpoint in (flyer, kiosk):
        survey_services.attach(touchpoint, survey)
    landing = make_touchpoint(campaign=campaign, name="Plakat", location="Halle B")
    landing.headline_texts = {"en": "Spring roast"}
    landing.cta_url, landing.phone, landing.social_url = "https://example.com/", "+49 40 123", "https://example.org/"
    landing.event_starts_at = utcnow() + timedelta(days=9)
    db.session.add(
        Offer(workspace_id=campaign.workspace_id, campaign_id=campaign.id, name="Kaffee",
              texts={"de": "Kaffee", "en": "A coffee"}, with_coupon=True, valid_until=utcnow() + timedelta(days=30))
    )  # fmt: skip
    db.session.commit()
    paused, expired = make_code(flyer), make_code(flyer)
    qr_services.set_paused(paused, True, utcnow())
    expired.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return {"flyer": make_code(flyer), "kiosk": make_code(kiosk), "landing": make_code(landing),
            "paused": paused, "expired": expired, "brand": campaign.workspace.name}  # fmt: skip


def _complete(phone: Respondent, path: str) -> str:
    """Answer both pages of the shop's survey; the thank-you page's URL."""
    action, fields = phone.form(path)
    second = phone.post(action, {**fields, "q_nps": "10", "q_how": "a"}).get_data(as_text=True)
    done = phone.post(action, {**form_fields(second), "q_why": "Gut"})
    assert done.status_code == 303, done.get_data(as_text=True)[:300]
    return done.headers["Location"]


def _pages(app: Flask, shop: dict[str, Any], language: str) -> Iterator[tuple[str, str]]:
    """(name, HTML) of every page a phone can see, as a phone asking for `language` sees them."""
    phone = Respondent(app.test_client(), {"Accept-Language": f"{language},en;q=0.1"})
    flyer, kiosk = f"/t/{shop['flyer'].code}", f"/t/{shop['kiosk'].code}"
    yield "landing page with buttons and an event", phone.open(f"/t/{shop['landing'].code}").get_data(as_text=True)
    action, fields = phone.form(flyer)
    yield "survey page 1", phone.open(flyer).get_data(as_text=True)
    errors = phone.post(action, {**fields, "q_nps": "99", "q_how": ["a", "c"], "q_what": ["b", "x"]})
    assert errors.status_code == 422
    yield "survey page with wrong answers", errors.get_data(as_text=True)
    yield "survey page with answers missing", phone.post(action, fields).get_data(as_text=True)
    page2 = phone.post(action, {**fields, "q_nps": "10", "q_how": "a"})
    yield "survey page 2", page2.get_data(as_text=True)
    done = phone.post(action, {**form_fields(page2.get_data(as_text=True)), "q_why": "x" * 3000})
    yield "text too long", done.get_data(as_text=True)
    done = phone.post(action, {**form_fields(page2.get_data(as_text=True)), "q_why": "Gut"})
    assert done.status_code == 303, done.get_data(as_text=True)[:300]
    thanks = done.headers["Location"]
    yield "thank-you page", phone.open(thanks).get_data(as_text=True)
    token = thanks.split("r=")[1]
    invite = phone.post(f"{flyer}/invite", {"r": token})
    yield "thank-you page with the invite", phone.open(invite.headers["Location"]).get_data(as_text=True)
    wrong = phone.post(f"{flyer}/contact", {"r": token, "email": "nope", "phone": "call me"})
    assert wrong.status_code == 422
    yield "contact step with errors", wrong.get_data(as_text=True)
    empty = phone.post(f"{flyer}/contact", {"r": token, "consent": "yes"})
    yield "contact step without details", empty.get_data(as_text=True)
    phone.post(f"{flyer}/contact", {"r": token, "email": "a@example.com", "consent": "yes"})
    yield "contact step done", phone.open(thanks).get_data(as_text=True)
    yield "coupon page", phone.open(f"{flyer}/coupon?r={token}").get_data(as_text=True)
    yield "already answered", phone.open(flyer).get_data(as_text=True)
    taken = phone.open(thanks).get_data(as_text=True)
    invite_code = re.search(r'class="invite__link"><a href="[^"]*/i/([A-Z0-9]+)"', taken)
    assert invite_code, "the thank-you page shows the invite link"
    friend = Respondent(app.test_client(), {"Accept-Language": language})
    yield "invited friend's survey", friend.open(f"/i/{invite_code.group(1)}").get_data(as_text=True)
    tablet = Respondent(app.test_client(), {"Accept-Language": language})
    yield "kiosk thank-you page", tablet.open(_complete(tablet, kiosk)).get_data(as_text=True)
    yield "paused code", phone.open(f"/t/{shop['paused'].code}").get_data(as_text=True)
    yield "expired code", phone.open(f"/t/{shop['expired'].code}").get_data(as_text=True)
    yield "unknown code", phone.open("/t/ZZZZ2222").get_data(as_text=True)
    yield "typing a code", phone.open("/t").get_data(as_text=True)
    yield "typing a wrong code", phone.open("/t?code=no").get_data(as_text=True)
    yield "unknown invite", phone.open("/i/ZZZZ2222").get_data(as_text=True)
    yield "unknown landing action", phone.open(f"{flyer}/go/nowhere").get_data(as_text=True)
    yield "a form only to post", phone.open(f"{flyer}/contact").get_data(as_text=True)
    foreign = phone.client.post(flyer, data=fields, headers={**phone.headers, "Sec-Fetch-Site": "cross-site"})
    yield "a form from another site", foreign.get_data(as_text=True)
    for status in HTTP_MESSAGES:
        with app.test_request_context(flyer, headers={"Accept-Language": language, "User-Agent": IPHONE}):
            yield f"error {status}", render_error(status)[0]


#: A text of each page and state the walk must reach (so a changed flow cannot silently skip a page).
REACHED = {
    "Call %(number)s", "Step %(n)s of %(total)s", "Choose all that apply.", "Please check the marked answers.",
    "Please choose a value from %(low)s to %(high)s.", "Please choose one of the options shown.",
    "Please give one answer only.", "Please answer this question.", "Please keep it under %(limit)s characters.",
    "Get my invite link", "Have a look – I answered a 30-second survey for %(brand)s: %(url)s",
    "This is not an e-mail address, e.g. name@example.com.",
    "Enter a phone number with digits only, e.g. +49 40 1234567.",
    "Please tick the box if we may contact you; otherwise we store nothing.",
    "Enter an e-mail address or a phone number.",
    "Thank you – we have your details and will be in touch.", "Valid until %(day)s.", "Your coupon",
    "You have already answered – thank you!", "A friend invited you. Thank you for taking 30 seconds!",
    "Next person", "The code you scanned is no longer valid.", "This code is not active at the moment.",
    "We could not find this code", "This invite link does not work", "This action is not available here.",
    "This does not look like one of our codes. It has 8 letters and digits, e.g. 7K3Q-X9PM.",
    "This form was sent from another website. Please open the link again.",
    "Too many attempts. Please wait a moment and try again.", "Language",
}  # fmt: skip


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_of_every_respondent_page_is_translated(app, shop, looked_up, language: str) -> None:
    pages = list(_pages(app, shop, language))
    for name, html in pages:
        assert f'<html lang="{language}">' in html, f"{name} is not in {language}"
    asked = {message for locale, message in looked_up if locale == language}
    assert REACHED <= asked, f"the walk did not reach every page: {sorted(REACHED - asked)}"
    thanks = dict(pages)["thank-you page"]
    consent = escape(DEFAULT_PURPOSE[language].format(brand=shop["brand"]))
    assert consent in thanks, "the contact step words the default consent in the language"
    missing = sorted(asked - _translated(language))
    assert not missing, f"respondent texts without {language} (scripts/i18n.py --lang {language}): {missing}"


def test_a_polish_phone_gets_polish_pages_with_polish_dates(app, shop) -> None:
    phone = Respondent(app.test_client(), {"Accept-Language": "pl-PL,pl;q=0.9"})
    survey = phone.open(f"/t/{shop['flyer'].code}").get_data(as_text=True)
    assert '<html lang="pl">' in survey and "Dalej" in survey and "(opcjonalnie)" in survey
    thanks = phone.open(_complete(phone, f"/t/{shop['flyer'].code}")).get_data(as_text=True)
    assert "Dziękujemy!" in thanks and "Thank you" not in thanks
    valid_until = db.session.scalar(sa.select(Offer.valid_until)).astimezone(ZoneInfo("Europe/Berlin"))
    last_day = (valid_until - timedelta(seconds=1)).date()
    assert f"Ważny do {format_date(last_day, 'medium', locale='pl')}." in thanks, thanks
