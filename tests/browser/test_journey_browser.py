"""The whole journey in Chromium, the way people use the product: a marketer sets up a campaign and downloads a
QR code; the code, decoded from that PNG, brings a customer to the survey on a phone; the customer passes an
invite to a friend, who answers too; the marketer reads the ratings and the referral numbers and downloads the
XLSX, whose numbers match what was answered. Respondent and dashboard pages pass axe-core's WCAG 2.1 AA rules
without a serious or critical violation (tests/browser/test_accessibility_browser.py walks every dashboard page).

The screenshots of this run illustrate the user guide (`docs/guide.md`): `FEEDBACK_GUIDE_SCREENSHOTS=1` writes
them to `docs/img/` as well as to `tests/_artifacts/` (tests/browser/test_guide_browser.py takes the pages around
the journey on the demo data).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from PIL import Image
from werkzeug.serving import make_server

from tests.browser.conftest import DESKTOP, FRIEND_PHONE, PHONE, guide_shot, log_in

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
GERMAN = {"locale": "de-DE", "extra_http_headers": {"Accept-Language": "de-DE,de;q=0.9"}}


@pytest.fixture
def server(make_app) -> Iterator[str]:  # noqa: ANN001
    """The app on a loopback port, with PUBLIC_BASE_URL pointing at that port, so printed codes lead here."""
    app = make_app(SURVEY_MIN_FILL_SECONDS=0)
    served = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{served.server_port}"
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    try:
        yield app.config["PUBLIC_BASE_URL"]
    finally:
        served.shutdown()
        thread.join(timeout=10)


def _shot(page, name: str) -> None:  # noqa: ANN001
    guide_shot(page, name)


def _accessible(page, worst: tuple[str, ...]) -> None:  # noqa: ANN001
    """No axe-core WCAG 2.1 A/AA violation of the given impacts on the page as it is now."""
    violations = Axe().run(page, options=WCAG).response["violations"]
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations if v["impact"] in worst]
    assert not found, (page.url, found)


def _respondent(page) -> None:  # noqa: ANN001
    _accessible(page, ("serious", "critical"))


def _dashboard(page) -> None:  # noqa: ANN001
    _accessible(page, ("serious", "critical"))


def _answer(page, nps: int, reason: str) -> None:  # noqa: ANN001
    """Answer the NPS + reason survey on a phone (two steps) and send it."""
    page.locator(f"label[for=q_nps_{nps}]").click()
    page.get_by_role("button", name="Weiter").click()
    page.locator("textarea").first.fill(reason)
    page.get_by_role("button", name="Senden").click()
    page.wait_for_url("**/thanks?**")


def test_from_signup_to_a_rated_touchpoint(browser, server, make_user, make_workspace) -> None:
    marketer = make_user(email="anna@nordlicht.example", locale="de")
    workspace = make_workspace("Nordlicht Kaffee", owner=marketer)
    desk = browser.new_context(**DESKTOP, **GERMAN, accept_downloads=True)
    page = desk.new_page()
    log_in(page, server, marketer.email)
    _shot(page, "01-empty-workspace")
    _dashboard(page)

    # a campaign with three touchpoints in different journey phases
    page.get_by_role("link", name="Erste Kampagne anlegen").click()
    page.get_by_label("Name").fill("Frühjahr 2026")
    page.get_by_label("Budget").fill("5.000")
    _shot(page, "02-new-campaign")
    page.get_by_role("button", name="Kampagne speichern").click()
    # one pass: the campaign starts with the template's survey, and the form for its first touchpoint opens
    page.wait_for_url("**/campaigns/*/touchpoints/new")
    campaign_url = page.url.removesuffix("/touchpoints/new")
    touchpoints = (
        ("Plakat Hauptbahnhof", "poster", "awareness"),
        ("Flyer Wochenmarkt", "flyer", "consideration"),
        ("Kassenbon-Code", "packaging", "retention"),
    )
    for number, (name, channel, phase) in enumerate(touchpoints, start=1):
        page.get_by_label("Name").fill(name)
        page.get_by_label("Kanal").select_option(channel)
        page.get_by_label("Journey-Phase").select_option(phase)
        page.get_by_label("Kosten").fill("1.200")
        page.get_by_label("Reichweite").fill("4000")
        if phase == "awareness":
            _shot(page, "03-new-touchpoint")
        last = number == len(touchpoints)
        page.get_by_role("button", name="Touchpoint speichern" if last else "Speichern und nächsten anlegen").click()
        page.wait_for_url(campaign_url if last else "**/touchpoints/new?phase=*")
    assert "3 von 3 Touchpoints haben einen Code und eine Umfrage" in page.locator(".readiness").inner_text()
    _shot(page, "03b-campaign-ready")
    _dashboard(page)

    # a survey from a template, attached to the poster
    page.goto(f"{server}/w/{workspace.slug}/surveys/")
    page.get_by_label("Name").fill("Kurz-NPS")
    page.get_by_label("Beginnen mit").select_option("nps-reason")
    page.get_by_role("button", name="Umfrage anlegen").click()
    page.wait_for_load_state("load")
    _shot(page, "04-survey")
    _dashboard(page)
    page.goto(campaign_url)
    page.get_by_role("link", name="Plakat Hauptbahnhof").first.click()
    page.wait_for_url("**/touchpoints/*")
    page.locator("#survey_id").select_option(label="Kurz-NPS")
    page.locator("#survey").get_by_role("button", name="Speichern").click()
    page.wait_for_load_state("load")
    page.get_by_placeholder("Bezeichnung", exact=False).fill("Gleis 1")
    page.get_by_role("button", name="Neuer Code").click()
    page.wait_for_load_state("load")
    _shot(page, "05-touchpoint-with-code")
    _dashboard(page)

    # the QR PNG as the marketer downloads it, decoded by an independent decoder
    with page.expect_download() as download:
        page.locator("#codes").get_by_role("link", name="PNG").first.click()
    png = Path(download.value.path()).read_bytes()
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert re.fullmatch(rf"{re.escape(server.upper())}/T/[0-9A-Z]{{8}}", decoded.text), decoded.text
    code_url = decoded.text

    # a customer scans it with a German phone and answers
    phone = browser.new_context(**PHONE, **GERMAN)
    customer = phone.new_page()
    customer.goto(code_url)
    assert customer.get_by_text("Wie wahrscheinlich ist es", exact=False).is_visible()
    _shot(customer, "06-survey-on-a-phone")
    _respondent(customer)
    _answer(customer, 10, "Guter Kaffee, nette Leute")
    _shot(customer, "07-thank-you")
    _respondent(customer)
    customer.get_by_role("button", name="Meinen Einladungslink holen").click()
    customer.wait_for_selector(".invite__link a")
    _shot(customer, "08-invite")
    _respondent(customer)
    invite_link = customer.locator(".invite__link a").get_attribute("href")
    phone.close()

    # the friend opens the invite on another phone and answers too
    friend_phone = browser.new_context(**FRIEND_PHONE, **GERMAN)
    friend = friend_phone.new_page()
    friend.goto(invite_link)
    assert friend.get_by_text("Sie wurden von einem Freund eingeladen", exact=False).is_visible()
    _respondent(friend)
    _answer(friend, 8, "")
    friend_phone.close()

    # the marketer reads the results
    page.goto(campaign_url)
    assert page.locator("#phase-awareness").is_visible() and page.locator("#phase-retention").is_visible()
    _shot(page, "09-journey-map")
    _dashboard(page)
    page.get_by_role("link", name="Auswertung").first.click()
    page.wait_for_load_state("load")
    body = page.inner_text("main")
    assert "Plakat Hauptbahnhof" in body and re.search(r"NPS\s+50\b", body), body[:600]  # 10 and 8: NPS 50
    _shot(page, "10-ratings")
    _dashboard(page)
    page.goto(campaign_url)
    page.get_by_role("link", name="Empfehlungen").first.click()
    page.wait_for_load_state("load")
    _shot(page, "11-referrals")
    _dashboard(page)
    referrals = page.inner_text("main")
    assert re.search(r"Ausgegebene Einladungen\s+1\b", referrals, re.I), referrals[:400]  # shown in capitals
    assert re.search(r"Freunde, die geantwortet haben\s+1\b", referrals, re.I), referrals[:400]
    assert re.search(r"Annahmequote\s+100,0\s%", referrals, re.I), referrals[:400]  # 1 of 1 invites won a friend

    page.goto(f"{campaign_url}/ratings")
    page.get_by_text("Herunterladen").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Auswertung (Excel)").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]  # the ratings; sheet names follow the marketer's language, column keys do not
    header = [c.value for c in sheet[1]]
    rows = {
        row[header.index("touchpoint")]: dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    poster = rows["Plakat Hauptbahnhof"]
    assert poster["completions"] == 2 and poster["nps_n"] == 2  # the customer and the invited friend
    assert poster["nps"] == pytest.approx(50.0)  # one promoter (10), one passive (8)
    assert poster["nps_low"] < 50 < poster["nps_high"]
    low, high = round(poster["nps_low"]), round(poster["nps_high"])
    shown = rf"{str(low).replace('-', '[−-]')}\s*…\s*{high}"
    assert re.search(shown, body), (shown, body[:1500])  # the ratings page shows the same interval
    assert poster["scans"] >= 1 and poster["invites"] == 1 and poster["acceptances"] == 1
    assert rows["Flyer Wochenmarkt"]["completions"] == 0 and rows["Kassenbon-Code"]["scans"] == 0
    desk.close()
