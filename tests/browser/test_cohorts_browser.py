"""In a real browser: a marketer opens a campaign's cohorts, switches to customers by touchpoint without
JavaScript-only controls, and reads a cell's interval from its hover text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback.db_types import utcnow
from feedback.extensions import db
from tests.browser.conftest import DESKTOP, log_in
from tests.customers.histories import History, key

pytestmark = pytest.mark.browser


def test_a_marketer_reads_the_cohort_table(browser, live_server, make_user, make_workspace, make_campaign,
                                           make_touchpoint, with_survey) -> None:  # fmt: skip
    owner = make_user(email="owner@example.com", locale="de")
    workspace = make_workspace("Nordlicht Kaffee", owner=owner)
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    booth = with_survey(make_touchpoint(campaign=campaign, name="Messestand"))
    start, h = utcnow() - timedelta(days=100), History()
    for i in range(12):
        response = h.respond(booth, start + timedelta(hours=i), key(f"b{i}"))
        if i < 5:
            h.scan(booth, start + timedelta(days=32), key(f"b{i}"))
        if i < 3:
            h.contact(response, f"b{i}@example.com")
            h.coupon(response, start + timedelta(days=2), "25.00")
    db.session.commit()

    page = browser.new_context(**DESKTOP, locale="de-DE").new_page()
    log_in(page, live_server, "owner@example.com")
    page.goto(f"{live_server}/w/{workspace.slug}/campaigns/{campaign.id}/cohorts")
    assert page.get_by_role("heading", name="Kohorten und Wiederkehr").is_visible()
    assert page.get_by_text("12 Personen in 1 Kohorten.").is_visible()
    chart = page.locator("svg.chart")
    assert chart.count() == 1 and "Kohorten-Bindung" in chart.locator("title").first.text_content()
    assert page.locator("table.cohorts td[title*='95-%-Intervall']").count() >= 1
    page.get_by_label("Wer").select_option(label="Kunden")
    page.get_by_label("Gruppiert nach").select_option(label="Touchpoint des Erstkontakts")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_load_state()
    assert "who=customers" in page.url and "by=touchpoint" in page.url
    table = page.locator("table.cohorts")
    assert table.get_by_role("rowheader", name="Messestand").is_visible()
    assert table.get_by_text("zu wenige").first.is_visible()  # three customers: every cell is marked
