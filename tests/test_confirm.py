"""Destructive dashboard actions: the irreversible ones ask first (without JavaScript), the reversible ones act at
once and can be undone for ten seconds from their message."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from feedback import confirm
from feedback.api import services as api_services
from feedback.api.models import ApiToken, Scope
from feedback.auth import services as auth_services
from feedback.auth.models import Membership, Role, WorkspaceInvitation
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.offers.models import Offer
from feedback.qr.models import Code
from feedback.referrals.models import Invite
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response, Survey
from feedback.touchpoints.models import Campaign, Touchpoint
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.app_config(WEBHOOKS_ALLOW_PRIVATE=True)


@pytest.fixture
def shop(  # noqa: ANN201
    client, auth, make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code, make_response,
    make_invite,
):  # fmt: skip
    """A workspace with one of everything an owner can delete, revoke, erase, remove, archive or pause; its owner
    logged in."""
    owner, colleague = make_user(), make_user(email="kim@example.com")
    workspace = make_workspace("Rösterei", owner=owner, members={colleague: Role.EDITOR})
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace))
    make_survey(touchpoint, "loyalty")
    code = make_code(touchpoint)
    invite = make_invite(touchpoint)
    response = make_response(touchpoint, nps=9)
    spare = survey_services.create_survey(workspace.id, "Unbenutzt", "loyalty")
    contact = Contact(
        workspace_id=workspace.id, email="greta@example.com", consent_text="ok", consent_language="de",
        consented_at=utcnow(),
    )  # fmt: skip
    token, _ = api_services.create_token(workspace.id, "Shopsystem", Scope.READ, owner.id, utcnow())
    hook = "http://127.0.0.1:9/hook"
    endpoint = webhook_services.create_endpoint(workspace.id, hook, ["response.completed"], "", None)
    invitation, _ = auth_services.invite_member(workspace, "neu@example.com", Role.EDITOR, owner, utcnow(), 7)
    offer = Offer(
        workspace_id=workspace.id, campaign_id=touchpoint.campaign_id, name="10 %", texts={"de": "10 %", "en": "10 %"}
    )
    db.session.add_all([contact, offer])
    db.session.commit()
    auth.login(owner)
    member = db.session.scalar(sa.select(Membership).where(Membership.user_id == colleague.id))
    return {
        "ws": workspace, "owner": owner, "colleague": colleague, "touchpoint": touchpoint, "code": code,
        "invite": invite, "response": response, "survey": spare, "contact": contact, "token": token,
        "endpoint": endpoint, "invitation": invitation, "member": member, "offer": offer,
        "questioned": db.session.get(Survey, touchpoint.survey_id),
    }  # fmt: skip


def _gone(model: type, object_id: int) -> Callable[[], bool]:
    return lambda: db.session.get(model, object_id) is None


def _revoked(model: type, object_id: int) -> Callable[[], bool]:
    return lambda: db.session.get(model, object_id).revoked_at is not None


#: Per irreversible action: its URL, extra form fields, what the confirmation page names, and whether it happened.
IRREVERSIBLE: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, str], str, Callable[[], bool]]]] = {
    "delete a response": lambda s: (
        f"responses/{s['response'].id}/delete", {"survey_id": str(s["questioned"].id)},
        f"Delete the response #{s['response'].id} of", _gone(Response, s["response"].id),
    ),
    "delete a survey": lambda s: (
        f"surveys/{s['survey'].id}/delete", {}, "Delete the survey “Unbenutzt”?", _gone(Survey, s["survey"].id),
    ),
    "remove a question": lambda s: (
        f"surveys/{s['questioned'].id}/questions/repurchase/remove", {}, "Remove the question",
        lambda: "repurchase" not in [q.key for q in db.session.get(Survey, s["questioned"].id).current.questions],
    ),
    "erase a contact": lambda s: (
        f"contacts/{s['contact'].id}/erase", {}, f"Erase contact #{s['contact'].id}?", _gone(Contact, s["contact"].id),
    ),
    "revoke an invite": lambda s: (
        f"invites/{s['invite'].id}/revoke", {}, f"Revoke the invite {s['invite'].code}?",
        _revoked(Invite, s["invite"].id),
    ),
    "revoke an API token": lambda s: (
        f"api-tokens/{s['token'].id}/revoke", {}, "Revoke the token “Shopsystem”?", _revoked(ApiToken, s["token"].id),
    ),
    "delete a webhook": lambda s: (
        f"webhooks/{s['endpoint'].id}/delete", {}, "Delete the webhook to http://127.0.0.1:9/hook?",
        _gone(WebhookEndpoint, s["endpoint"].id),
    ),
    "remove a member": lambda s: (
        f"members/{s['member'].id}/remove", {}, "Remove kim@example.com from Rösterei?",
        _gone(Membership, s["member"].id),
    ),
    "revoke a member's invitation": lambda s: (
        f"members/invitations/{s['invitation'].id}/revoke", {}, "Revoke the invitation to neu@example.com?",
        _revoked(WorkspaceInvitation, s["invitation"].id),
    ),
}  # fmt: skip


def _post(client, shop, path: str, data: dict[str, str]):  # noqa: ANN001, ANN202
    reply = client.post(f"/w/{shop['ws'].slug}/{path}", data=data, headers={"Accept-Language": "en"})
    db.session.expire_all()
    return reply


@pytest.mark.parametrize("action", IRREVERSIBLE)
def test_an_irreversible_action_asks_first_and_acts_only_when_confirmed(client, shop, action) -> None:
    path, fields, question, done = IRREVERSIBLE[action](shop)
    asked = _post(client, shop, path, fields)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and question in html and "Cancel" in html
    assert 'name="confirm" value="1"' in html and f'action="/w/{shop["ws"].slug}/{path}"' in html
    assert not done(), "nothing happens before the confirmation"
    acted = _post(client, shop, path, {**fields, "confirm": "1"})
    assert acted.status_code in (302, 303)
    assert done()


def test_the_confirmation_page_keeps_the_fields_and_leads_back_to_the_list(client, shop) -> None:
    path, fields, _, _done = IRREVERSIBLE["delete a response"](shop)
    html = _post(client, shop, path, fields).get_data(as_text=True)
    assert f'name="survey_id" value="{shop["questioned"].id}"' in html
    assert f'href="/w/{shop["ws"].slug}/surveys/{shop["questioned"].id}/responses"' in html
    assert "This cannot be undone" in html


@pytest.mark.parametrize("action", ["delete a response", "erase a contact", "remove a member"])
def test_a_viewer_cannot_ask_or_confirm(client, auth, shop, make_user, action) -> None:
    viewer = make_user()
    db.session.add(Membership(user_id=viewer.id, workspace_id=shop["ws"].id, role=Role.VIEWER.value))
    db.session.commit()
    auth.logout()
    auth.login(viewer)
    path, fields, _, done = IRREVERSIBLE[action](shop)
    assert _post(client, shop, path, fields).status_code == 403
    assert _post(client, shop, path, {**fields, "confirm": "1"}).status_code == 403
    assert not done()


@pytest.mark.app_config(WTF_CSRF_ENABLED=True, WEBHOOKS_ALLOW_PRIVATE=True)
def test_the_confirm_step_needs_the_csrf_token(client, shop) -> None:
    path, fields, question, done = IRREVERSIBLE["delete a response"](shop)
    reply = _post(client, shop, path, {**fields, "confirm": "1"})
    assert question not in reply.get_data(as_text=True)
    assert not done()


#: Per reversible action: its URL, the field that reverses it, and whether the object is archived/paused now.
REVERSIBLE: dict[str, Callable[[dict[str, Any]], tuple[str, str, Callable[[], bool]]]] = {
    "archive a touchpoint": lambda s: (
        f"touchpoints/{s['touchpoint'].id}/archive", "restore",
        lambda: db.session.get(Touchpoint, s["touchpoint"].id).archived_at is not None,
    ),
    "archive a campaign": lambda s: (
        f"campaigns/{s['touchpoint'].campaign_id}/archive", "restore",
        lambda: db.session.get(Campaign, s["touchpoint"].campaign_id).archived_at is not None,
    ),
    "archive a survey": lambda s: (
        f"surveys/{s['survey'].id}/archive", "restore",
        lambda: db.session.get(Survey, s["survey"].id).archived_at is not None,
    ),
    "pause a code": lambda s: (
        f"codes/{s['code'].id}/pause", "resume", lambda: db.session.get(Code, s["code"].id).paused_at is not None,
    ),
    "end an offer": lambda s: (
        f"offers/{s['offer'].id}/archive", "restore",
        lambda: db.session.get(Offer, s["offer"].id).archived_at is not None,
    ),
    "pause a webhook": lambda s: (
        f"webhooks/{s['endpoint'].id}/pause", "resume",
        lambda: db.session.get(WebhookEndpoint, s["endpoint"].id).paused_at is not None,
    ),
}  # fmt: skip


def _undo_form(html: str) -> dict[str, str]:
    """The hidden fields of the Undo button in the page's message."""
    form = re.search(r'<div class="flash flash--success flash--undo".*?</form>', html, re.S)
    assert form, "the message carries an Undo button"
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form.group(0)))


