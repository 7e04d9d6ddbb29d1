"""/t/<code>: every scan is recorded without an IP address, then the landing page or a redirect follows."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import services
from feedback.qr.models import DailySalt, Scan, UnknownCodeHit
from feedback.qr.rendering import QrOptions, qr_url, render_png
from feedback.touchpoints.models import Channel
from tests.conftest import PUBLIC_BASE_URL
from tests.helpers import count
from tests.phone import VISITOR_IP, WHATSAPP, visit


@pytest.fixture
def code(app, make_touchpoint):  # noqa: ANN201
    """An active code of a flyer touchpoint with a landing page."""
    touchpoint = make_touchpoint(name="Flyer Markt", channel=Channel.FLYER)
    touchpoint.headline_texts = {"de": "Willkommen am Stand!", "en": "Welcome to our stand!"}
    touchpoint.body_texts = {"en": "Tell us what you think."}
    created = services.create_code(touchpoint, "Stand A")
    db.session.commit()
    return created


def test_scanning_the_decoded_png_records_the_scan_and_shows_the_landing_page(client, code) -> None:
    png = render_png(qr_url(PUBLIC_BASE_URL, code.code), QrOptions(size_mm=30))
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text
    assert decoded == f"HTTPS://FB.EXAMPLE/T/{code.code}"
    response = visit(client, urlsplit(decoded).path)
    assert response.status_code == 200
    assert "Willkommen am Stand!" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    scan = db.session.scalar(sa.select(Scan))
    assert (scan.code_id, scan.touchpoint_id, scan.workspace_id) == (code.id, code.touchpoint_id, code.workspace_id)
    assert (scan.device_class, scan.os, scan.browser, scan.language) == ("mobile", "iOS", "Mobile Safari", "de")
    assert scan.is_bot is False and scan.outcome == "ok" and len(scan.visitor_key) == 32
    assert (utcnow() - scan.scanned_at) < timedelta(minutes=1)


def test_a_link_preview_bot_gets_the_page_but_is_flagged(client, code) -> None:
    decoded = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(render_png(qr_url(PUBLIC_BASE_URL, code.code), QrOptions(size_mm=30))))
    )[0].text
    response = visit(client, urlsplit(decoded).path, ua=WHATSAPP)
    assert (
        response.status_code == 200
        and "Welcome" in response.get_data(as_text=True)
        or "Willkommen" in (response.get_data(as_text=True))
    )
    scan = db.session.scalar(sa.select(Scan))
    assert scan.is_bot is True and scan.device_class == "bot"


@pytest.mark.parametrize(
    "ua",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "TelegramBot (like TwitterBot)",
        "Twitterbot/1.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "",
    ],
)
def test_crawlers_and_previews_are_flagged(client, code, ua: str) -> None:
    assert visit(client, f"/t/{code.code}", ua=ua).status_code == 200
    assert db.session.scalar(sa.select(Scan.is_bot)) is True


def test_head_requests_are_served_and_flagged(client, code) -> None:
    assert visit(client, f"/t/{code.code}", method="HEAD").status_code == 200
    assert db.session.scalar(sa.select(Scan.is_bot)) is True


@pytest.mark.parametrize("form", ["/t/{c}", "/T/{c}", "/t/{lower}", "/T/{dashed}"])
def test_codes_are_case_insensitive_and_forgiving(client, code, form: str) -> None:
    path = form.format(c=code.code, lower=code.code.lower(), dashed=code.code[:4] + "-" + code.code[4:])
    assert visit(client, path).status_code == 200
    assert count(Scan) == 1


def test_no_ip_address_is_stored_anywhere(client, code) -> None:
    visit(client, f"/t/{code.code}", ip=VISITOR_IP)
    visit(client, f"/t/{code.code}", ip="2001:db8:85a3::8a2e:370:7334")
    db.session.rollback()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            text = " ".join(str(value) for value in row)
            assert "203.0.113" not in text and "2001:db8" not in text, table.name


def test_visitor_key_is_the_same_within_a_day_and_differs_between_visitors(client, code) -> None:
    visit(client, f"/t/{code.code}", ip="198.51.100.10")
    visit(client, f"/t/{code.code}", ip="198.51.100.10")
    visit(client, f"/t/{code.code}", ip="192.0.2.10")
    keys = list(db.session.scalars(sa.select(Scan.visitor_key).order_by(Scan.id)))
    assert keys[0] == keys[1] != keys[2]


def test_yesterdays_salt_is_destroyed(app, client, code) -> None:
    db.session.add(DailySalt(day=date.today() - timedelta(days=1), salt="ab" * 32))
    db.session.commit()
    visit(client, f"/t/{code.code}")
    db.session.rollback()
    days = list(db.session.scalars(sa.select(DailySalt.day)))
    assert days == [datetime.now(UTC).date()]


def test_a_first_party_cookie_gives_a_stable_key(client, code) -> None:
    client.set_cookie("fb_vid", "0123456789abcdef0123456789abcdef")
    visit(client, f"/t/{code.code}", ip="198.51.100.1")
    visit(client, f"/t/{code.code}", ip="192.0.2.99")
    rows = db.session.execute(sa.select(Scan.visitor_key, Scan.visitor_from_cookie)).all()
    assert rows[0] == rows[1] and rows[0][1] is True


def test_destination_touchpoints_redirect_with_utm_parameters(client, code) -> None:
    touchpoint = code.touchpoint
    touchpoint.destination_url = "https://shop.example.com/fruehjahr?ref=flyer&utm_source=old"
    db.session.commit()
    response = visit(client, f"/t/{code.code}")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "shop.example.com", "/fruehjahr")
    query = parse_qs(target.query)
    assert query == {
        "ref": ["flyer"],
        "utm_source": ["qr"],
        "utm_medium": ["flyer"],
        "utm_campaign": [touchpoint.campaign.slug],
        "utm_content": [code.code],
    }
    assert count(Scan) == 1


def test_the_redirect_target_never_comes_from_the_request(client, code) -> None:
    response = visit(client, f"/t/{code.code}?next=https://evil.example/&url=https://evil.example/")
    assert response.status_code == 200 and "evil" not in response.headers.get("Location", "")


def test_paused_code_says_the_campaign_has_ended_and_counts_the_attempt(client, code) -> None:
    services.set_paused(code, True, utcnow())
    db.session.commit()
    response = visit(client, f"/t/{code.code}")
    assert response.status_code == 200
    assert "Diese Aktion ist beendet" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Scan.outcome)) == "paused"


def test_expired_code_is_410_in_the_visitors_language(client, code) -> None:
    code.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = visit(client, f"/t/{code.code}", lang="en-GB")
    assert response.status_code == 410
    assert "This campaign has ended" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Scan.outcome)) == "expired"


def test_unknown_codes_get_a_friendly_404_and_are_counted_by_text(client, code) -> None:
    for _ in range(3):
        response = visit(client, "/t/ZZZZ9999")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Wir konnten diesen Code nicht finden" in text and "Traceback" not in text
    hit = db.session.scalar(sa.select(UnknownCodeHit))
    assert (hit.text, hit.hits) == ("ZZZZ9999", 3)
    assert count(Scan) == 0


@pytest.mark.parametrize(
    "raw",
    ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", "x" * 3000, "%00%01abc", "%E2%80%AEevil", "..%2F..%2Fetc"],
)
def test_hostile_paths_are_harmless_404s(client, code, raw: str) -> None:
    response = visit(client, f"/t/{raw}")
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    for hit in db.session.scalars(sa.select(UnknownCodeHit)):
        assert len(hit.text) <= 40 and "\x00" not in hit.text


def test_unknown_code_attempts_are_rate_limited_per_network_and_device(client, code) -> None:
    answers = [visit(client, f"/t/ZZZZ{n:04d}", ip="198.51.100.200") for n in range(62)]
    assert [a.status_code for a in answers] == [404] * 60 + [429, 429]
    refused = answers[-1]
    assert "Zu viele Versuche" in refused.get_data(as_text=True) and 1 <= int(refused.headers["Retry-After"]) <= 61
    assert count(UnknownCodeHit) == 60  # refused attempts are not stored
    assert visit(client, f"/t/{code.code}", ip="198.51.100.201").status_code == 200


def test_people_type_the_printed_code_at_t(client, code) -> None:
    form = visit(client, "/t")
    assert form.status_code == 200 and 'name="code"' in form.get_data(as_text=True)
    response = visit(client, f"/t?code={code.code[:4].lower()}-{code.code[4:].lower()}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/t/{code.code}?via=code")
    wrong = visit(client, "/t?code=hello")
    assert wrong.status_code == 200 and "8 Buchstaben und Ziffern" in wrong.get_data(as_text=True)


def _statements_of(client, path: str) -> list[str]:  # noqa: ANN001
    """The SQL statements (first words) one visit runs through SQLAlchemy, transaction control left out (the scan
    writer's inserts go to the driver directly; the tests count their rows)."""
    statements: list[str] = []

    def remember(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement.split()[0].upper())

    db.session.remove()
    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        visit(client, path)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    return statements


def _scans_of(code) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).where(Scan.code_id == code.id)) or 0


