"""Tenant isolation: every dashboard route with an object id answers 404 for another workspace's objects."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Membership, Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import personal
from feedback.qr import services as qr_services
from feedback.qr.models import Code
from feedback.referrals.models import Invite
from feedback.touchpoints.models import Campaign, Touchpoint
from tests import tenants
from tests.tenants import CONTACT_EMAIL, CONTACT_NAME, CONTACT_PHONE, CONTACT_SCORE

#: Blueprints whose routes live inside a workspace.
SCOPED_BLUEPRINTS = {
    "touchpoints",
    "members",
    "codes",
    "survey_builder",
    "referral_admin",
    "analysis",
    "api_tokens",
    "webhooks",
    "offers",
    "leads",
}


@pytest.fixture
def two_tenants(app, make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """An attacker owning one workspace and a victim workspace full of objects."""
    return tenants.two_tenants(make_user, make_workspace, make_campaign, make_touchpoint)


def _scoped_rules(app):  # noqa: ANN202
    """Every route inside a workspace (/w/<ws>/…), whatever blueprint it belongs to."""
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/w/<ws>")]
    assert {r.endpoint.split(".")[0] for r in rules} >= SCOPED_BLUEPRINTS
    return rules


def test_every_route_with_an_id_hides_other_workspaces_objects(client, auth, app, two_tenants) -> None:
    attacker, own, foreign, ids = two_tenants
    auth.login(attacker)
    before = {
        m: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Campaign, Touchpoint, Membership)
    }
    checked = 0
    for rule in _scoped_rules(app):
        params = [a for a in rule.arguments if a != "ws"]
        if not set(params) - {"fmt", "key", "action"}:
            continue
        unknown = set(params) - ids.keys()
        assert not unknown, f"{rule.rule}: add an object for {unknown} to this test"
        path = rule.build({"ws": own.slug, **{p: ids[p] for p in params}}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"name": "pwned", "role": "owner", "restore": "1"})
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            body = response.get_data(as_text=True)
            assert "Secret" not in body and "victim@example.com" not in body
            checked += 1
    assert checked >= 10
    after = {
        m: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Campaign, Touchpoint, Membership)
    }
    assert before == after
    db.session.expire_all()
    assert db.session.scalar(sa.select(Campaign.name).where(Campaign.id == ids["campaign_id"])) == "Secret launch"
    assert db.session.get(Invite, ids["invite_id"]).revoked_at is None


def test_every_route_of_a_foreign_workspace_is_404(client, auth, app, two_tenants) -> None:
    attacker, _own, foreign, ids = two_tenants
    auth.login(attacker)
    for rule in _scoped_rules(app):
        path = rule.build({"ws": foreign.slug, **ids}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(path, method=method).status_code == 404, f"{method} {path}"


def test_revoked_membership_loses_access_at_once(client, auth, make_user, make_workspace) -> None:
    owner, viewer = make_user(), make_user()
    workspace = make_workspace(owner=owner, members={viewer: Role.VIEWER})
    auth.login(viewer)
    assert client.get(f"/w/{workspace.slug}/").status_code == 200
    db.session.execute(sa.delete(Membership).where(Membership.user_id == viewer.id))
    db.session.commit()
    assert client.get(f"/w/{workspace.slug}/").status_code == 404


def test_viewer_can_look_but_not_change_anything(
    client, auth, app, make_user, make_workspace, make_campaign, make_touchpoint
) -> None:
    owner, viewer = make_user(), make_user()
    workspace = make_workspace(owner=owner, members={viewer: Role.VIEWER})
    campaign = make_campaign(workspace=workspace, name="Sichtbar")
    touchpoint = make_touchpoint(campaign=campaign, name="Punkt")
    code = qr_services.create_code(touchpoint, "Eingang")
    batch = personal.create_batch(touchpoint, "Mailing", ["K-1"])
    db.session.commit()
    codes = db.session.scalar(sa.select(sa.func.count()).select_from(Code))
    ids = {"campaign_id": campaign.id, "touchpoint_id": touchpoint.id, "code_id": code.id, "batch_id": batch.id}
    ids["fmt"] = "png"
    auth.login(viewer)
    assert "Sichtbar" in client.get(f"/w/{workspace.slug}/").get_data(as_text=True)
    assert "Punkt" in client.get(f"/w/{workspace.slug}/touchpoints/{touchpoint.id}").get_data(as_text=True)
    for rule in _scoped_rules(app):
        if rule.endpoint.split(".")[0] not in {"touchpoints", "codes"}:
            continue
        path = rule.build({"ws": workspace.slug, **ids}, append_unknown=False)[1]
        if "POST" in rule.methods:
            response = client.post(path, data={"name": "changed", "channel": "flyer", "phase": "awareness"})
            assert response.status_code == 403, f"POST {path}"
            assert "does not allow this" in response.get_data(as_text=True)
        if rule.endpoint.startswith("touchpoints.create_") or rule.endpoint.startswith("touchpoints.edit_"):
            assert client.get(path).status_code == 403, f"GET {path}"
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).name == "Sichtbar"
    assert db.session.get(Touchpoint, touchpoint.id).archived_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Code)) == codes
    assert db.session.get(Code, code.id).paused_at is None
    assert client.get(f"/w/{workspace.slug}/codes/{code.id}/qr.png").status_code == 200  # viewers may download


def test_owned_query_helper_filters_by_workspace(app, make_campaign) -> None:
    from feedback.errors import NotFound
    from feedback.tenancy import get_owned, owned

    mine, theirs = make_campaign(name="Mine"), make_campaign(name="Theirs")
    assert list(db.session.scalars(owned(Campaign, mine.workspace_id))) == [mine]
    assert get_owned(Campaign, mine.workspace_id, mine.id) is mine
    with pytest.raises(NotFound):
        get_owned(Campaign, mine.workspace_id, theirs.id)


def _text_of(response) -> str:  # noqa: ANN001
    """What a response shows: the page or download as text; the sheets and strings of an XLSX or ZIP file."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")


