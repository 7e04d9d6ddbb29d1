"""Hostile text in every field a marketer or a respondent can fill, rendered in Chromium on every page that shows
it: no script runs, no element or handler is injected, template syntax shows literally."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.analysis.models import SavedSegment, ThemeEdit
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.cli import load_demo
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.notifications import outbox
from feedback.qr import services as qr_services
from feedback.qr.models import Code
from feedback.referrals.models import Invite
from feedback.surveys.models import Response
from feedback.texts import LANGUAGES
from feedback.touchpoints.models import Campaign
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookEndpoint
from tests.browser.conftest import DESKTOP, PHONE, dashboard_paths, log_in
from tests.browser.pages import LISTEN
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

#: Breaks out of attributes, injects an element with a handler and a script, and tries template evaluation.
PAYLOAD = '"><img src=x onerror=__xss=1>{{7*191919}}<script>__xss=2</script>'
EVALUATED = str(7 * 191919)
URL_PAYLOAD = 'https://example.com/?q="><img src=x onerror=__xss=1>{{7*191919}}'

#: Text that people type (marketers in the dashboard, respondents on their phone) or send (user agents, typed
#: codes, webhook receivers' error answers): filled with the payload in every row.
HOSTILE = {
    "user": ["name"],
    "workspace": ["name"],
    "api_token": ["name"],
    "campaign": ["name", "description", "incentive_text"],
    "survey": ["name"],
    "webhook_endpoint": ["description", "url"],
    "webhook_delivery": ["last_error"],
    "touchpoint": [
        "name",
        "location",
        "notes",
        "cta_url",
        "phone",
        "social_url",
    ],  # fmt: skip
    "code_batch": ["name"],
    "contact": ["name", "email", "phone", "lost_note"],
    "stage_change": ["lost_note"],
    "offer": ["name"],
    "code": ["label", "reference"],
    "answer": ["value_text"],
    "unknown_code_hit": ["text"],
    "scan": ["os", "browser"],
    # the mail log: subjects name campaigns and touchpoints, reasons are the mail server's words
    "mail": ["subject", "last_error", "to_address"],
    # a theme's new name, and its key (words respondents wrote)
    "theme_edit": ["value", "key"],
    "segment": ["name"],
}
#: Texts written in several languages ({language: text} maps): the payload in every language of every row.
HOSTILE_TEXTS = {
    "lead_settings": ["purpose"],
    "touchpoint": ["headline", "body", "cta_label"],
    "offer": ["text"],
    "question": ["text", "low_label", "high_label", "detractor_text", "promoter_text"],
    "nurture_step": ["subject", "body"],
}
#: Choice options: their labels, one per language (filled below).
HOSTILE_OPTIONS = {"question": ["options"]}
#: Text we write ourselves or validate to a closed form (keys, hashes, enums, slugs, codes, languages, time zones).
SYSTEM = {
    "daily_salt": ["salt"],
    "user": ["email", "password_hash", "locale"],
    "workspace": ["slug", "timezone", "currency", "languages"],
    "api_token": ["prefix", "token_hash", "scope"],
    "campaign": ["slug", "invite_policy"],
    "lead_settings": ["points"],
    "lead_rules_version": ["points"],
    "nurture_sequence": ["stop_at"],
    "nurture_enrolment": ["stop_reason"],
    "membership": ["role"],
    "rolled_up_day": ["timezone"],
    "rolled_up_month": ["timezone"],
    "webhook_endpoint": ["events", "secret"],
    "workspace_invitation": ["email", "role", "token_hash"],
    "touchpoint": ["channel", "phase", "destination_url", "kiosk_coupon"],  # destination: a redirect, never shown
    "webhook_delivery": ["event", "event_id", "payload", "status"],
    "contact": ["consent_text", "consent_language", "stage", "lost_reason"],
    "stage_change": ["from_stage", "to_stage", "changed_by", "lost_reason"],
    "daily_count": ["dimension", "key", "measure"],
    "monthly_count": ["dimension", "key", "measure"],
    "retained_count": ["dimension", "key", "measure"],
    "question": ["key", "type", "wording_key", "condition"],
    "survey": ["language"],
    "code": ["code"],
    "score_event": ["activity", "source"],
    "scan": ["visitor_key", "device_class", "language", "outcome", "arrival"],
    "landing_action": ["action", "visitor_key", "device_class"],
    "response": ["token", "visitor_key", "language", "flag_reason"],
    "answer": ["question_key", "question_type"],
    "coupon": ["code", "redeemed_via"],
    "invite": ["code", "referrer_visitor_key", "referrer_signature"],
    "completion_claim": ["kind", "key", "token"],
    "invite_acceptance": ["visitor_key"],
    # mail bodies are never shown in the dashboard (their escaping: tests/browser/test_mail_browser.py); alert data is
    # what the bodies are made of
    "mail": ["dedupe_key", "html_body", "text_body", "locale", "message_id", "status", "topic", "list_unsubscribe"],
    "mail_alert": ["about", "data", "dedupe_key", "topic"],
    "alert_setting": ["topic"],
    "notify_run": ["kind"],
    "theme_edit": ["action"],
    # filled below with a hostile answer condition (JSON: a payload as the whole value would be no segment)
    "segment": ["conditions"],
}
INSPECT = """() => {
  const handlers = [...document.querySelectorAll('*')].flatMap(
    el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + '@' + a.name));
  const scripts = [...document.scripts].filter(s => !s.src).map(s => s.textContent.slice(0, 40));
  return {xss: window.__xss || null, csp: window.__csp, handlers, scripts,
          images: document.querySelectorAll('img[src="x"]').length};
}"""


def _text_columns() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.String | sa.Text | sa.JSON) and not column.foreign_keys:
                found.setdefault(table.name, set()).add(column.name)
    return found


def test_every_text_column_is_either_hostile_here_or_ours() -> None:
    """A new text column must be added to HOSTILE (and so rendered hostile below) or to SYSTEM."""
    covered = {
        t: set(HOSTILE.get(t, []))
        | set(HOSTILE_TEXTS.get(t, []))
        | set(HOSTILE_OPTIONS.get(t, []))
        | set(SYSTEM.get(t, []))
        for t in _text_columns()
    }
    missing = {t: sorted(c - covered[t]) for t, c in _text_columns().items() if c - covered[t]}
    assert not missing, f"text columns not covered by the XSS walk: {missing}"


def _poison(workspace_id: int) -> None:
    """Add what the demo lacks (webhook delivery log, API token, typed unknown codes), then fill every hostile
    column of every row with the payload (an id first keeps unique names unique, cut to the column's length)."""
    endpoint = WebhookEndpoint(workspace_id=workspace_id, url="https://hooks.example.com/", events="ping", secret="s")
    db.session.add(endpoint)
    db.session.flush()
    delivery = webhook_services.ping(endpoint, utcnow())
    delivery.last_error = "x"
    api_services.create_token(workspace_id, "CRM", Scope.READ, None, utcnow())
    outbox.queue_mail(
        to="ops@example.com", topic="detractor", subject="x", text="x", html="", locale="de", now=utcnow(),
        workspace_id=workspace_id,
    )
    campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.workspace_id == workspace_id).limit(1))
    db.session.add(ThemeEdit(workspace_id=workspace_id, campaign_id=campaign_id, key="x", action="hide", value=""))
    db.session.add(
        SavedSegment(workspace_id=workspace_id, name="x", conditions={"answer": [f"nps:{PAYLOAD}", f"{PAYLOAD}:1"]})
    )
    db.session.commit()
    qr_services.record_unknown(PAYLOAD, utcnow())  # in a transaction of its own
    for name, columns in HOSTILE.items():
        table = db.metadata.tables[name]
        values = {}
        for column in columns:
            text = URL_PAYLOAD if column.endswith("url") else PAYLOAD
            length = getattr(table.c[column].type, "length", None) or 4000
            prefix = sa.cast(table.c.id, sa.String) + sa.literal("·") if "id" in table.c else sa.literal("")
            values[column] = sa.func.substr(prefix + sa.literal(text), 1, length)
        db.session.execute(sa.update(table).values(**values))
    everywhere = dict.fromkeys(LANGUAGES, PAYLOAD)
    for name, columns in HOSTILE_TEXTS.items():
        db.session.execute(sa.update(db.metadata.tables[name]).values(**dict.fromkeys(columns, everywhere)))
    options = [{**everywhere, "value": "a"}, {**everywhere, "value": "b"}]
    db.session.execute(sa.update(db.metadata.tables["question"]).values(options=options))
    db.session.commit()


