"""In a real browser: an editor saves a scoring version and sees it in force, builds a nurture step and switches the
nurture mails on, in German."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.leads.models import RulesVersion
from feedback.nurture.models import NurtureSequence, NurtureStep
from tests.browser.conftest import DESKTOP, log_in

pytestmark = pytest.mark.browser


def test_an_editor_versions_the_scoring_and_builds_the_nurture_mails(
    browser, live_server, make_user, make_workspace, make_campaign, make_touchpoint
) -> None:
    editor = make_user(email="marketing@example.com", locale="de")
    workspace = make_workspace("Nordlicht Kaffee", owner=make_user(), members={editor: Role.EDITOR})
    make_touchpoint(campaign=make_campaign(workspace=workspace, name="Pflege"), name="Newsletter")

    page = browser.new_context(**DESKTOP, locale="de-DE").new_page()
    log_in(page, live_server, "marketing@example.com")
    page.goto(f"{live_server}/w/{workspace.slug}/leads/settings")
    page.locator("#mql_at").fill("40")
    page.locator("#sales_ready_at").fill("30")
    page.get_by_role("button", name="Scoring speichern und alle Leads neu bewerten").click()
    assert page.get_by_role("alert").filter(has_text="muss über der").first.is_visible()
    page.locator("#sales_ready_at").fill("60")
    page.get_by_role("button", name="Scoring speichern und alle Leads neu bewerten").click()
    page.wait_for_load_state()
    assert page.get_by_text("Scoring-Version 1 gespeichert").is_visible()
    assert page.get_by_text("in Kraft").is_visible()

    page.get_by_role("link", name="Nurturing-Mails").first.click()
    page.get_by_role("link", name="Schritt hinzufügen").click()
    page.get_by_label("Tage Wartezeit").fill("3")
    page.get_by_label("Persönlicher Code führt zu").select_option(label="Pflege · Newsletter")
    page.get_by_label("Betreff (Deutsch)").fill("Schön, dass Sie da waren")
    page.get_by_label("Betreff (Englisch)").fill("Good to see you")
    page.get_by_label("Text (Deutsch)").fill("Danke für Ihr Feedback.")
    page.get_by_role("button", name="Schritt speichern").click()
    assert page.get_by_role("alert").filter(has_text="auf Deutsch und Englisch").first.is_visible()
    page.get_by_label("Text (Englisch)").fill("Thank you for your feedback.")
    page.get_by_role("button", name="Schritt speichern").click()
    page.wait_for_load_state()
    assert page.get_by_text("Schritt gespeichert.").is_visible()
    page.get_by_label("Nurturing-Mails senden").check()
    page.get_by_role("button", name="Speichern", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Nurturing-Mails gespeichert.").is_visible()
    db.session.rollback()  # end the test's read transaction
    assert db.session.scalar(sa.select(RulesVersion.sales_ready_at)) == 60
    subject = db.session.scalar(sa.select(NurtureStep.subject))
    assert subject == {"de": "Schön, dass Sie da waren", "en": "Good to see you"}
    assert db.session.get(NurtureSequence, workspace.id).active
