"""Every dashboard page on the demo data, in Chromium at desktop size, passes axe-core's WCAG 2.1 A/AA rules without a
serious or critical violation: the GET pages of a workspace, the account, the API docs, each ratings tab and a
filter, a confirmation page and the undo message after archiving; on a phone, the survey with its language menu
open and the "please take a moment" step as well."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe

from feedback.analysis.tabs import Tab
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.cli import load_demo
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr.models import Code
from feedback.surveys.models import Survey
from feedback.touchpoints.models import Touchpoint
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookEndpoint
from tests.browser.conftest import DESKTOP, PHONE, dashboard_paths, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WORST = ("serious", "critical")


def _violations(axe: Axe, page, where: str) -> list[str]:  # noqa: ANN001
    """The serious and critical violations on the page with its menus open (download menus, filters), one line each
    (rule, impact, first targets)."""
    page.evaluate("document.querySelectorAll('details').forEach(menu => { menu.open = true; })")
    found = axe.run(page, options=WCAG).response["violations"]
    return [
        f"{where}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:4]}"
        for v in found
        if v["impact"] in WORST
    ]


def test_no_dashboard_page_has_a_serious_accessibility_violation(app, browser, live_server) -> None:
    login = load_demo(PASSWORD)
    slug = login["workspace"]
    workspace_id = db.session.scalar(sa.text("SELECT id FROM workspace WHERE slug = :s"), {"s": slug})
    endpoint = WebhookEndpoint(workspace_id=workspace_id, url="https://hooks.example.com/", events="ping", secret="s")
    db.session.add(endpoint)  # the demo has none, and its page is a page too
    db.session.flush()
    webhook_services.ping(endpoint, utcnow())
    api_services.create_token(workspace_id, "CRM", Scope.READ, None, utcnow())
    db.session.commit()
    campaign = db.session.scalar(sa.text("SELECT min(id) FROM campaign"))
    touchpoint = db.session.scalar(sa.select(Touchpoint).where(Touchpoint.campaign_id == campaign))
    ratings = f"/w/{slug}/campaigns/{campaign}/ratings"
    paths = [
        *dashboard_paths(app, slug),
        "/account",
        "/api/docs",
        *(f"{ratings}?tab={tab.value}" for tab in Tab if tab is not Tab.COMPARE),
        f"{ratings}?tab=touchpoints&channel={touchpoint.channel}",
    ]
    assert len(paths) >= 30 and not [p for p in paths if "None" in p], "\n".join(paths)
    assert f"/w/{slug}/notifications/" in paths  # "Alerts by mail" with the member's switches
    desk = browser.new_context(**DESKTOP, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = desk.new_page()
    log_in(page, live_server, login["email"])
    axe = Axe()
    problems = []
    for path in paths:
        answer = page.goto(f"{live_server}{path}")
        assert answer.status < 400, path
        problems += _violations(axe, page, path)

    # a confirmation page (deleting a response) and the undo message (archiving a touchpoint)
    page.goto(f"{live_server}/w/{slug}/surveys/{touchpoint.survey_id}/responses")
    page.locator("form[action$='/delete']").first.get_by_role("button").click()
    page.wait_for_load_state("load")
    problems += _violations(axe, page, "confirm delete response")
    page.goto(f"{live_server}/w/{slug}/touchpoints/{touchpoint.id}")
    page.get_by_role("button", name="Archivieren").click()
    page.locator(".flash--undo").wait_for()
    problems += _violations(axe, page, "undo archive touchpoint")
    desk.close()

    # on a phone: the survey with its language menu open, and the "please take a moment" step
    quick = db.session.scalar(
        sa.select(Code.code)
        .join(Touchpoint, Touchpoint.id == Code.touchpoint_id)
        .join(Survey, Survey.id == Touchpoint.survey_id)
        .where(Survey.name == "NPS + Grund", Code.batch_id.is_(None))
    )
    phone = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    customer = phone.new_page()
    customer.goto(f"{live_server}/t/{quick}")
    problems += _violations(axe, customer, "survey on a phone")
    customer.locator(".langs details").evaluate("menu => { menu.open = false; }")
    customer.locator("label[for=q_nps_9]").click()  # answered at once: faster than anyone reads
    customer.get_by_role("button", name="Weiter").click()
    customer.get_by_role("button", name="Senden").click()
    customer.get_by_text("Bitte nehmen Sie sich einen Moment Zeit").wait_for()
    problems += _violations(axe, customer, "take a moment on a phone")
    phone.close()
    assert not problems, "\n".join(problems)
