"""The alert mails in Chromium at phone and desktop widths (each topic, with hostile names, loading nothing), and the
pages around them: the dashboard's "Alerts by mail" page with its mail log and the public unsubscribe page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.notifications import compose
from feedback.notifications.digest import render_digest
from feedback.notifications.models import Mail, Topic
from feedback.notifications.tokens import unsubscribe_token
from tests.browser.conftest import DESKTOP, PHONE, log_in
from tests.conftest import PUBLIC_BASE_URL
from tests.notifications import test_digest as weekly

pytestmark = pytest.mark.browser
#: The weekly report's fixtures (a seeded week of a campaign).
seeded, data = weekly.seeded, weekly.data

HOSTILE = "<script>alert(1)</script>"
AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
LONG_URL = (
    "https://hooks.example-crm-with-a-rather-long-hostname.com/api/v2/incoming/feedback/events?token=abcdef0123456789"
)
LONG_ANSWER = ("Niemand hatte Zeit für mich. " * 6).strip()
#: The screen sizes of the dashboard pages: a phone, and a desktop 1280 px wide.
SIZES = {"phone": PHONE, "desktop": {**DESKTOP, "viewport": {"width": 1280, "height": 900}}}


def _iso(value: datetime) -> str:
    return value.isoformat()


def _contact(name: str) -> dict[str, Any]:
    return {
        "id": 7,
        "name": name,
        "email": "maria.mustermann-langname@beispiel-unternehmen.example",
        "phone": "+49 170 1234567",
        "consent_text": "Ja, Nordlicht darf mich zu meiner Rückmeldung per E-Mail oder Telefon kontaktieren.",
        "consented_at": _iso(AT),
    }


def _detractors() -> list[dict[str, Any]]:
    """Two detractors as subscribers.py writes them: one commented, one also left consented contact details."""
    commented = {
        "touchpoint": f"Schaufenster {HOSTILE}",
        "touchpoint_id": 3,
        "campaign": "Frühjahr 2026",
        "campaign_id": 2,
        "score": 3,
        "comments": [{"question": "Was können wir besser machen?", "answer": f"Kalt & teuer {HOSTILE}"}],
        "response_id": 11,
        "at": _iso(AT),
    }
    called = {
        **commented,
        "touchpoint": "Messestand",
        "score": 0,
        "comments": [{"question": "Was können wir besser machen?", "answer": LONG_ANSWER}],
        "response_id": 12,
        "contact": _contact(f"Maria {HOSTILE}"),
    }
    return [commented, called]


def _lead() -> dict[str, Any]:
    """A sales-ready lead as subscribers.py writes it, with its score history."""
    steps = [("Scanned a code", "scan", 1), ("Completed a survey", "completed", 5)]
    steps += [("Promoter answer (NPS 9–10)", "promoter", 10), ("Asked for an offer or information", "follow_up", 20)]
    return {
        "contact": _contact(f"Jonas {HOSTILE}"),
        "score": 36,
        "touchpoint": "Messestand",
        "history": [
            {"at": _iso(AT + timedelta(minutes=i)), "label": label, "activity": activity, "points": points}
            for i, (label, activity, points) in enumerate(steps)
        ],
    }


def _drop() -> dict[str, Any]:
    """An NPS drop as checks.py writes it: counts per score of the last 4 weeks and the 12 before."""
    return {
        "touchpoint": f"Flyer {HOSTILE}",
        "touchpoint_id": 4,
        "campaign": "Frühjahr 2026",
        "campaign_id": 2,
        "recent": {"2": 8, "5": 6, "8": 4, "9": 2},
        "previous": {"3": 4, "8": 10, "9": 16, "10": 20},
        "recent_days": ["2026-02-10", "2026-03-09"],
        "previous_days": ["2025-11-18", "2026-02-09"],
        "p_adjusted": 0.0004,
        "family": 3,
    }


def _failing() -> list[dict[str, Any]]:
    """A webhook and the mails failing for a day, as checks.py writes them."""
    return [
        {
            "kind": "webhook",
            "endpoint_id": 5,
            "target": LONG_URL,
            "count": 14,
            "since": _iso(AT - timedelta(days=1)),
            "error": "HTTP 503 Service Unavailable",
        },
        {
            "kind": "mail",
            "target": "inhaber@example.com, eva@example.com",
            "count": 3,
            "since": _iso(AT - timedelta(days=1, hours=2)),
            "error": "550 5.1.1 No such user here",
        },
    ]


#: Each mail: its topic, its items, and texts a reader must see in it (German).
MAILS = {
    "detractor": (Topic.DETRACTOR, _detractors, ["3 von 10", f"Schaufenster {HOSTILE}", f"Kalt & teuer {HOSTILE}",
                                                  f"Maria {HOSTILE}", "+49 170 1234567", "0 von 10"]),
    "sales_ready": (Topic.SALES_READY, lambda: [_lead()], [f"Jonas {HOSTILE}", "36 Punkte", "+20", "Code gescannt",
                                                                "Score-Verlauf", "Messestand"]),
    "nps_drop": (Topic.NPS_DROP, lambda: [_drop()], [f"Flyer {HOSTILE}", "n = 20", "n = 50", "Frühjahr 2026"]),
    "delivery_failing": (Topic.DELIVERY_FAILING, _failing, ["14 Ereignisse", "503", "550 5.1.1", "eva@example.com",
                                                            "3 Mails"]),
}  # fmt: skip


@pytest.fixture
def mails(make_user, make_workspace) -> dict[str, str]:  # noqa: ANN001
    """The HTML of every alert mail, in German, and of the test mail."""
    user = make_user(email="ines@example.com", locale="de", name="Ines")
    workspace = make_workspace(f"Nordlicht {HOSTILE}", owner=user)
    html = {name: compose.alerts(topic, items(), user, workspace).html for name, (topic, items, _) in MAILS.items()}
    html["test"] = compose.test_mail("de").html
    return html


def _assert_safe(html: str, hostile: bool) -> None:
    """Names are escaped; no image, script, style sheet or foreign link (mailto: aside)."""
    assert HOSTILE not in html
    assert ("&lt;script&gt;alert(1)&lt;/script&gt;" in html) is hostile
    assert not re.search(r"<(img|script|link|style|iframe|object)\b", html, re.IGNORECASE)
    assert "url(" not in html and "@import" not in html
    urls = re.findall(r"""href\s*=\s*["']((?!mailto:)[^"']*)""", html)
    assert all(url.startswith(PUBLIC_BASE_URL + "/") for url in urls), urls


@pytest.mark.parametrize("width", [375, 700])
@pytest.mark.parametrize("name", [*MAILS, "test"])
def test_each_alert_mail_fits_phones_and_desktops(browser, mails, tmp_path: Path, name: str, width: int) -> None:
    """No horizontal scrolling, nothing fetched, names escaped, and what the reader needs is visible."""
    html = mails[name]
    _assert_safe(html, hostile=name != "test")
    fetched: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.route("**/*", lambda route: (fetched.append(route.request.url), route.abort()))
        page.set_content(html)
        page.screenshot(path=str(tmp_path / f"mail-{name}-{width}.png"), full_page=True)
        assert fetched == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        visible = page.inner_text("body").replace("\xa0", " ")
        expected = MAILS[name][2] if name in MAILS else ["Testmail von feedback"]
        for text in expected:
            assert text in visible, (text, visible)
        if name != "test":
            assert "Diese E-Mails abbestellen" in visible
    finally:
        page.close()


# --- the dashboard page and the unsubscribe page ------------------------------------------------------------------


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"SMTP_URL": "smtp://127.0.0.1:1?timeout=1"}


