"""A kiosk's thank-you page and a landing page with its action links, on a phone and on a tablet, without
JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.offers.models import Offer
from feedback.qr import services as qr_services
from feedback.qr.models import LandingAction
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel
from tests.browser.conftest import PHONE, PHONE_UA

pytestmark = [pytest.mark.browser, pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)]

TABLET = {
    "viewport": {"width": 1024, "height": 768},
    "is_mobile": True,
    "has_touch": True,
    "user_agent": PHONE_UA.replace("Pixel 8", "Pixel Tablet").replace(" Mobile", ""),
}
SIZES = {"phone": PHONE, "tablet": TABLET}


@pytest.fixture
def live_config() -> dict[str, object]:
    """People answer at once in these tests: no minimum fill time."""
    return {"SURVEY_MIN_FILL_SECONDS": 0}


@pytest.fixture
def kiosk(app, make_touchpoint, make_survey):  # noqa: ANN001, ANN201
    """A trade-fair tablet with the loyalty survey and a coupon offer; its code's text."""
    touchpoint = make_touchpoint(name="Messe-Tablet", channel=Channel.TRADE_FAIR, kiosk=True)
    touchpoint.headline_texts = {"de": "Wie war Ihr Besuch an unserem Stand?"}
    make_survey(touchpoint, "loyalty")
    db.session.add(
        Offer(
            workspace_id=touchpoint.workspace_id,
            campaign_id=touchpoint.campaign_id,
            name="Messe",
            texts={"de": "Ein Kaffee aufs Haus an unserem Stand", "en": "A coffee on us"},
        )
    )
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    return code.code


@pytest.fixture
def landing(app, make_touchpoint):  # noqa: ANN001, ANN201
    """A landing page (no survey) with every action."""
    touchpoint = make_touchpoint(name="Messe", channel=Channel.TRADE_FAIR, location="Halle B6, Stand 12")
    touchpoint.headline_texts = {"de": "Besuchen Sie uns auf der Messe"}
    touchpoint.body_texts = {"de": "Neue Röstungen zum Probieren, jeden Tag von 9 bis 18 Uhr."}
    touchpoint.cta_url, touchpoint.cta_label = "https://shop.example.com/messe", {"de": "Zum Messe-Angebot"}
    touchpoint.phone, touchpoint.social_url = "+49 40 123456", "https://instagram.com/nordlicht"
    touchpoint.event_starts_at = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    return code.code


@pytest.mark.parametrize("size", SIZES)
def test_people_answer_one_after_another_on_a_kiosk_without_javascript(
    browser, live_server, kiosk, screenshot, size
) -> None:
    context = browser.new_context(
        **SIZES[size], locale="de-DE", java_script_enabled=False, extra_http_headers={"Accept-Language": "de"}
    )
    page = context.new_page()
    page.goto(f"{live_server}/t/{kiosk}")
    for person in range(2):
        page.locator("label[for=q_nps_9]").click()
        page.locator("label[for=q_csat_4]").click()
        page.locator("label[for=q_repurchase_5]").click()
        page.get_by_role("button", name="Senden").click()
        page.wait_for_url("**/thanks?r=*")
        assert page.get_by_role("heading", name="Vielen Dank!").is_visible()
        qr = page.locator(".coupon__qr svg")
        assert qr.is_visible() and qr.bounding_box()["width"] >= 150, "large enough to scan from a phone"
        refresh = page.locator('meta[http-equiv="refresh"]').get_attribute("content")
        assert refresh.endswith(f"url=/t/{kiosk}?via=kiosk")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]
        if person == 0:
            screenshot(page, f"kiosk-thanks-{size}")
        page.get_by_role("link", name="Nächste Person").click()
        page.wait_for_url(f"**/t/{kiosk}?via=kiosk")
        assert page.locator("label[for=q_nps_9]").is_visible(), "a fresh survey, not 'already answered'"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(Response.completed_at.is_not(None))) == 2
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_landing_pages_actions_go_through_the_counting_redirect(
    browser, live_server, landing, screenshot, size
) -> None:
    context = browser.new_context(
        **SIZES[size], locale="de-DE", java_script_enabled=False, extra_http_headers={"Accept-Language": "de"}
    )
    page = context.new_page()
    page.goto(f"{live_server}/t/{landing}")
    screenshot(page, f"landing-actions-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]
    buttons = {
        "Zum Messe-Angebot": "cta",
        "+49 40 123456 anrufen": "call",
        "Zum Kalender hinzufügen": "calendar",
        "Folgen Sie uns": "follow",
    }
    for name, action in buttons.items():
        link = page.get_by_role("link", name=name)
        assert link.is_visible() and link.get_attribute("href") == f"/t/{landing}/go/{action}"
        assert link.bounding_box()["height"] >= 44, "a tap target"
    with page.expect_download() as download:
        page.get_by_role("link", name="Zum Kalender hinzufügen").click()
    assert download.value.suggested_filename == "event.ics"
    db.session.rollback()
    assert list(db.session.scalars(sa.select(LandingAction.action))) == ["calendar"]
    context.close()
