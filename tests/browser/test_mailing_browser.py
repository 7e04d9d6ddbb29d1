"""A marketer uploads a mailing's recipient list in a real browser; a recipient scans their personal code."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.qr.models import Code
from feedback.surveys import services as survey_services
from feedback.touchpoints.models import Channel
from tests.browser.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser


def test_mailing_upload_download_and_the_recipients_notice(
    browser, live_server, make_user, make_workspace, make_campaign, make_touchpoint, screenshot, tmp_path
) -> None:
    editor = make_user(email="mailing@example.com", locale="de")
    workspace = make_workspace("Nordlicht Kaffee", members={editor: Role.EDITOR})
    touchpoint = make_touchpoint(
        campaign=make_campaign(workspace=workspace, name="Kundenbindung"),
        name="Kundenmailing März",
        channel=Channel.POSTAL_MAIL,
    )
    survey_services.attach(touchpoint, survey_services.create_survey(workspace.id, "Treue", "loyalty"))
    db.session.commit()
    upload = tmp_path / "empfaenger.csv"
    upload.write_bytes("Name;Referenz\r\nMüller;K-1001\r\nSchäfer;K-1002\r\nÖzdemir;K-1003\r\n".encode("cp1252"))

    context = browser.new_context(**DESKTOP, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    log_in(page, live_server, editor.email)
    page.goto(f"{live_server}/w/{workspace.slug}/touchpoints/{touchpoint.id}")
    page.get_by_label("Name des Mailings").fill("Mailing März")
    page.get_by_label("CSV mit Empfänger-Referenzen").set_input_files(str(upload))
    screenshot(page, "mailing-upload-desktop")
    page.get_by_role("button", name="Personalisierte Codes erstellen").click()
    page.wait_for_url("**/batches/*")
    assert page.get_by_text("3 personalisierte Codes in „Mailing März“ erstellt.").is_visible()
    assert page.get_by_role("cell", name="K-1002").is_visible()
    screenshot(page, "mailing-batch-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name="Serienbrief-Datei (CSV, maschinenlesbar)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["reference"] for r in rows] == ["K-1001", "K-1002", "K-1003"]
    context.close()

    db.session.commit()  # end the test's read snapshot: the rows were written by the server
    code = db.session.scalar(sa.select(Code).where(Code.reference == "K-1001"))
    phone = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    recipient = phone.new_page()
    recipient.goto(rows[0]["url"].replace("HTTPS://FB.EXAMPLE", live_server))
    assert recipient.get_by_text("Dieser Link wurde Ihnen persönlich zugeschickt").is_visible()
    assert code.code in rows[0]["url"]
    screenshot(recipient, "mailing-recipient-phone")
    editor_phone = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    touchpoint_page = editor_phone.new_page()
    log_in(touchpoint_page, live_server, editor.email)
    touchpoint_page.goto(f"{live_server}/w/{workspace.slug}/touchpoints/{touchpoint.id}")
    screenshot(touchpoint_page, "mailing-touchpoint-phone")
    assert touchpoint_page.evaluate("() => document.documentElement.scrollWidth") <= 390, "scrolls sideways"
    editor_phone.close()
    phone.close()