def _mail(workspace_id: int, user_id: int, subject: str, topic: Topic, **state: Any) -> None:
    db.session.add(
        Mail(
            workspace_id=workspace_id,
            user_id=user_id,
            to_address="ines.inhaberin-mit-langer-adresse@nordlicht-kaffeeroesterei.example",
            topic=topic.value,
            locale="de",
            subject=subject,
            text_body="",
            html_body="",
            message_id=f"<{subject.__hash__()}@fb.example>",
            created_at=AT,
            next_attempt_at=AT + timedelta(minutes=5),
            **state,
        )
    )


@pytest.fixture
def mail_log(make_user, make_workspace):  # noqa: ANN001, ANN201
    owner = make_user(email="ines@example.com", locale="de", name="Ines")
    workspace = make_workspace("Nordlicht Kaffee", members={owner: Role.OWNER})
    _mail(
        workspace.id,
        owner.id,
        "Kritiker an Schaufenster: 3 von 10",
        Topic.DETRACTOR,
        status="sent",
        attempts=1,
        sent_at=AT + timedelta(seconds=3),
    )
    _mail(
        workspace.id,
        owner.id,
        "Ein Lead ist bereit für den Vertrieb",
        Topic.SALES_READY,
        status="pending",
        attempts=2,
        last_error="451 4.3.0 Mailbox busy, try again later",
    )
    _mail(
        workspace.id,
        owner.id,
        "Der NPS an Flyer ist gesunken",
        Topic.NPS_DROP,
        status="failed",
        attempts=8,
        last_error="550 5.1.1 <ines.inhaberin-mit-langer-adresse@nordlicht-kaffeeroesterei.example>: "
        "Recipient address rejected: User unknown in virtual mailbox table",
    )
    _mail(workspace.id, owner.id, "Wochenbericht Frühjahr 2026", Topic.DIGEST, status="pending", attempts=0)
    db.session.commit()
    return owner, workspace


