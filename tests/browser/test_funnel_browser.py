"""In a real browser: an editor moves a lead through the funnel to won, with its order value, and sees it on the
campaign's funnel page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads.models import Contact
from tests.browser.conftest import DESKTOP, log_in

pytestmark = pytest.mark.browser


def test_an_editor_moves_a_lead_to_won(browser, live_server, make_user, make_workspace, make_campaign,
                                       make_touchpoint) -> None:  # fmt: skip
    editor = make_user(email="sales@example.com", locale="de")
    workspace = make_workspace("Nordlicht Kaffee", owner=make_user(), members={editor: Role.EDITOR})
    campaign = make_campaign(workspace=workspace, name="Messe 2026")
    booth = make_touchpoint(campaign=campaign, name="Messestand", cost=Decimal("1400"))
    contact = Contact(workspace_id=workspace.id, touchpoint_id=booth.id, name="Anna Berg", email="anna@example.com",
                      consent_text="ok", consent_language="de", consented_at=utcnow(), created_at=utcnow())  # fmt: skip
    db.session.add(contact)
    db.session.commit()

    page = browser.new_context(**DESKTOP, locale="de-DE").new_page()
    log_in(page, live_server, "sales@example.com")
    page.goto(f"{live_server}/w/{workspace.slug}/contacts/{contact.id}")
    for stage in ("Vom Vertrieb angenommen", "Vertriebsqualifiziert"):
        page.get_by_label("Verschieben nach").select_option(label=stage)
        page.get_by_role("button", name="Lead verschieben").click()
        page.wait_for_load_state()
        assert page.get_by_text(f"Lead nach „{stage}“ verschoben.").is_visible()
    page.get_by_label("Verschieben nach").select_option(label="Gewonnen")
    page.get_by_role("button", name="Lead verschieben").click()  # without the order value: refused
    assert page.get_by_role("alert").filter(has_text="braucht seinen Bestellwert (0 oder mehr)").is_visible()
    page.get_by_label("Verschieben nach").select_option(label="Gewonnen")
    page.get_by_label("Bestellwert (gewonnen)").fill("12.500,00")
    page.get_by_role("button", name="Lead verschieben").click()
    page.wait_for_load_state()
    assert page.get_by_text("Gewonnen mit einem Auftrag über 12.500,00").is_visible()
    db.session.rollback()  # end the test's read transaction: it still sees the rows as they were
    assert db.session.get(Contact, contact.id).order_value == Decimal("12500.00")

    page.goto(f"{live_server}/w/{workspace.slug}/campaigns/{campaign.id}/funnel")
    assert page.get_by_text("1 von 1 Leads wurden gewonnen").is_visible()