def test_the_scan_path_does_one_lookup_and_one_insert(app, client, code, make_touchpoint) -> None:
    other = services.create_code(make_touchpoint(campaign=code.touchpoint.campaign, name="Plakat"))
    db.session.commit()
    visit(client, f"/t/{other.code}")  # warm up: today's salt and the workspace's webhook subscribers, per process
    assert _statements_of(client, f"/t/{code.code}") == ["SELECT"]
    assert _scans_of(code) == 1
    assert _statements_of(client, f"/t/{code.code}") == []  # a repeat scan: the fast lane looks nothing up
    assert _scans_of(code) == 2


def test_landing_page_offers_calls_to_action_and_a_calendar_entry(client, make_touchpoint) -> None:
    touchpoint = make_touchpoint(name="Messe", channel=Channel.TRADE_FAIR, location="Halle B6")
    touchpoint.headline_texts = {"en": "See you at the fair"}
    touchpoint.cta_url, touchpoint.cta_label = "https://shop.example.com/", {"de": "Shop now"}
    touchpoint.phone, touchpoint.social_url = "+49 40 123456", "https://instagram.com/nordlicht"
    touchpoint.event_starts_at = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
    touchpoint.event_ends_at = datetime(2026, 3, 13, 17, 0, tzinfo=UTC)
    code = services.create_code(touchpoint)
    db.session.commit()
    html = visit(client, f"/t/{code.code}", lang="en").get_data(as_text=True)
    # every action goes through the service's redirect, which counts it (tests/qr/test_landing_actions.py)
    assert f'href="/t/{code.code}/go/cta"' in html and "Shop now" in html
    assert f'href="/t/{code.code}/go/call"' in html and "Call +49 40 123456" in html
    assert f'href="/t/{code.code}/go/follow"' in html and f'href="/t/{code.code}/go/calendar"' in html
    assert visit(client, f"/t/{code.code}/go/calendar").headers["Location"] == f"/t/{code.code}/event.ics"
    ics = visit(client, f"/t/{code.code}/event.ics", lang="en")
    assert ics.headers["Content-Type"].startswith("text/calendar")
    body = ics.get_data(as_text=True)
    assert "SUMMARY:See you at the fair" in body and "DTSTART:20260313T090000Z" in body
    assert "LOCATION:Halle B6" in body


def test_landing_page_is_tiny_and_loads_nothing_from_elsewhere(client, code) -> None:
    html = visit(client, f"/t/{code.code}").get_data(as_text=True)
    assert len(html.encode()) < 30_000
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert 'src="http' not in html and 'href="http' not in html.replace('href="https://shop', "")


@pytest.mark.parametrize(
    ("ua", "lang"),
    [
        ("A" * 20_000, "de-DE," * 3000),
        ("Mozilla/5.0 \x00\x01 <script>alert(1)</script>", "<script>;q=1"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) 🙂 עברית", "ü-ÜÜ,zz-ZZ;q=0.1"),
    ],
)
def test_hostile_user_agents_and_languages_are_bounded_and_stored_safely(client, code, ua: str, lang: str) -> None:
    response = client.get(f"/t/{code.code}", headers={"User-Agent": ua, "Accept-Language": lang})
    assert response.status_code == 200
    scan = db.session.scalar(sa.select(Scan))
    assert len(scan.os) <= 40 and len(scan.browser) <= 40 and len(scan.language) <= 8
    assert "\x00" not in scan.browser + scan.os and "<" not in scan.language
