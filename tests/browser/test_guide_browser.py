"""The user guide's pictures of the pages around the journey, on the demo data (numbers, trends, several
languages): the campaign list and page, the ratings tabs with a filter and the download menu, the texts per language,
a confirmation and an undo message at desktop size; the language menu and the "please take a moment" step on a phone.
`FEEDBACK_GUIDE_SCREENSHOTS=1` writes them to `docs/img/` (tests/browser/test_journey_browser.py takes the others)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.cli import load_demo
from feedback.extensions import db
from feedback.qr.models import Code
from feedback.surveys.models import Survey
from feedback.touchpoints.models import Touchpoint
from tests.browser.conftest import DESKTOP, PHONE, guide_shot, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

GERMAN = {"locale": "de-DE", "extra_http_headers": {"Accept-Language": "de-DE,de;q=0.9"}}


def test_the_guide_pictures_the_pages_around_the_journey(app, browser, live_server) -> None:
    login = load_demo(PASSWORD)
    slug = login["workspace"]
    campaign = db.session.scalar(sa.text("SELECT min(id) FROM campaign"))
    touchpoint = db.session.scalar(
        sa.select(Touchpoint).where(Touchpoint.campaign_id == campaign).order_by(Touchpoint.id)
    )
    survey = db.session.get(Survey, touchpoint.survey_id)
    question = survey.current.questions[0].key
    quick = db.session.scalar(
        sa.select(Code.code)
        .join(Touchpoint, Touchpoint.id == Code.touchpoint_id)
        .join(Survey, Survey.id == Touchpoint.survey_id)
        .where(Survey.name == "NPS + Grund", Code.batch_id.is_(None))
    )
    desk = browser.new_context(**DESKTOP, **GERMAN)
    page = desk.new_page()
    log_in(page, live_server, login["email"])
    workspace = f"{live_server}/w/{slug}"

    page.goto(f"{workspace}/")
    guide_shot(page, "12-campaigns")
    page.goto(f"{workspace}/campaigns/{campaign}")
    guide_shot(page, "13-campaign-numbers", clip_to=page.locator("section[aria-labelledby=numbers-title]"))

    ratings = f"{workspace}/campaigns/{campaign}/ratings"
    page.goto(ratings)
    guide_shot(page, "14-ratings-overview", clip_to=page.locator("main section.card").first)
    guide_shot(page.locator("main section.card").filter(has=page.locator(".chartwrap")).first, "14b-ratings-ranking")
    page.locator(".pagehead details.menu").evaluate("menu => { menu.open = true; }")
    guide_shot(page, "15-download-menu", clip_to=page.locator(".pagehead details.menu .menu__panel"))
    page.goto(f"{ratings}?tab=touchpoints&channel=flyer")
    guide_shot(page, "16-ratings-filtered", clip_to=page.locator("main section.card").nth(1))

    page.goto(f"{workspace}/touchpoints/{touchpoint.id}/landing")
    guide_shot(page, "17-landing-languages", clip_to=page.locator("main .texts").nth(2))
    page.goto(f"{workspace}/surveys/{survey.id}/questions/{question}/edit")
    guide_shot(page, "18-question-languages", clip_to=page.locator("main .texts").nth(2))
    page.goto(f"{workspace}/surveys/")
    guide_shot(page, "19-surveys-and-languages", clip_to=page.locator("section[aria-labelledby=languages-title]"))

    page.goto(f"{workspace}/surveys/{survey.id}/responses")
    page.locator("form[action$='/delete']").first.get_by_role("button").click()
    page.wait_for_load_state("load")
    guide_shot(page, "20-confirm-delete")
    page.goto(f"{workspace}/touchpoints/{touchpoint.id}")
    page.get_by_role("button", name="Archivieren").click()
    message = page.locator(".flash--undo")
    message.wait_for()
    guide_shot(page, "21-undo", clip_to=message)
    message.get_by_role("button", name="Rückgängig").click()
    page.get_by_text("Touchpoint wiederhergestellt.").wait_for()
    desk.close()

    phone = browser.new_context(**PHONE, **GERMAN)
    customer = phone.new_page()
    customer.goto(f"{live_server}/t/{quick}")
    customer.locator(".langs details").evaluate("menu => { menu.open = true; }")
    guide_shot(customer, "22-language-menu-on-a-phone", full_page=False)
    customer.locator(".langs details").evaluate("menu => { menu.open = false; }")
    customer.locator("label[for=q_nps_9]").click()  # answered at once: faster than anyone reads
    customer.get_by_role("button", name="Weiter").click()
    customer.get_by_role("button", name="Senden").click()
    customer.wait_for_load_state("load")
    assert customer.get_by_text("Bitte nehmen Sie sich einen Moment Zeit").is_visible()
    guide_shot(customer, "23-take-a-moment-on-a-phone")
    phone.close()
