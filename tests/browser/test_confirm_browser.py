"""In a real browser: deleting a response asks first, with JavaScript off; archiving a touchpoint can be undone from
its message."""

from __future__ import annotations

import pytest

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.surveys.models import Response
from feedback.touchpoints.models import Touchpoint
from tests.browser.conftest import DESKTOP, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code, make_response):  # noqa: ANN201
    """An editor's workspace with a touchpoint, its survey and one response."""
    editor = make_user(email="redaktion@example.com", locale="de")
    workspace = make_workspace("Rösterei", members={editor: Role.EDITOR})
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace), name="Flyer Markt")
    make_survey(touchpoint, "loyalty")
    make_code(touchpoint)
    response = make_response(touchpoint, nps=9)
    return editor, workspace, touchpoint, response


def test_a_response_is_deleted_through_the_confirmation_step_without_javascript(
    browser, live_server, shop, screenshot
) -> None:
    editor, workspace, touchpoint, response = shop
    response_id = response.id
    context = browser.new_context(
        **DESKTOP, locale="de-DE", java_script_enabled=False, extra_http_headers={"Accept-Language": "de-DE"}
    )
    page = context.new_page()
    log_in(page, live_server, editor.email)
    page.goto(f"{live_server}/w/{workspace.slug}/surveys/{touchpoint.survey_id}/responses")
    page.get_by_role("button", name="Löschen").click()
    assert page.get_by_role("heading", name=f"Die Antwort Nr. {response_id} vom").is_visible()
    assert page.get_by_text("Das lässt sich nicht rückgängig machen.").is_visible()
    screenshot(page, "confirm-delete-response")
    db.session.rollback()
    assert db.session.get(Response, response_id) is not None, "nothing is deleted before the confirmation"
    page.get_by_role("button", name="Ja, löschen").click()
    page.wait_for_url("**/responses")
    assert page.get_by_text("Antwort gelöscht.").is_visible()
    context.close()
    db.session.rollback()
    assert db.session.get(Response, response_id) is None


def test_archiving_a_touchpoint_is_undone_from_its_message(browser, live_server, shop, screenshot) -> None:
    editor, workspace, touchpoint, _response = shop
    context = browser.new_context(**DESKTOP, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    log_in(page, live_server, editor.email)
    page.goto(f"{live_server}/w/{workspace.slug}/touchpoints/{touchpoint.id}")
    page.get_by_role("button", name="Archivieren").click()
    message = page.locator(".flash--undo")
    assert message.get_by_text("Touchpoint archiviert.").is_visible()
    screenshot(page, "undo-archive-touchpoint")
    db.session.rollback()
    assert db.session.get(Touchpoint, touchpoint.id).archived_at is not None
    message.get_by_role("button", name="Rückgängig").click()
    assert page.get_by_text("Touchpoint wiederhergestellt.").is_visible()
    context.close()
    db.session.rollback()
    assert db.session.get(Touchpoint, touchpoint.id).archived_at is None
