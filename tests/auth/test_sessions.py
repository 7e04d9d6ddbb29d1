"""Sessions end server-side: logout, a new password and leaving a workspace end every session and "stay logged in"
cookie of the user; "stay logged in" lasts 30 days at most; API tokens lose what their creator lost."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import sqlalchemy as sa

from feedback.api import services as api_services
from feedback.api.models import ApiToken, Scope
from feedback.auth.models import Membership, Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import services as qr_services
from tests.conftest import PASSWORD


def _cookie(client, name: str) -> str | None:  # noqa: ANN001
    found = client.get_cookie(name)
    return found.value if found else None


def test_a_captured_session_cookie_is_worthless_after_logout(make_app, make_user) -> None:
    app = make_app()
    with app.app_context():
        make_user(email="cap@example.com")
    browser = app.test_client()
    browser.post("/login", data={"email": "cap@example.com", "password": PASSWORD, "remember": "y"})
    stolen_session, stolen_remember = _cookie(browser, "feedback_session"), _cookie(browser, "remember_token")
    assert stolen_session and stolen_remember
    browser.post("/logout")
    attacker = app.test_client()
    attacker.set_cookie("feedback_session", stolen_session)
    assert attacker.get("/account").status_code == 302  # back to the login page
    only_remember = app.test_client()
    only_remember.set_cookie("remember_token", stolen_remember)
    assert only_remember.get("/account").status_code == 302


def test_stay_logged_in_lasts_thirty_days_at_most(client, make_user) -> None:
    make_user(email="rem@example.com")
    reply = client.post("/login", data={"email": "rem@example.com", "password": PASSWORD, "remember": "y"})
    header = next(h for h in reply.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    expires = next(p.split("=", 1)[1] for p in header.split("; ") if p.startswith("Expires="))
    days = (datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC) - utcnow()).days
    assert 29 <= days <= 30


def test_a_removed_member_loses_sessions_and_tokens_and_a_viewer_keeps_reading(
    make_app, make_user, make_workspace
) -> None:
    app = make_app()
    with app.app_context():
        owner, leaver, demoted = make_user(email="own@example.com"), make_user(email="gone@example.com"), make_user()
        workspace = make_workspace(members={owner: Role.OWNER, leaver: Role.OWNER, demoted: Role.OWNER})
        _t, gone_secret = api_services.create_token(workspace.id, "CRM", Scope.WRITE, leaver.id, utcnow())
        _t, demoted_secret = api_services.create_token(workspace.id, "BI", Scope.WRITE, demoted.id, utcnow())
        db.session.commit()
        members = db.session.scalars(sa.select(Membership).where(Membership.workspace_id == workspace.id))
        slug, ids = workspace.slug, {m.user_id: m.id for m in members}
        leaver_id, demoted_id = leaver.id, demoted.id
    leaver_browser, owner_browser = app.test_client(), app.test_client()
    leaver_browser.post("/login", data={"email": "gone@example.com", "password": PASSWORD})
    owner_browser.post("/login", data={"email": "own@example.com", "password": PASSWORD})
    assert leaver_browser.get("/account").status_code == 200
    gone, kept = {"Authorization": f"Bearer {gone_secret}"}, {"Authorization": f"Bearer {demoted_secret}"}
    hook = {"url": "https://crm.example/hook", "events": ["response.completed"]}
    assert app.test_client().get("/api/v1/campaigns", headers=gone).status_code == 200

    assert owner_browser.post(f"/w/{slug}/members/{ids[leaver_id]}/remove", data={"confirm": "1"}).status_code == 302
    assert owner_browser.post(f"/w/{slug}/members/{ids[demoted_id]}/role", data={"role": "viewer"}).status_code == 302
    assert leaver_browser.get("/account").status_code == 302  # every session of the removed member ended
    api = app.test_client()
    assert api.get("/api/v1/campaigns", headers=gone).status_code == 401
    assert api.post("/api/v1/webhooks", json=hook, headers=gone).status_code == 401
    assert api.get("/api/v1/campaigns", headers=kept).status_code == 200  # a viewer's token still reads ...
    assert api.post("/api/v1/webhooks", json=hook, headers=kept).status_code == 403  # ... and writes no more
    with app.app_context():
        tokens = {t.name: (t.revoked_at is not None, t.scope) for t in db.session.scalars(sa.select(ApiToken))}
    assert tokens == {"CRM": (True, "write"), "BI": (False, "read")}
    page = owner_browser.get(f"/w/{slug}/api-tokens/").get_data(as_text=True)
    assert "gone@example.com" in page and "Created by" in page


def test_feedback_codes_csv_neutralises_formulas(runner, make_touchpoint) -> None:
    touchpoint = make_touchpoint(name="=cmd|' /C calc'!A0")
    qr_services.create_code(touchpoint, '=HYPERLINK("https://evil.example","click")')
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["codes"]).output)))
    assert rows[0]["label"] == '\'=HYPERLINK("https://evil.example","click")'
    assert rows[0]["touchpoint"].startswith("'=")
