"""A marketer narrows the demo campaign's ratings to a segment, saves it and uses it again, in a real browser at
desktop and phone size."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.demo import load_demo_data
from feedback.extensions import db
from feedback.touchpoints.models import Campaign
from tests.browser.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_a_segment_is_chosen_saved_and_applied_on_desktop_and_phone(app, browser, live_server, screenshot) -> None:
    with app.app_context():
        workspace = load_demo_data("demo-password-1")
        db.session.commit()
        slug = workspace.slug
        campaign_id = db.session.scalar(
            sa.select(Campaign.id).where(Campaign.workspace_id == workspace.id).order_by(Campaign.id)
        )
    for size, context_args in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(**context_args, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
        page = context.new_page()
        log_in(page, live_server, "demo@example.com", "demo-password-1")
        page.goto(f"{live_server}/w/{slug}/campaigns/{campaign_id}/ratings")
        page.locator("details.segment > summary").click()
        page.get_by_label("NPS-Gruppe", exact=True).select_option("detractors")
        page.get_by_label("Gerät", exact=True).select_option("mobile")
        page.locator(".segment__form").get_by_role("button", name="Anwenden").click()
        page.wait_for_url("**nps=detractors**")
        chips = page.locator(".chips--segment")
        assert "NPS-Gruppe: Kritiker (0–6)" in chips.inner_text()
        assert "Eine Antwort gehört zu einer Rückmeldung" in chips.inner_text()
        assert page.evaluate(NO_SIDEWAYS_SCROLL), size
        screenshot(page, f"segment-chosen-{size}")
        name = f"Kritiker am Smartphone {size}"
        page.get_by_label("Speichern als").fill(name)
        page.get_by_role("button", name="Segment speichern").click()
        page.wait_for_url("**segment=**")
        assert f"Gespeichertes Segment: {name}" in page.locator(".chips--segment").inner_text()
        page.get_by_role("link", name="Freitext-Antworten").click()
        page.wait_for_url("**/comments**")
        assert "segment=" in page.url and name in page.locator(".chips--segment").inner_text()
        assert page.evaluate(NO_SIDEWAYS_SCROLL), size
        screenshot(page, f"segment-comments-{size}")
        context.close()
