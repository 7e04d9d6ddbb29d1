"""Managing codes in the dashboard: create, pause, expire, download images and the print sheet."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from feedback.analysis.services import code_traffic
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import services
from feedback.qr.models import Code, Scan
from feedback.touchpoints.models import Channel
from tests.helpers import count


@pytest.fixture
def touchpoint(client, auth, make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """A touchpoint in a workspace whose editor is logged in."""
    editor = make_user()
    workspace = make_workspace(members={editor: Role.EDITOR})
    auth.login(editor)
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    return make_touchpoint(campaign=campaign, name="Plakat Hbf", channel=Channel.POSTER)


def _ws(touchpoint) -> str:  # noqa: ANN001
    return f"/w/{touchpoint.campaign.workspace.slug}"


def test_editor_creates_codes_for_placements(client, touchpoint) -> None:
    for label in ("Gleis 1", "Gleis 2", ""):
        response = client.post(f"{_ws(touchpoint)}/touchpoints/{touchpoint.id}/codes", data={"label": label})
        assert response.status_code == 302
    codes = list(db.session.scalars(sa.select(Code).order_by(Code.id)))
    assert [c.label for c in codes] == ["Gleis 1", "Gleis 2", ""]
    assert len({c.code for c in codes}) == 3 and all(c.touchpoint_id == touchpoint.id for c in codes)
    html = client.get(f"{_ws(touchpoint)}/touchpoints/{touchpoint.id}").get_data(as_text=True)
    assert "Gleis 1" in html and codes[0].code[:4] in html


def test_duplicate_labels_are_refused(client, touchpoint) -> None:
    client.post(f"{_ws(touchpoint)}/touchpoints/{touchpoint.id}/codes", data={"label": "Gleis 1"})
    page = client.post(
        f"{_ws(touchpoint)}/touchpoints/{touchpoint.id}/codes", data={"label": "gleis 1"}, follow_redirects=True
    )
    assert "already has a code with this label" in page.get_data(as_text=True)
    assert count(Code) == 1


def test_pausing_and_resuming_a_code(client, touchpoint) -> None:
    code = services.create_code(touchpoint)
    db.session.commit()
    client.post(f"{_ws(touchpoint)}/codes/{code.id}/pause")
    db.session.refresh(code)
    assert code.state(utcnow()).value == "paused"
    assert client.get(f"/t/{code.code}").status_code == 200
    assert "This campaign has ended" in client.get(f"/t/{code.code}").get_data(as_text=True)
    client.post(f"{_ws(touchpoint)}/codes/{code.id}/pause", data={"resume": "1"})
    db.session.refresh(code)
    assert code.state(utcnow()).value == "active"


def test_expiry_is_the_end_of_the_day_in_the_workspace_time_zone(client, touchpoint) -> None:
    code = services.create_code(touchpoint)
    db.session.commit()
    client.post(f"{_ws(touchpoint)}/codes/{code.id}/expiry", data={"expires_on": "2026-06-30"})
    db.session.refresh(code)
    assert code.expires_at.isoformat() == "2026-06-30T22:00:00+00:00"  # midnight in Berlin (CEST)
    yesterday = (utcnow() - timedelta(days=2)).date().isoformat()
    client.post(f"{_ws(touchpoint)}/codes/{code.id}/expiry", data={"expires_on": yesterday})
    assert client.get(f"/t/{code.code}").status_code == 410
    client.post(f"{_ws(touchpoint)}/codes/{code.id}/expiry", data={"expires_on": ""})
    db.session.refresh(code)
    assert code.expires_at is None


def test_png_and_svg_downloads_decode_to_the_printed_url(client, touchpoint) -> None:
    code = services.create_code(touchpoint, "Gleis 1")
    db.session.commit()
    png = client.get(f"{_ws(touchpoint)}/codes/{code.id}/qr.png?size_mm=35&ec=Q")
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert f"plakat-hbf-gleis-1-{code.code}.png" in png.headers["Content-Disposition"]
    image = Image.open(io.BytesIO(png.data))
    assert image.width == 413  # 35 mm at 300 dpi
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"HTTPS://FB.EXAMPLE/T/{code.code}"]
    svg = client.get(f"{_ws(touchpoint)}/codes/{code.id}/qr.svg?size_mm=60&caption=0")
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert 'width="60mm"' in svg.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("size_mm=100000", "between 10 and 300 mm"),
        ("size_px=99999999", "between 64 and 4000 pixels"),
        ("size_mm=abc", "must be a number"),
        ("fg=%23EEEEEE", "too little contrast"),
        ("fg=%23FFFFFF&bg=%23000000", "darker than the background"),
        ("fg=javascript:alert(1)", "#1A2B3C"),
        ("ec=Z", "L, M, Q, H"),
    ],
)
def test_bad_image_options_are_a_400_with_the_reason(client, touchpoint, query: str, message: str) -> None:
    code = services.create_code(touchpoint)
    db.session.commit()
    response = client.get(f"{_ws(touchpoint)}/codes/{code.id}/qr.png?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_campaign_print_sheet_lists_every_code(client, touchpoint, make_touchpoint) -> None:
    other = make_touchpoint(campaign=touchpoint.campaign, name="Flyer Markt")
    first, second = services.create_code(touchpoint, "Gleis 1"), services.create_code(other, "Stand")
    db.session.commit()
    response = client.get(f"{_ws(touchpoint)}/campaigns/{touchpoint.campaign_id}/codes.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    for expected in ("Plakat Hbf", "Gleis 1", "Flyer Markt", first.code[:4], second.code[:4], "fb.example/t/"):
        assert expected in text


def test_the_print_kit_holds_every_code_as_png_and_svg_the_sheet_and_a_guide(
    client, touchpoint, make_touchpoint
) -> None:
    other = make_touchpoint(campaign=touchpoint.campaign, name="Flyer Markt")
    first, second = services.create_code(touchpoint, "Gleis 1"), services.create_code(touchpoint, "Gleis 2")
    third = services.create_code(other, "")
    db.session.commit()
    page = client.get(f"{_ws(touchpoint)}/campaigns/{touchpoint.campaign_id}").get_data(as_text=True)
    assert f"/campaigns/{touchpoint.campaign_id}/codes.zip" in page
    response = client.get(f"{_ws(touchpoint)}/campaigns/{touchpoint.campaign_id}/codes.zip?lang=de")  # a German user
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    stems = [f"plakat-hbf_gleis-1_{first.code}", f"plakat-hbf_gleis-2_{second.code}", f"flyer-markt_{third.code}"]
    assert sorted(archive.namelist()) == sorted(
        ["DRUCKANLEITUNG.txt", "print-sheet.pdf", *(f"png/{s}.png" for s in stems), *(f"svg/{s}.svg" for s in stems)]
    )
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(archive.read(f"png/{stems[0]}.png"))))
    assert [d.text for d in decoded] == [f"HTTPS://FB.EXAMPLE/T/{first.code}"]
    assert archive.read(f"svg/{stems[2]}.svg").startswith(b"<?xml") or b"<svg" in archive.read(f"svg/{stems[2]}.svg")
    guide = archive.read("DRUCKANLEITUNG.txt").decode()
    assert "3 Codes" in guide and "Ruhezone" in guide and "Kontrast" in guide and "mindestens ein Zehntel" in guide
    sheet = PdfReader(io.BytesIO(archive.read("print-sheet.pdf"))).pages[0].extract_text()
    assert "Gleis 2" in sheet and "Flyer Markt" in sheet
    assert client.get(f"{_ws(touchpoint)}/campaigns/{touchpoint.campaign_id}/codes.zip?size_mm=abc").status_code == 400


def test_touchpoint_page_counts_scans_without_bots(app, client, touchpoint) -> None:
    code = services.create_code(touchpoint)
    db.session.commit()
    phone = app.test_client()  # a customer's phone, not the logged-in marketer's browser (a team device)
    for ip in ("198.51.100.1", "198.51.100.1", "192.0.2.7"):
        phone.get(f"/t/{code.code}", headers={"User-Agent": "Mozilla/5.0 (iPhone)"}, environ_base={"REMOTE_ADDR": ip})
    phone.get(f"/t/{code.code}", headers={"User-Agent": "WhatsApp/2.24"})
    traffic = code_traffic(touchpoint.workspace_id, "Europe/Berlin", [touchpoint.id])
    stats = services.code_stats(touchpoint, traffic)[code.id]
    assert (stats.scans, stats.unique_visitors, stats.bot_scans) == (3, 2, 1)
    assert count(Scan) == 4
    html = client.get(f"{_ws(touchpoint)}/touchpoints/{touchpoint.id}").get_data(as_text=True)
    assert "no – bot or link preview" in html


def test_landing_page_editor_validates_links_phone_and_event(client, touchpoint, make_touchpoint) -> None:
    url = f"{_ws(touchpoint)}/touchpoints/{touchpoint.id}/landing"
    bad = [
        ({"cta_url": "javascript:alert(1)"}, "https:// address"),
        ({"destination_url": "http://shop.example.com"}, "https:// address"),
        ({"destination_url": "https://x.example:abc/"}, "https:// address"),  # a port that is no number
        ({"destination_url": "https://x.example:99999/"}, "https:// address"),
        ({"social_url": "https://user:pw@example.com"}, "https:// address"),
        ({"phone": "call me"}, "phone number"),
        ({"event_starts_at": "2026-03-13T09:00"}, "only trade-fair and event"),
    ]
    for data, message in bad:
        response = client.post(url, data=data)
        assert response.status_code == 200 and message in response.get_data(as_text=True), data
    db.session.refresh(touchpoint)
    assert touchpoint.cta_url is None and touchpoint.phone == "" and touchpoint.event_starts_at is None
    good = {"headline_texts-de": "Hallo", "cta_url": "https://shop.example.com/x", "phone": "+49 40 123456"}
    assert client.post(url, data=good).status_code == 302
    db.session.refresh(touchpoint)
    assert (touchpoint.headline_texts, touchpoint.cta_url) == ({"de": "Hallo"}, "https://shop.example.com/x")


def test_a_destination_stored_before_the_stricter_check_shows_the_landing_page(app, touchpoint) -> None:
    """A scan never ends in an error page because of a destination an older version accepted."""
    touchpoint.destination_url = "https://x.example:abc/"
    code = services.create_code(touchpoint)
    db.session.commit()
    phone = app.test_client()
    reply = phone.get(f"/T/{code.code}", headers={"Accept": "text/html", "Accept-Language": "de"})
    assert reply.status_code == 200 and "Content-Security-Policy" in reply.headers
    assert count(Scan) == 1


def test_event_times_are_entered_in_the_workspace_time_zone(client, touchpoint, make_touchpoint) -> None:
    fair = make_touchpoint(campaign=touchpoint.campaign, name="Messe", channel=Channel.TRADE_FAIR)
    url = f"{_ws(touchpoint)}/touchpoints/{fair.id}/landing"
    assert (
        client.post(url, data={"event_starts_at": "2026-03-13T09:00", "event_ends_at": "2026-03-13T17:00"}).status_code
        == 302
    )
    db.session.refresh(fair)
    assert fair.event_starts_at.isoformat() == "2026-03-13T08:00:00+00:00"  # 09:00 CET
    assert 'value="2026-03-13T09:00"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"event_starts_at": "2026-03-13T09:00", "event_ends_at": "2026-03-13T08:00"})
    assert "start before its end" in response.get_data(as_text=True)


def test_expiry_form_refuses_a_non_date(client, touchpoint) -> None:
    code = services.create_code(touchpoint)
    db.session.commit()
    page = client.post(f"{_ws(touchpoint)}/codes/{code.id}/expiry", data={"expires_on": "soon"}, follow_redirects=True)
    assert "Not a valid date value." in page.get_data(as_text=True)
    db.session.refresh(code)
    assert code.expires_at is None and date.today()


def test_a_campaign_without_codes_offers_no_empty_print_kit(client, touchpoint) -> None:
    """Nothing to print: the kit and the sheet send the marketer back to the campaign with what to do, instead of an
    empty ZIP or a blank PDF."""
    for download in ("codes.zip", "codes.pdf"):
        answer = client.get(f"{_ws(touchpoint)}/campaigns/{touchpoint.campaign_id}/{download}")
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/campaigns/{touchpoint.campaign_id}")
        page = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert "give a touchpoint of this campaign a code first" in page
