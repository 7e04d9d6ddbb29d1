"""A marketer logs in and sets up a campaign in a real browser, at desktop and phone size."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.touchpoints.models import Campaign, Touchpoint
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("size", "context_args"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_marketer_creates_a_campaign_and_touchpoint_in_german(
    browser, live_server, make_user, make_workspace, screenshot, size, context_args
) -> None:
    user = make_user(email=f"marketing-{size}@example.com", locale="de")
    make_workspace("Nordlicht Kaffee", owner=user)
    context = browser.new_context(**context_args, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    screenshot(page, f"login-{size}")
    page.get_by_label("E-Mail").fill(user.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/w/**")
    assert page.get_by_role("heading", name="Noch keine Kampagnen").is_visible()
    screenshot(page, f"empty-workspace-{size}")

    page.get_by_role("link", name="Erste Kampagne anlegen").click()
    page.get_by_label("Name").fill("Frühjahr 2026")
    page.get_by_label("Beginnt am").fill("2026-05-01")
    page.get_by_label("Endet am").fill("2026-04-01")
    page.get_by_label("Budget").fill("12.500,00")
    page.get_by_role("button", name="Kampagne speichern").click()
    assert page.get_by_text("Das Enddatum darf nicht vor dem Startdatum liegen.").is_visible()
    screenshot(page, f"campaign-form-error-{size}")
    page.get_by_label("Endet am").fill("2026-06-30")
    page.get_by_role("button", name="Kampagne speichern").click()
    page.wait_for_url("**/campaigns/*/touchpoints/new")
    assert page.get_by_text("Kampagne angelegt mit der Umfrage").is_visible()

    page.get_by_label("Name").fill("Messestand INTERNORGA")
    page.get_by_label("Kanal").select_option("trade_fair")
    page.get_by_label("Journey-Phase").select_option("awareness")
    page.get_by_label("Kosten").fill("14.000")
    page.get_by_label("Reichweite").fill("3500")
    screenshot(page, f"touchpoint-form-{size}")
    page.get_by_role("button", name="Touchpoint speichern").click()
    page.wait_for_url("**/campaigns/*")
    assert page.locator(".journey").get_by_text("14.000,00 €").is_visible()
    screenshot(page, f"campaign-journey-{size}")

    page.get_by_role("navigation").get_by_role("link", name="Kampagnen").click()
    menu = page.locator("summary", has_text="Alle Kampagnen herunterladen")
    menu.click()
    panel = page.locator("details[open] .menu__panel")
    button, opened = menu.bounding_box(), panel.bounding_box()
    width = page.viewport_size["width"]
    # the download menu opens below its button and stays on the screen, on a phone too
    assert opened["y"] >= button["y"] + button["height"] and opened["x"] >= 0 and opened["x"] + opened["width"] <= width
    assert panel.get_by_role("link", name="Rohdaten der Antworten (JSON)").is_visible()
    screenshot(page, f"campaigns-download-menu-{size}")
    context.close()

    db.session.rollback()
    campaign = db.session.scalar(sa.select(Campaign))
    touchpoint = db.session.scalar(sa.select(Touchpoint))
    assert (campaign.name, str(campaign.budget)) == ("Frühjahr 2026", "12500.00")
    assert (touchpoint.name, touchpoint.channel, str(touchpoint.cost)) == (
        "Messestand INTERNORGA",
        "trade_fair",
        "14000.00",
    )
