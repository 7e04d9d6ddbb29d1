"""A marketer searches the demo campaign's open-text answers in a real browser, at desktop and phone size."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.demo import load_demo_data
from feedback.extensions import db
from feedback.touchpoints.models import Campaign
from tests.browser.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_comments_are_searched_and_highlighted_on_desktop_and_phone(app, browser, live_server, screenshot) -> None:
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
        page.get_by_role("link", name="Freitext-Antworten").click()
        page.wait_for_url("**/comments**")
        first = page.locator(".quotes blockquote").first.inner_text()
        word = max(first.split(), key=len).strip(".,!?")
        page.get_by_role("searchbox", name="Suchen").fill(word)
        page.get_by_role("button", name="Anzeigen").click()
        page.wait_for_url("**q=**")
        assert page.locator(".quotes mark").count() >= 1
        assert page.evaluate(NO_SIDEWAYS_SCROLL), size
        screenshot(page, f"comments-{size}")
        context.close()


def test_themes_are_shown_and_renamed_on_desktop_and_phone(app, browser, live_server, screenshot) -> None:
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
        page.goto(f"{live_server}/w/{slug}/campaigns/{campaign_id}/comments")
        themes = page.locator("table.themes tbody tr")
        assert themes.count() >= 1
        new_name = f"Thema {size}"
        themes.first.locator("summary").click()
        themes.first.locator("input[name=name]").fill(new_name)
        themes.first.get_by_role("button", name="Umbenennen").click()
        page.wait_for_load_state()
        assert page.get_by_text("Thema umbenannt.").is_visible()
        assert page.locator("table.themes").get_by_role("link", name=new_name).count() == 1
        assert page.evaluate(NO_SIDEWAYS_SCROLL), size
        screenshot(page, f"themes-{size}")
        context.close()
