"""The Content-Security-Policy blocks nothing of our own: respondent and dashboard pages run without a violation."""

from __future__ import annotations

import pytest

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.offers.models import Offer
from feedback.qr import services as qr_services
from feedback.surveys import services as survey_services
from feedback.touchpoints import services as tp
from tests.browser.conftest import DESKTOP, PHONE, log_in
from tests.browser.pages import LISTEN

pytestmark = pytest.mark.browser

@pytest.fixture
def live_config() -> dict[str, object]:
    return {"SURVEY_MIN_FILL_SECONDS": 0}


def test_no_page_of_ours_violates_the_policy(browser, live_server, make_user, make_workspace) -> None:
    owner = make_user(email="csp@example.com", locale="de")
    workspace = make_workspace("Nordlicht Kaffee", members={owner: Role.OWNER})
    campaign = tp.create_campaign(workspace.id, tp.CampaignData(name="Messe", ask_contact=True))
    touchpoint = tp.create_touchpoint(campaign, tp.TouchpointData("Stand", "trade_fair", "awareness"))
    survey = survey_services.create_survey(workspace.id, "Messebesuch", "trade-fair")
    survey_services.attach(touchpoint, survey)
    code = qr_services.create_code(touchpoint)
    db.session.add(
        Offer(workspace_id=workspace.id, campaign_id=campaign.id, name="x", texts={"de": "10 %"}, with_coupon=True)
    )
    db.session.commit()

    phone = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    phone.add_init_script(LISTEN)
    page = phone.new_page()
    page.goto(f"{live_server}/t/{code.code}")
    page.locator("label[for=q_nps_9]").click()  # respond.js saves as the answer is given
    page.locator("label[for=q_csat_4]").click()
    page.locator("label[for=q_ces_5]").click()
    page.get_by_text("Ja, mit Informationen").click()
    page.get_by_role("button", name="Senden").click()
    page.wait_for_url("**/thanks?**")
    page.get_by_role("button", name="Meinen Einladungslink holen").click()
    page.wait_for_selector(".invite__qr svg")
    assert page.evaluate("window.__csp") == []
    phone.close()

    desk = browser.new_context(**DESKTOP, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    desk.add_init_script(LISTEN)
    page = desk.new_page()
    log_in(page, live_server, owner.email)
    for path in (
        f"/w/{workspace.slug}/campaigns/{campaign.id}",
        f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings",
        f"/w/{workspace.slug}/surveys/{survey.id}/preview",
        f"/w/{workspace.slug}/webhooks/",
        f"/w/{workspace.slug}/api-tokens/",
        f"/w/{workspace.slug}/leads/",
        "/api/docs",
    ):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__csp") == [], path
    desk.close()
