"""An owner connects a webhook in a real browser, sends a test event to a local receiver and reads the log."""

from __future__ import annotations

import pytest

from feedback.webhooks import delivery
from tests.browser.conftest import DESKTOP, PHONE, log_in
from tests.webhooks.receiver import start_receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.mark.parametrize(("size", "context_args"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_owner_adds_a_webhook_and_sees_the_test_event_delivered(
    browser, live_server, make_app, make_user, make_workspace, screenshot, size, context_args
) -> None:
    owner = make_user(email=f"owner-{size}@example.com", locale="de")
    make_workspace("Nordlicht Kaffee", owner=owner)
    receiver, server = start_receiver()
    context = browser.new_context(**context_args, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    try:
        page = context.new_page()
        log_in(page, live_server, owner.email)
        page.goto(page.url.split("/w/")[0] + "/w/" + page.url.split("/w/")[1].split("/")[0] + "/webhooks/")
        assert page.get_by_text("Noch keine Webhooks.").is_visible()
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Beschreibung").fill("CRM (Produktion)")
        page.get_by_label("code.scanned – jeder Scan durch einen Menschen (können viele sein)").check()
        screenshot(page, f"webhook-new-{size}")
        page.get_by_role("button", name="Webhook hinzufügen").click()
        page.wait_for_url("**/webhooks/*")
        assert page.get_by_text("Webhook hinzugefügt.").is_visible()
        page.get_by_role("button", name="Testereignis senden").click()
        delivery.run_once(make_app(WEBHOOKS_ALLOW_PRIVATE=True))
        assert receiver.wait_for(1)[0].headers["Feedback-Event"] == "ping"
        page.reload()
        assert page.get_by_text("zugestellt", exact=True).is_visible()
        assert page.get_by_text("HTTP 204").is_visible()
        screenshot(page, f"webhook-log-{size}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= context_args["viewport"]["width"], "the page scrolls sideways"
    finally:
        context.close()
        server.shutdown()
        server.server_close()
