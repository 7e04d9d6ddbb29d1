"""Who is in charge of a campaign or a touchpoint: an active editor or owner of the same workspace, chosen in the
forms or through the API, cleared when the member leaves or becomes a viewer; and who hears of the alerts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth import services as auth_services
from feedback.auth.models import Membership, Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.touchpoints import services
from feedback.touchpoints.models import Touchpoint
from tests.helpers import WHEN

TOUCHPOINT = {"name": "Plakat Hbf", "channel": "poster", "phase": "awareness"}


@pytest.fixture
def team(make_user, make_workspace):  # noqa: ANN201
    """A workspace with an owner, an editor (Erika) and a viewer; returns (workspace, owner, editor, viewer)."""
    owner, editor, viewer = make_user(name="Olga"), make_user(name="Erika"), make_user()
    workspace = make_workspace(owner=owner, members={editor: Role.EDITOR, viewer: Role.VIEWER})
    return workspace, owner, editor, viewer


def _membership(workspace, user) -> Membership:  # noqa: ANN001
    return db.session.scalar(
        sa.select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id)
    )


def _url(workspace, suffix: str) -> str:  # noqa: ANN001
    return f"/w/{workspace.slug}{suffix}"


# --- the rule ---------------------------------------------------------------------------------------------------


def test_an_editor_can_be_in_charge_of_a_campaign_and_a_touchpoint(team, make_campaign, make_touchpoint) -> None:
    workspace, _owner, editor, _viewer = team
    campaign = make_campaign(workspace=workspace, owner_id=editor.id)
    touchpoint = make_touchpoint(campaign=campaign, owner_id=editor.id)
    assert (campaign.owner, touchpoint.owner) == (editor, editor)


def test_a_viewer_another_workspaces_member_or_an_unknown_user_is_refused_and_nothing_changes(
    team, make_campaign, make_touchpoint, make_user, make_workspace
) -> None:
    workspace, owner, _editor, viewer = team
    campaign = make_campaign(workspace=workspace, owner_id=owner.id)
    touchpoint = make_touchpoint(campaign=campaign)
    stranger = make_user()
    make_workspace(owner=stranger)
    for user_id in (viewer.id, stranger.id, 999_999):
        with pytest.raises(services.OwnerNotAllowed, match="Only an editor or owner of this workspace"):
            services.change_campaign(workspace.id, campaign.id, {"owner_id": user_id, "name": "Neu"}, WHEN)
        with pytest.raises(services.OwnerNotAllowed):
            services.change_touchpoint(workspace.id, touchpoint.id, {"owner_id": user_id, "name": "Neu"}, WHEN)
        db.session.rollback()
        assert (campaign.owner_id, campaign.name != "Neu") == (owner.id, True)
        assert (touchpoint.owner_id, touchpoint.name != "Neu") == (None, True)


def test_a_disabled_user_cannot_be_put_in_charge(team, make_campaign) -> None:
    workspace, _owner, editor, _viewer = team
    editor.active = False
    db.session.commit()
    with pytest.raises(services.OwnerNotAllowed):
        make_campaign(workspace=workspace, owner_id=editor.id)


def test_a_change_that_leaves_out_the_owner_keeps_it_and_none_clears_it(team, make_campaign) -> None:
    workspace, _owner, editor, _viewer = team
    campaign = make_campaign(workspace=workspace, owner_id=editor.id)
    services.change_campaign(workspace.id, campaign.id, {"name": "Herbst"}, WHEN)
    assert campaign.owner_id == editor.id
    services.change_campaign(workspace.id, campaign.id, {"owner_id": None}, WHEN)
    assert campaign.owner_id is None


@pytest.mark.parametrize("leaves", [True, False], ids=["removed", "viewer"])
def test_a_member_who_leaves_or_becomes_a_viewer_is_no_longer_in_charge_there(
    team, make_campaign, make_touchpoint, make_workspace, leaves
) -> None:
    workspace, owner, editor, _viewer = team
    campaign = make_campaign(workspace=workspace, owner_id=editor.id)
    touchpoint = make_touchpoint(campaign=campaign, owner_id=editor.id)
    elsewhere = make_touchpoint(campaign=make_campaign(workspace=make_workspace(owner=editor)), owner_id=editor.id)
    other = make_touchpoint(campaign=campaign, owner_id=owner.id)
    membership = _membership(workspace, editor)
    if leaves:
        auth_services.remove_member(workspace, membership.id)
    else:
        auth_services.change_role(workspace, membership.id, Role.VIEWER)
    db.session.commit()
    db.session.expire_all()
    assert (campaign.owner_id, touchpoint.owner_id) == (None, None)
    assert (elsewhere.owner_id, elsewhere.campaign.owner_id, other.owner_id) == (editor.id, None, owner.id)


def test_an_editor_who_becomes_an_owner_stays_in_charge(team, make_campaign) -> None:
    workspace, _owner, editor, _viewer = team
    campaign = make_campaign(workspace=workspace, owner_id=editor.id)
    auth_services.change_role(workspace, _membership(workspace, editor).id, Role.OWNER)
    db.session.commit()
    db.session.expire_all()
    assert campaign.owner_id == editor.id


# --- who hears of alerts ----------------------------------------------------------------------------------------


def test_alerts_go_to_the_touchpoints_owner_then_the_campaigns_then_all_editors_and_owners(
    team, make_campaign, make_touchpoint, make_user
) -> None:
    workspace, owner, editor, _viewer = team
    campaign = make_campaign(workspace=workspace, owner_id=owner.id)
    touchpoint = make_touchpoint(campaign=campaign, owner_id=editor.id)
    assert services.alert_recipients(touchpoint) == [editor]

    editor.active = False  # a disabled owner hears of nothing: the campaign's owner takes over
    db.session.commit()
    assert services.alert_recipients(touchpoint) == [owner]
    assert services.campaign_recipients(campaign) == [owner]

    editor.active = True
    touchpoint.owner_id = None
    campaign.owner_id = None
    db.session.commit()
    assert services.alert_recipients(touchpoint) == sorted([owner, editor], key=lambda u: u.id)
    assert services.campaign_recipients(campaign) == sorted([owner, editor], key=lambda u: u.id)


def test_an_owner_who_became_a_viewer_unnoticed_is_passed_over(team, make_campaign, make_touchpoint) -> None:
    """Even an ownership that was not cleared (written around the services) never sends alerts to a viewer."""
    workspace, owner, editor, _viewer = team
    campaign = make_campaign(workspace=workspace, owner_id=owner.id)
    touchpoint = make_touchpoint(campaign=campaign, owner_id=editor.id)
    _membership(workspace, editor).role = Role.VIEWER.value
    db.session.commit()
    assert services.alert_recipients(touchpoint) == [owner]


# --- the forms --------------------------------------------------------------------------------------------------


def test_an_editor_chooses_who_is_in_charge_in_the_forms(client, auth, team) -> None:
    workspace, owner, editor, viewer = team
    auth.login(editor)
    form = client.get(_url(workspace, "/campaigns/new")).get_data(as_text=True)
    assert "Person in charge" in form and "Erika (" in form and "Olga (" in form and viewer.email not in form
    assert "nobody: alerts go to the workspace" in form
    response = client.post(
        _url(workspace, "/campaigns/new"), data={"name": "Frühjahr", "survey": "", "owner_id": str(owner.id)}
    )
    assert response.status_code == 302
    campaign = services.campaign_by_slug(workspace.id, "fruhjahr")
    assert campaign.owner_id == owner.id

    new_touchpoint = _url(workspace, f"/campaigns/{campaign.id}/touchpoints/new")
    assert "nobody: alerts go to the campaign" in client.get(new_touchpoint).get_data(as_text=True)
    response = client.post(new_touchpoint, data={**TOUCHPOINT, "survey_id": "", "owner_id": str(editor.id)})
    assert response.status_code == 302
    touchpoint = db.session.scalar(sa.select(Touchpoint))
    assert touchpoint.owner_id == editor.id
    page = client.get(_url(workspace, f"/touchpoints/{touchpoint.id}")).get_data(as_text=True)
    assert "Person in charge" in page and "Erika" in page
    campaign_page = client.get(_url(workspace, f"/campaigns/{campaign.id}")).get_data(as_text=True)
    assert "Person in charge: Olga" in campaign_page and "in charge: Erika" in campaign_page

    edit = _url(workspace, f"/touchpoints/{touchpoint.id}/edit")
    assert f'<option selected value="{editor.id}">' in client.get(edit).get_data(as_text=True)
    assert client.post(edit, data={**TOUCHPOINT, "owner_id": ""}).status_code == 302
    db.session.expire_all()
    assert touchpoint.owner_id is None
    edit_campaign = _url(workspace, f"/campaigns/{campaign.id}/edit")
    assert client.post(edit_campaign, data={"name": "Frühjahr", "survey": ""}).status_code == 302
    db.session.expire_all()
    assert campaign.owner_id == owner.id  # a form without the field keeps the person in charge


@pytest.mark.parametrize("who", ["viewer", "stranger", "garbage"])
def test_the_forms_refuse_a_viewer_or_a_stranger_with_a_clear_message(
    client, auth, team, make_campaign, make_touchpoint, make_user, who
) -> None:
    workspace, _owner, editor, viewer = team
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    touchpoint = make_touchpoint(campaign=campaign, name="Plakat Hbf", channel="poster")
    choice = {"viewer": str(viewer.id), "stranger": str(make_user().id), "garbage": "²"}[who]
    message = "Choose a person from the list." if who == "garbage" else "Only an editor or owner of this workspace"
    auth.login(editor)
    for url, data in (
        (f"/campaigns/{campaign.id}/edit", {"name": "Herbst", "survey": ""}),
        ("/campaigns/new", {"name": "Herbst", "survey": ""}),
        (f"/touchpoints/{touchpoint.id}/edit", {**TOUCHPOINT, "name": "Neu"}),
        (f"/campaigns/{campaign.id}/touchpoints/new", {**TOUCHPOINT, "name": "Neu", "survey_id": ""}),
    ):
        response = client.post(_url(workspace, url), data={**data, "owner_id": choice})
        assert response.status_code == 200 and message in response.get_data(as_text=True), url
    db.session.expire_all()
    assert (campaign.name, campaign.owner_id, touchpoint.name, touchpoint.owner_id) == (
        "Frühjahr",
        None,
        "Plakat Hbf",
        None,
    )
    assert len(services.list_campaigns(workspace.id)) == 1 and len(services.touchpoints_of(campaign)) == 1


def test_the_german_form_says_verantwortlich(client, auth, make_user, make_workspace) -> None:
    editor = make_user(locale="de")
    workspace = make_workspace(members={editor: Role.EDITOR})
    auth.login(editor)
    page = client.get(_url(workspace, "/campaigns/new")).get_data(as_text=True)
    assert "Verantwortlich" in page and "niemand: Benachrichtigungen gehen an alle Bearbeiter" in page


# --- the API ----------------------------------------------------------------------------------------------------


def test_the_api_shows_and_changes_who_is_in_charge(client, team, make_campaign, make_touchpoint) -> None:
    workspace, owner, editor, viewer = team
    _token, secret = api_services.create_token(workspace.id, "CRM", Scope.WRITE, owner.id, utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    campaign = make_campaign(workspace=workspace)
    touchpoint = make_touchpoint(campaign=campaign)
    assert client.get(f"/api/v1/campaigns/{campaign.id}", headers=headers).get_json()["owner"] is None

    body = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"owner_id": editor.id}, headers=headers).get_json()
    assert body["owner"] == {"id": editor.id, "email": editor.email, "name": "Erika"}
    response = client.patch(f"/api/v1/touchpoints/{touchpoint.id}", json={"owner_id": owner.id}, headers=headers)
    assert response.get_json()["owner"]["id"] == owner.id
    listed = client.get(f"/api/v1/campaigns/{campaign.id}/touchpoints", headers=headers).get_json()
    assert listed["items"][0]["owner"]["email"] == owner.email

    refused = client.patch(f"/api/v1/touchpoints/{touchpoint.id}", json={"owner_id": viewer.id}, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "Only an editor or owner" in refused.get_json()["detail"]
    cleared = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"owner_id": None}, headers=headers)
    assert cleared.get_json()["owner"] is None
    db.session.expire_all()
    assert (campaign.owner_id, touchpoint.owner_id) == (None, owner.id)

    created = client.post("/api/v1/campaigns", json={"name": "Herbst", "owner_id": viewer.id}, headers=headers)
    assert created.status_code == 422