def _shows_someone(text: str) -> list[str]:
    return [value for value in (CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE) if value in text]


def test_a_viewer_sees_no_contact_name_email_or_phone_on_any_route(client, auth, app, make_user, two_tenants) -> None:
    _attacker, _own, foreign, ids = two_tenants
    viewer = make_user(email="looker@example.com")
    db.session.add(Membership(user=viewer, workspace=foreign, role=Role.VIEWER.value))
    db.session.commit()
    auth.login(viewer)
    answered = {}
    for rule in _scoped_rules(app):
        if "GET" not in rule.methods:
            continue
        path = rule.build({"ws": foreign.slug, **ids}, append_unknown=False)[1]
        for query in ("", "?stage=new", "?format=xlsx", "?format=json", "?format=csv"):
            response = client.get(path + query)
            assert response.status_code < 500, f"GET {path}{query}"
            assert not _shows_someone(_text_of(response)), f"GET {path}{query} shows a contact to a viewer"
            answered[rule.endpoint] = response.status_code
    for endpoint in ("leads.list_leads", "leads.show_contact", "leads.export_leads", "leads.export_contact"):
        assert answered[endpoint] == 200, endpoint
    assert answered["webhooks.show_endpoint"] == 200
    listing = client.get(f"/w/{foreign.slug}/leads/").get_data(as_text=True)
    assert "hidden for viewers" in listing and str(CONTACT_SCORE) in listing and "(1)" in listing
    export = json.loads(client.get(f"/w/{foreign.slug}/contacts/{ids['contact_id']}/export.json").get_data())
    assert export["contact"]["email"] == "hidden for viewers" and export["contact"]["score"] == CONTACT_SCORE
    assert [r["id"] for r in export["responses"]]  # what they did stays; who they are does not


def test_viewers_read_contacts_masked_in_german_and_editors_see_them(client, auth, make_user, two_tenants) -> None:
    _attacker, _own, foreign, ids = two_tenants
    viewer, editor = make_user(email="looker@example.com", locale="de"), make_user(email="doer@example.com")
    db.session.add(Membership(user=viewer, workspace=foreign, role=Role.VIEWER.value))
    db.session.add(Membership(user=editor, workspace=foreign, role=Role.EDITOR.value))
    db.session.commit()
    contact_page = f"/w/{foreign.slug}/contacts/{ids['contact_id']}"
    auth.login(viewer)
    page = client.get(contact_page).get_data(as_text=True)
    assert page.count("für Betrachter verborgen") >= 3 and f"Kontakt {ids['contact_id']}" in page
    assert not _shows_someone(page)
    csv = client.get(f"/w/{foreign.slug}/leads.csv").get_data(as_text=True)
    assert "für Betrachter verborgen" in csv and str(CONTACT_SCORE) in csv and not _shows_someone(csv)
    auth.logout()
    auth.login(editor)
    assert _shows_someone(client.get(contact_page).get_data(as_text=True)) == [
        CONTACT_NAME,
        CONTACT_EMAIL,
        CONTACT_PHONE,
    ]
    assert _shows_someone(client.get(f"/w/{foreign.slug}/leads.csv").get_data(as_text=True))
    endpoint_page = client.get(f"/w/{foreign.slug}/webhooks/{ids['endpoint_id']}").get_data(as_text=True)
    assert CONTACT_EMAIL in endpoint_page  # the lead.qualified body, for those who may see it


def test_an_api_token_sees_contacts_as_its_creator_may_now(app, make_user, two_tenants) -> None:
    _attacker, _own, foreign, ids = two_tenants
    made_by = make_user(email="integrator@example.com")
    membership = Membership(user=made_by, workspace=foreign, role=Role.OWNER.value)
    db.session.add(membership)
    db.session.flush()
    _token, plain = api_services.create_token(foreign.id, "CRM", Scope.READ, made_by.id, utcnow())
    _cli_token, cli_plain = api_services.create_token(foreign.id, "Script", Scope.READ, None, utcnow())
    db.session.commit()
    api = app.test_client()

    def read_all(token: str) -> str:
        texts = []
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/api/v1") or "GET" not in rule.methods:
                continue
            path = rule.build({**ids, "code": "NOPE"}, append_unknown=False)[1]
            response = api.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, path
            texts.append(_text_of(response))
        return "\n".join(texts)

    assert _shows_someone(read_all(plain)) == [CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE]
    membership.role = Role.VIEWER.value
    db.session.commit()
    seen = read_all(plain)
    assert not _shows_someone(seen) and "hidden for viewers" in seen and str(CONTACT_SCORE) in seen
    db.session.delete(membership)
    db.session.commit()
    assert not _shows_someone(read_all(plain))  # the creator left: nothing more than a viewer
    assert _shows_someone(read_all(cli_plain))  # made on the command line: the operator's
