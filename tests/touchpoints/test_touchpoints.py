"""Touchpoints of a campaign: channel, journey phase, cost, reach; bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.touchpoints.models import Touchpoint
from tests.helpers import count

VALID = {"name": "Plakat Hbf", "channel": "poster", "phase": "awareness", "cost": "3200", "reach": "40000"}


@pytest.fixture
def campaign(client, auth, make_user, make_workspace, make_campaign):  # noqa: ANN201
    """A campaign in a workspace whose editor is logged in."""
    editor = make_user()
    workspace = make_workspace(members={editor: Role.EDITOR})
    auth.login(editor)
    return make_campaign(workspace=workspace, name="Frühjahr")


def _url(campaign, suffix: str = "") -> str:
    return f"/w/{campaign.workspace.slug}{suffix}"


def test_editor_adds_a_touchpoint_to_a_campaign(client, campaign) -> None:
    response = client.post(
        _url(campaign, f"/campaigns/{campaign.id}/touchpoints/new"), data={**VALID, "location": "Halle"}
    )
    assert response.status_code == 302
    touchpoint = db.session.scalar(sa.select(Touchpoint))
    assert (touchpoint.name, touchpoint.channel, touchpoint.phase) == ("Plakat Hbf", "poster", "awareness")
    assert (touchpoint.cost, touchpoint.reach, touchpoint.location) == (Decimal("3200.00"), 40000, "Halle")
    assert touchpoint.workspace_id == campaign.workspace_id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Plakat Hbf" in page and "40,000" in page and "€3,200.00" in page


def test_campaign_page_shows_touchpoints_in_their_journey_phase(client, campaign, make_touchpoint) -> None:
    from feedback.touchpoints.models import Phase

    make_touchpoint(campaign=campaign, name="Bon-QR", phase=Phase.DECISION)
    html = client.get(_url(campaign, f"/campaigns/{campaign.id}")).get_data(as_text=True)
    decision = html[html.index('id="phase-decision"') : html.index('id="phase-retention"')]
    assert "Bon-QR" in decision


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channel": "skywriting"}, "Not a valid choice"),
        ({"phase": "purchase"}, "Not a valid choice"),
        ({"cost": "-10"}, "Enter an amount of 0 or more."),
        ({"reach": "-1"}, "Enter a number of 0 or more."),
        ({"reach": "1.5"}, "Enter a whole number."),
        ({"reach": "many"}, "Not a valid integer value."),
        ({"name": ""}, "This field is required."),
        ({"location": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_touchpoint_input_is_explained_and_nothing_is_stored(client, campaign, change, message) -> None:
    response = client.post(_url(campaign, f"/campaigns/{campaign.id}/touchpoints/new"), data={**VALID, **change})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(Touchpoint) == 0


def test_german_users_type_grouped_numbers(client, campaign) -> None:
    client.post("/account", data={"account-name": "", "account-locale": "de", "account-submit": "1"})
    data = {**VALID, "cost": "14.000,50", "reach": "40.000"}
    assert client.post(_url(campaign, f"/campaigns/{campaign.id}/touchpoints/new"), data=data).status_code == 302
    touchpoint = db.session.scalar(sa.select(Touchpoint))
    assert (touchpoint.cost, touchpoint.reach) == (Decimal("14000.50"), 40000)
    form = client.get(_url(campaign, f"/touchpoints/{touchpoint.id}/edit")).get_data(as_text=True)
    assert 'value="40.000"' in form and 'value="14.000,5' in form


def test_ambiguous_numbers_are_refused_rather_than_misread(client, campaign) -> None:
    data = {**VALID, "cost": "1.234,50"}  # German format while the dashboard is in English
    response = client.post(_url(campaign, f"/campaigns/{campaign.id}/touchpoints/new"), data=data)
    assert "Not a valid decimal value." in response.get_data(as_text=True)
    assert count(Touchpoint) == 0


def test_duplicate_touchpoint_names_in_one_campaign_are_refused(client, campaign, make_touchpoint) -> None:
    make_touchpoint(campaign=campaign, name="Plakat Hbf")
    response = client.post(_url(campaign, f"/campaigns/{campaign.id}/touchpoints/new"), data=VALID)
    assert "already has a touchpoint with this name" in response.get_data(as_text=True)
    assert count(Touchpoint) == 1


def test_editing_a_touchpoint_changes_its_details(client, campaign, make_touchpoint) -> None:
    touchpoint = make_touchpoint(campaign=campaign, name="Alt")
    response = client.post(
        _url(campaign, f"/touchpoints/{touchpoint.id}/edit"),
        data={**VALID, "name": "Neu", "phase": "retention"},
    )
    assert response.status_code == 302
    db.session.refresh(touchpoint)
    assert (touchpoint.name, touchpoint.phase) == ("Neu", "retention")


def test_archiving_and_restoring_a_touchpoint(client, campaign, make_touchpoint) -> None:
    touchpoint = make_touchpoint(campaign=campaign, name="Saison")
    client.post(_url(campaign, f"/touchpoints/{touchpoint.id}/archive"))
    db.session.refresh(touchpoint)
    assert touchpoint.is_archived
    assert "Saison" not in client.get(_url(campaign, f"/campaigns/{campaign.id}")).get_data(as_text=True)
    client.post(_url(campaign, f"/touchpoints/{touchpoint.id}/archive"), data={"restore": "1"})
    db.session.refresh(touchpoint)
    assert not touchpoint.is_archived


def test_user_text_is_escaped_everywhere_it_is_shown(client, campaign) -> None:
    hostile = "<script>alert(1)</script>{{ 7*7 }}"
    client.post(
        _url(campaign, f"/campaigns/{campaign.id}/touchpoints/new"),
        data={**VALID, "name": hostile, "notes": hostile, "location": hostile},
    )
    touchpoint = db.session.scalar(sa.select(Touchpoint))
    assert touchpoint.name == hostile
    for path in (
        f"/touchpoints/{touchpoint.id}",
        f"/campaigns/{campaign.id}",
        f"/touchpoints/{touchpoint.id}/edit",
    ):
        html = client.get(_url(campaign, path)).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;" in html
        assert "{{ 7*7 }}" in html


def test_database_ties_a_touchpoint_to_its_campaigns_workspace(app, make_campaign, make_workspace) -> None:
    campaign = make_campaign()
    other = make_workspace()
    db.session.add(
        Touchpoint(workspace_id=other.id, campaign_id=campaign.id, name="X", channel="flyer", phase="awareness")
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
