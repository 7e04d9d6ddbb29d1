"""Referral journey in a real browser: invite taken on one phone, accepted on another."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.auth.models import Membership, Role
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.referrals import services as referrals
from feedback.referrals.models import InviteAcceptance
from feedback.surveys import services as surveys
from tests.browser.conftest import DESKTOP, FRIEND_PHONE, PHONE, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config() -> dict[str, object]:
    """A browser test answers faster than a person; the too-fast bot check is tested elsewhere."""
    return {"SURVEY_MIN_FILL_SECONDS": 0}


def _answer(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    page.locator("label[for=q_nps_10]").click()
    page.locator("label[for=q_csat_5]").click()
    page.locator("label[for=q_repurchase_4]").click()
    page.get_by_role("button", name="Senden").click()
    page.wait_for_url("**/thanks?r=*")


def test_a_friend_accepts_an_invite_taken_on_the_thank_you_page(
    browser, live_server, make_user, make_touchpoint, screenshot
):
    touchpoint = make_touchpoint(name="Flyer")
    touchpoint.campaign.incentive_text = "10 % für dich und deinen Freund"
    surveys.attach(touchpoint, surveys.create_survey(touchpoint.workspace_id, "Treue", "loyalty"))
    code = qr_services.create_code(touchpoint).code
    campaign_id = touchpoint.campaign_id
    db.session.commit()

    referrer = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = referrer.new_page()
    _answer(page, f"{live_server}/t/{code}")
    page.get_by_role("button", name="Meinen Einladungslink holen").click()
    link = page.locator(".invite__link a").inner_text()
    assert "/i/" in link
    # this browser has no share sheet (Chromium on Linux): no "Teilen" button that does nothing
    assert page.evaluate("typeof navigator.share") == "undefined"
    assert not page.get_by_role("button", name="Teilen").is_visible()
    screenshot(page, "invite-phone")
    thanks = page.url

    scriptless = browser.new_context(**PHONE, locale="de-DE", java_script_enabled=False)
    plain = scriptless.new_page()
    plain.goto(thanks)  # the same thank-you page without JavaScript: the link, and no dead buttons
    assert plain.locator(".invite__link a").is_visible()
    for name in ("Teilen", "Link kopieren"):
        assert not plain.get_by_role("button", name=name).is_visible()
    scriptless.close()

    friend = browser.new_context(**FRIEND_PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    friend_page = friend.new_page()
    invite_path = link.split("/i/", 1)[1]
    friend_page.goto(f"{live_server}/i/{invite_path}")
    assert friend_page.get_by_text("Sie wurden von einem Freund eingeladen").is_visible()
    screenshot(friend_page, "invited-phone")
    _answer(friend_page, f"{live_server}/i/{invite_path}")
    friend.close()

    page.goto(f"{live_server}/i/{invite_path}")  # the referrer opens their own link
    referrer.close()

    db.session.rollback()
    campaign = db.session.get(type(touchpoint.campaign), campaign_id)
    per_touchpoint, total = referrals.referral_numbers(campaign)
    assert (total.metrics.invites, total.metrics.unique_opens, total.metrics.friends) == (1, 1, 1)
    assert total.metrics.k_factor == pytest.approx(1 / 2) and total.metrics.completed == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InviteAcceptance)) == 1

    # the marketer's referral page: every revoke button stays inside its card
    owner = make_user(email="referrals@example.com", locale="de")
    db.session.add(Membership(user_id=owner.id, workspace_id=campaign.workspace_id, role=Role.OWNER.value))
    db.session.commit()
    desk = browser.new_context(**DESKTOP, locale="de-DE")
    admin = desk.new_page()
    log_in(admin, live_server, owner.email)
    admin.goto(f"{live_server}/w/{campaign.workspace.slug}/campaigns/{campaign_id}/referrals")
    buttons = admin.get_by_role("button", name="Zurückziehen")
    assert buttons.count() >= 1
    for n in range(buttons.count()):
        card = buttons.nth(n).locator("xpath=ancestor::section[contains(@class, 'card')]").bounding_box()
        box = buttons.nth(n).bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"] + 1, "a revoke button sticks out of its card"
    desk.close()
