"""In a real browser: a respondent on a phone gets a coupon and leaves their contact; the shop redeems the coupon
at desktop size and finds the sales-ready lead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.offers.models import Offer
from feedback.qr import services as qr_services
from feedback.surveys import services as survey_services
from feedback.touchpoints.models import Channel
from tests.browser.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"SURVEY_MIN_FILL_SECONDS": 0}


def test_coupon_contact_redemption_and_lead(
    browser, live_server, make_user, make_workspace, make_campaign, make_touchpoint, screenshot
) -> None:
    owner = make_user(email="shop@example.com", locale="de")
    workspace = make_workspace("Nordlicht Kaffee", members={owner: Role.OWNER})
    campaign = make_campaign(workspace=workspace, name="Messe 2026", ask_contact=True)
    booth = make_touchpoint(campaign=campaign, name="Messestand", channel=Channel.TRADE_FAIR, cost=Decimal("1400"))
    survey_services.attach(booth, survey_services.create_survey(workspace.id, "Messebesuch", "trade-fair"))
    code = qr_services.create_code(booth)
    db.session.add(
        Offer(
            workspace_id=workspace.id,
            campaign_id=campaign.id,
            name="Messe-Rabatt",
            texts={"de": "15 % auf Ihre erste Bestellung", "en": "15 % off your first order"},
            with_coupon=True,
            valid_days=30,
        )
    )
    db.session.commit()

    phone = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = phone.new_page()
    page.goto(f"{live_server}/t/{code.code}")
    page.locator("label[for=q_nps_10]").click()
    page.locator("label[for=q_csat_5]").click()
    page.locator("label[for=q_ces_6]").click()
    page.get_by_text("Ja, mit einem Angebot").click()
    page.get_by_role("button", name="Senden").click()
    page.wait_for_url("**/thanks?**")
    coupon = page.locator("p.coupon").inner_text()
    assert len(coupon) == 11 and page.get_by_text("15 % auf Ihre erste Bestellung").is_visible()
    page.get_by_role("textbox", name="Name").fill("Anna Berg")
    page.get_by_role("textbox", name="E-Mail").fill("anna@example.com")
    page.get_by_role("button", name="Meine Angaben senden").click()
    assert page.get_by_text("Bitte setzen Sie den Haken").is_visible()
    screenshot(page, "thanks-coupon-contact-error-phone")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Meine Angaben senden").click()
    assert page.get_by_text("wir haben Ihre Angaben").is_visible()
    screenshot(page, "thanks-coupon-contact-phone")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, "the thank-you page scrolls sideways"
    phone.close()

    desk = browser.new_context(**DESKTOP, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    till = desk.new_page()
    log_in(till, live_server, owner.email)
    till.get_by_role("link", name="Gutscheine").click()
    till.get_by_label("Gutscheincode").fill(coupon.lower())
    till.get_by_label("Bestellwert").fill("240,00")
    till.get_by_role("button", name="Einlösen").click()
    assert till.get_by_text(f"Gutschein {coupon} eingelöst").is_visible()
    screenshot(till, "redeem-done-desktop")
    till.get_by_label("Gutscheincode").fill(coupon)
    till.get_by_label("Bestellwert").fill("10")
    till.get_by_role("button", name="Einlösen").click()
    assert till.get_by_text("bereits am").is_visible()
    screenshot(till, "redeem-refused-desktop")
    till.get_by_role("link", name="Leads").click()
    assert till.get_by_role("link", name="Anna Berg").is_visible()
    screenshot(till, "leads-desktop")
    till.get_by_role("link", name="Anna Berg").click()
    assert till.get_by_text("Gutschein eingelöst").is_visible()
    screenshot(till, "lead-contact-desktop")
    desk.close()