def _check(page, where: str) -> None:  # noqa: ANN001
    found = page.evaluate(INSPECT)
    assert found["xss"] is None, (where, found)
    assert found["csp"] == [], (where, found["csp"])
    assert found["handlers"] == [] and found["images"] == 0, (where, found)
    assert not [s for s in found["scripts"] if "__xss" in s], (where, found["scripts"])
    assert EVALUATED not in page.content(), where


def test_hostile_text_everywhere_runs_no_script_on_any_page(app, browser, live_server) -> None:
    login = load_demo(PASSWORD)
    workspace_id = db.session.scalar(sa.text("SELECT id FROM workspace WHERE slug = :s"), {"s": login["workspace"]})
    _poison(workspace_id)
    code = db.session.scalar(
        sa.select(Code).join(Response, Response.touchpoint_id == Code.touchpoint_id).where(Code.batch_id.is_(None))
    )
    done = db.session.scalar(
        sa.select(Response).where(Response.completed_at.is_not(None), Response.touchpoint_id == code.touchpoint_id)
    )
    invite = db.session.scalar(sa.select(Invite))
    respondent_paths = [
        *(f"/t/{c}" for c in db.session.scalars(sa.select(Code.code).where(Code.batch_id.is_(None)))),
        f"/t/{code.code}/thanks?r={done.token}",
        f"/i/{invite.code}",
        "/t?code=%22%3E%3Cimg%20src%3Dx%20onerror%3D__xss%3D1%3E",
        "/t/%22%3E%3Cimg%20src=x%20onerror=__xss=1%3E",
    ]
    phone = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    phone.add_init_script(LISTEN)
    page = phone.new_page()
    shown = 0
    for path in respondent_paths:
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        _check(page, path)
        shown += "{{7*191919}}" in page.inner_text("body")
    phone.close()
    assert shown >= 3  # the payload was on the pages, as text

    desk = browser.new_context(**DESKTOP, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    desk.add_init_script(LISTEN)
    page = desk.new_page()
    log_in(page, live_server, login["email"])
    paths = [*dashboard_paths(app, login["workspace"]), "/account", "/api/docs"]
    campaign_id = db.session.scalar(sa.select(sa.func.min(Campaign.id)).where(Campaign.workspace_id == workspace_id))
    segment_id = db.session.scalar(sa.select(SavedSegment.id).where(SavedSegment.workspace_id == workspace_id))
    hostile = "%3Cimg%20src%3Dx%20onerror%3D__xss%3D1%3E"
    base = f"/w/{login['workspace']}/campaigns/{campaign_id}"
    paths += [  # a saved hostile segment in use, and hostile conditions in the query string
        f"{base}/ratings?segment={segment_id}",
        f"{base}/comments?segment={segment_id}",
        f"{base}/ratings?answer={hostile}:1&answer=nps:{hostile}",
    ]
    assert len(paths) >= 30, "\n".join(paths)  # every GET page of the dashboard
    shown = 0
    for path in paths:
        answer = page.goto(f"{live_server}{path}")
        assert answer.status < 500, path
        page.wait_for_load_state("load")
        _check(page, path)
        shown += "{{7*191919}}" in page.inner_text("body")
    desk.close()
    assert shown >= len(paths) // 2
