"""A marketer compares periods and campaigns of the demo data in a real browser, at 375 and 1280 px."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.demo import load_demo_data
from feedback.extensions import db
from feedback.touchpoints.models import Campaign
from tests.browser.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth + 1"
SIZES = {
    "375": {**PHONE, "viewport": {"width": 375, "height": 812}},
    "1280": {**DESKTOP, "viewport": {"width": 1280, "height": 900}},
}


def test_periods_and_campaigns_side_by_side_without_sideways_scrolling(app, browser, live_server, screenshot) -> None:
    """The periods tab: the previous period by default, last year and another campaign from the selector; the
    trend chart with its text alternative and table; nothing wider than the screen."""
    with app.app_context():
        workspace = load_demo_data("demo-password-1")
        db.session.commit()
        slug = workspace.slug
        ids = list(db.session.scalars(sa.select(Campaign.id).where(Campaign.workspace_id == workspace.id)))
    for size, context_args in SIZES.items():
        context = browser.new_context(**context_args, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
        page = context.new_page()
        log_in(page, live_server, "demo@example.com", "demo-password-1")
        page.goto(f"{live_server}/w/{slug}/campaigns/{ids[0]}/ratings?lang=en")  # logged in in German
        page.get_by_role("navigation", name="Parts of the ratings").get_by_role("link", name="Periods").click()
        page.wait_for_url("**/periods*")
        page.get_by_label("From", exact=True).fill("2026-04-01")  # the demo's answers lie in spring 2026
        page.get_by_label("To", exact=True).fill("2026-04-28")
        page.get_by_role("button", name="Compare").click()
        page.wait_for_url("**/periods?*")
        assert page.get_by_role("heading", name="Periods and campaigns").is_visible()
        assert page.get_by_role("img", name="Weekly NPS and completion rate").count() == 1
        screenshot(page, f"periods-previous-{size}")
        assert page.locator("#comparison table").count() >= 1
        assert page.evaluate(NO_SIDEWAYS_SCROLL), size

        page.get_by_label("compared with").select_option("last_year")
        page.get_by_role("button", name="Compare").click()
        assert "the same period last year" in page.locator("#comparison h2").inner_text()
        assert page.evaluate(NO_SIDEWAYS_SCROLL), size
        if len(ids) > 1:
            page.get_by_label("compared with").select_option("campaign")
            page.get_by_label("Other campaign").select_option(str(ids[1]))
            page.get_by_role("button", name="Compare").click()
            assert page.locator("#comparison .results li").count() >= 1
            assert page.evaluate(NO_SIDEWAYS_SCROLL), size
            screenshot(page, f"periods-campaign-{size}")
        context.close()
