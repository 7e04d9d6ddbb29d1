"""A marketer reads the campaign ratings of the demo data in a real browser, at desktop and phone size."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from feedback.demo import load_demo_data
from feedback.extensions import db
from feedback.touchpoints.models import Campaign
from tests.browser.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth + 1"


#: The demo's spring campaign: eight touchpoints of the campaign and its win-back letter.
TOUCHPOINTS = 9


def test_demo_ratings_read_at_a_glance(app, browser, live_server, screenshot) -> None:
    """Ranking, charts with text alternatives, advice, comparison and a touchpoint's comments, in German."""
    with app.app_context():
        workspace = load_demo_data("demo-password-1")
        db.session.commit()
        slug = workspace.slug
        campaign_id = db.session.scalar(
            sa.select(Campaign.id).where(Campaign.workspace_id == workspace.id).order_by(Campaign.id)
        )
    for size, context_args in (("desktop", DESKTOP), ("phone", PHONE)):
        _read_ratings(browser, live_server, screenshot, slug, campaign_id, size, context_args)


def _read_ratings(browser, live_server, screenshot, slug, campaign_id, size, context_args) -> None:  # noqa: ANN001
    context = browser.new_context(**context_args, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    log_in(page, live_server, "demo@example.com", "demo-password-1")
    page.goto(f"{live_server}/w/{slug}/campaigns/{campaign_id}")
    page.get_by_role("link", name="Auswertung").first.click()
    page.wait_for_url("**/ratings")
    assert page.get_by_role("heading", name="Rangfolge").is_visible()
    assert page.get_by_role("img", name="Rangfolge der Touchpoints").count() == 1
    for heading in ("Wohin das Budget gehen sollte", "Wochenverlauf"):
        assert page.get_by_role("heading", name=heading).count() >= 1, heading
    assert page.locator("table.ranking tbody tr").count() == TOUCHPOINTS
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    if size == "desktop":
        assert page.evaluate("document.body.scrollHeight") < 5000  # was about 15,000 px before the tabs
    screenshot(page, f"ratings-{size}")

    tabs = page.get_by_role("navigation", name="Teile der Auswertung")
    for tab, headings in (
        ("Touchpoints", ("NPS-Antworten je Touchpoint", "Touchpoint-Matrix", "Nach Code (Druckvariante)")),
        ("Customer Journey", ("Customer Journey", "Trichter")),
    ):
        tabs.get_by_role("link", name=tab, exact=True).click()
        page.wait_for_load_state("load")
        assert tabs.locator("[aria-current=page]").inner_text() == tab
        for heading in headings:
            assert page.get_by_role("heading", name=heading).count() >= 1, heading
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        if tab == "Touchpoints":
            page.locator(".coderow--batch summary").first.click()  # a mailing's codes, one row until opened
            assert page.locator(".coderow--batch details[open] tbody tr").count() >= 2
            screenshot(page, f"ratings-touchpoints-{size}")

    tabs.get_by_role("link", name="Übersicht", exact=True).click()
    page.locator("table.ranking").get_by_role("link", name="Plakat", exact=True).click()  # the channel: a filter
    assert page.locator("table.ranking tbody tr").count() == 1
    page.get_by_role("link", name="Kanal: Plakat").click()  # the chip removes it
    assert page.locator("table.ranking tbody tr").count() == TOUCHPOINTS
    page.locator("table.ranking").get_by_role("link", name=re.compile(r"^Details\W+Plakat Hauptbahnhof$")).click()
    page.wait_for_url("**/ratings/*")
    assert page.get_by_role("heading", name="Im Vergleich mit dem Rest der Kampagne").is_visible()
    page.get_by_role("link", name="Kritiker 0–6").click()
    assert page.locator(".quotes li").count() >= 1
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, f"ratings-touchpoint-{size}")

    page.get_by_role("link", name="Vergleichen").click()
    page.get_by_label("Vergleichs-NPS (optional)").fill("30")
    page.get_by_role("button", name="Vergleichen").click()
    assert page.locator(".results .result").count() >= 2
    assert page.get_by_text("nach Korrektur").first.is_visible()
    screenshot(page, f"ratings-compare-{size}")
    context.close()