def _fits(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _serious(page) -> list[str]:  # noqa: ANN001
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page, one line each."""
    found = Axe().run(page, options=WCAG).response["violations"]
    return [
        f"{v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:4]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("size", SIZES)
def test_the_alerts_page_and_its_mail_log(browser, live_server, mail_log, tmp_path: Path, size: str) -> None:  # noqa: ANN001
    owner, workspace = mail_log
    context = browser.new_context(**SIZES[size], locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    try:
        log_in(page, live_server, owner.email)
        page.goto(f"{live_server}/w/{workspace.slug}/notifications/")
        page.screenshot(path=str(tmp_path / f"settings-{size}.png"), full_page=True)
        assert _fits(page)
        log = page.locator("table").text_content()
        for text in ("versandt", "wartet auf neuen Versuch", "451 4.3.0", "550 5.1.1", "aufgegeben", "2 Versuche"):
            assert text in log, (text, log)
        assert page.get_by_role("checkbox").count() == 5
        assert page.get_by_label("Ein Lead ist bereit für den Vertrieb").is_checked()  # each switch has its label
        assert _serious(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_without_a_mail_server_the_log_says_so(browser, make_app, mail_log, tmp_path: Path, size: str) -> None:  # noqa: ANN001
    import threading

    from werkzeug.serving import make_server

    owner, workspace = mail_log
    server = make_server("127.0.0.1", 0, make_app(SMTP_URL=""), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(**SIZES[size], locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        log_in(page, base, owner.email)
        page.goto(f"{base}/w/{workspace.slug}/notifications/")
        page.screenshot(path=str(tmp_path / f"settings-unconfigured-{size}.png"), full_page=True)
        assert _fits(page)
        assert page.get_by_text("Es ist kein Mailserver eingerichtet.").is_visible()
        assert "nicht versandt: kein Mailserver eingerichtet" in page.locator("table").text_content()
    finally:
        context.close()
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.parametrize("size", SIZES)
def test_the_unsubscribe_page(browser, live_server, mail_log, tmp_path: Path, size: str) -> None:  # noqa: ANN001
    owner, workspace = mail_log
    token = unsubscribe_token(owner.id, workspace.id, Topic.NPS_DROP)
    context = browser.new_context(**SIZES[size], locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/unsubscribe/{token}")
        page.screenshot(path=str(tmp_path / f"unsubscribe-confirm-{size}.png"), full_page=True)
        assert _fits(page)
        assert "Nordlicht Kaffee" in page.inner_text("main")
        assert _serious(page) == []
        page.get_by_role("button").last.click()
        page.wait_for_load_state("load")
        page.screenshot(path=str(tmp_path / f"unsubscribe-done-{size}.png"), full_page=True)
        assert _fits(page) and _serious(page) == []
        answer = page.goto(f"{live_server}/unsubscribe/{token[:-4]}xxxx")
        assert answer.status == 404
        page.screenshot(path=str(tmp_path / f"unsubscribe-invalid-{size}.png"), full_page=True)
        assert _fits(page) and _serious(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 700])
def test_the_weekly_report_fits_phones_and_desktops(browser, data, tmp_path: Path, width: int) -> None:  # noqa: ANN001, F811
    """The weekly report's HTML rendered in Chromium: no horizontal scrolling, and the key numbers are visible."""
    html = render_digest(data, locale="de", unsubscribe_url=weekly.UNSUBSCRIBE).html
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        # nothing may be fetched: the mail is self-contained
        page.route("**/*", lambda route: route.abort())
        page.set_content(html)
        page.screenshot(path=str(tmp_path / f"digest-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        visible = page.inner_text("body")
        for number in ("67", "38", "n = 38", "Messestand", f"Flyer {weekly.HOSTILE}", "Diese E-Mails abbestellen"):
            assert number in visible.replace("\xa0", " ")
    finally:
        context.close()