@pytest.mark.parametrize("action", REVERSIBLE)
def test_a_reversible_action_acts_at_once_and_can_be_undone_from_its_message(client, shop, action) -> None:
    path, _reverse, stopped = REVERSIBLE[action](shop)
    reply = _post(client, shop, path, {})
    assert reply.status_code in (302, 303) and stopped()
    page = client.get(reply.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    fields = _undo_form(page)
    assert "Undo" in page and fields["undo"]
    undone = _post(client, shop, path, {k: v for k, v in fields.items() if k != "csrf_token"})
    assert undone.status_code in (302, 303) and not stopped()


def _token(shop, action: str, object_id: int, seconds_ago: float, app) -> str:  # noqa: ANN001
    """An undo token of the logged-in owner made some seconds ago."""
    with app.test_request_context(f"/w/{shop['ws'].slug}/"):
        from flask import g
        from flask_login import login_user

        g.workspace = shop["ws"]
        login_user(shop["owner"])
        return confirm.undo_token(action, object_id, utcnow() - timedelta(seconds=seconds_ago))


def test_an_undo_after_ten_seconds_is_refused_and_changes_nothing(app, client, shop) -> None:
    path, _reverse, archived = REVERSIBLE["archive a touchpoint"](shop)
    _post(client, shop, path, {})
    late = _token(shop, "touchpoint.archive", shop["touchpoint"].id, confirm.UNDO_SECONDS + 1, app)
    reply = _post(client, shop, path, {"restore": "1", "undo": late})
    assert reply.status_code == 409 and "Undo is no longer possible" in reply.get_data(as_text=True)
    assert archived()
    in_time = _token(shop, "touchpoint.archive", shop["touchpoint"].id, confirm.UNDO_SECONDS - 1, app)
    assert _post(client, shop, path, {"restore": "1", "undo": in_time}).status_code == 302 and not archived()


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda s, app: _token(s, "touchpoint.archive", s["touchpoint"].id, 0, app) + "x", id="changed"),
        pytest.param(lambda s, app: _token(s, "campaign.archive", s["touchpoint"].id, 0, app), id="other action"),
        pytest.param(lambda s, app: _token(s, "touchpoint.archive", s["touchpoint"].id + 1, 0, app), id="other object"),
        pytest.param(lambda shop, app: "not-a-token", id="garbage"),
    ],
)  # fmt: skip
def test_a_changed_or_foreign_undo_token_is_refused(app, client, shop, forged) -> None:
    path, _reverse, archived = REVERSIBLE["archive a touchpoint"](shop)
    _post(client, shop, path, {})
    reply = _post(client, shop, path, {"restore": "1", "undo": forged(shop, app)})
    assert reply.status_code == 400 and "does not belong to this action" in reply.get_data(as_text=True)
    assert archived()


def test_another_users_undo_token_is_refused(app, client, auth, shop) -> None:
    path, _reverse, archived = REVERSIBLE["archive a touchpoint"](shop)
    _post(client, shop, path, {})
    owners = _token(shop, "touchpoint.archive", shop["touchpoint"].id, 0, app)
    auth.logout()
    auth.login(shop["colleague"])  # an editor of the same workspace
    reply = _post(client, shop, path, {"restore": "1", "undo": owners})
    assert reply.status_code == 400 and archived()


def test_another_workspaces_undo_token_is_refused(app, client, shop, make_workspace) -> None:
    other = make_workspace("Andere", owner=shop["owner"])
    path, _reverse, archived = REVERSIBLE["archive a touchpoint"](shop)
    _post(client, shop, path, {})
    with app.test_request_context(f"/w/{other.slug}/"):
        from flask import g
        from flask_login import login_user

        g.workspace = other
        login_user(shop["owner"])
        token = confirm.undo_token("touchpoint.archive", shop["touchpoint"].id, utcnow())
    reply = _post(client, shop, path, {"restore": "1", "undo": token})
    assert reply.status_code == 400 and archived()
