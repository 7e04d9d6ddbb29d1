"""Campaigns in the dashboard: create, edit, archive, list; bad input changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.touchpoints.models import Campaign
from tests.helpers import count


@pytest.fixture
def editor_ws(client, auth, make_user, make_workspace):  # noqa: ANN201
    """A workspace whose editor is logged in."""
    owner, editor = make_user(), make_user()
    workspace = make_workspace("Rösterei", owner=owner, members={editor: Role.EDITOR})
    auth.login(editor)
    return workspace


def test_editor_creates_a_campaign(client, editor_ws) -> None:
    response = client.post(
        f"/w/{editor_ws.slug}/campaigns/new",
        data={
            "name": "Frühjahr 2026",
            "description": "Plakate und Flyer",
            "starts_on": "2026-03-01",
            "ends_on": "2026-06-30",
            "budget": "12500.50",
        },
    )
    assert response.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert (campaign.name, campaign.slug, campaign.workspace_id) == (
        "Frühjahr 2026",
        "fruhjahr-2026",
        editor_ws.id,
    )
    assert campaign.budget == Decimal("12500.50")
    assert (campaign.starts_on, campaign.ends_on) == (date(2026, 3, 1), date(2026, 6, 30))
    # straight on to its first touchpoint; no survey was chosen, so its touchpoints start without one
    assert response.headers["Location"] == f"/w/{editor_ws.slug}/campaigns/{campaign.id}/touchpoints/new"
    assert campaign.survey_id is None


def test_german_users_type_amounts_the_german_way(client, editor_ws, make_user) -> None:
    client.post("/account", data={"account-name": "", "account-locale": "de", "account-submit": "1"})
    client.post(f"/w/{editor_ws.slug}/campaigns/new", data={"name": "Messe", "budget": "1.234,50"})
    assert db.session.scalar(sa.select(Campaign.budget)) == Decimal("1234.50")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 121}, "Field cannot be longer than 120 characters."),
        (
            {"name": "A", "starts_on": "2026-05-01", "ends_on": "2026-04-01"},
            "must not be before the start date",
        ),
        ({"name": "A", "budget": "-1"}, "Enter an amount of 0 or more."),
        ({"name": "A", "budget": "lots"}, "Not a valid decimal value."),
        ({"name": "A", "starts_on": "2026-02-31"}, "Not a valid date value."),
    ],
)
def test_bad_campaign_input_is_explained_next_to_the_field(client, editor_ws, data, message) -> None:
    response = client.post(f"/w/{editor_ws.slug}/campaigns/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(Campaign) == 0


def test_bad_input_is_explained_in_german_for_german_users(client, editor_ws) -> None:
    client.post("/account", data={"account-name": "", "account-locale": "de", "account-submit": "1"})
    response = client.post(
        f"/w/{editor_ws.slug}/campaigns/new",
        data={"name": "A", "starts_on": "2026-05-01", "ends_on": "2026-04-01"},
    )
    assert "Das Enddatum darf nicht vor dem Startdatum liegen." in response.get_data(as_text=True)
    assert count(Campaign) == 0


def test_duplicate_campaign_names_are_refused_case_insensitively(client, editor_ws, make_campaign) -> None:
    make_campaign(workspace=editor_ws, name="Sommer")
    response = client.post(f"/w/{editor_ws.slug}/campaigns/new", data={"name": " sommer "})
    assert "A campaign with this name already exists." in response.get_data(as_text=True)
    assert count(Campaign) == 1


def test_the_same_name_may_exist_in_another_workspace(client, editor_ws, make_campaign) -> None:
    make_campaign(name="Sommer")
    assert client.post(f"/w/{editor_ws.slug}/campaigns/new", data={"name": "Sommer"}).status_code == 302
    assert count(Campaign) == 2


def test_editing_keeps_the_slug_so_utm_parameters_stay_stable(client, editor_ws, make_campaign) -> None:
    campaign = make_campaign(workspace=editor_ws, name="Herbst")
    response = client.post(
        f"/w/{editor_ws.slug}/campaigns/{campaign.id}/edit", data={"name": "Herbst 2026", "budget": "99"}
    )
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert (campaign.name, campaign.slug, campaign.budget) == ("Herbst 2026", "herbst", Decimal("99.00"))


def test_renaming_onto_another_campaign_is_refused(client, editor_ws, make_campaign) -> None:
    make_campaign(workspace=editor_ws, name="Eins")
    second = make_campaign(workspace=editor_ws, name="Zwei")
    response = client.post(f"/w/{editor_ws.slug}/campaigns/{second.id}/edit", data={"name": "EINS"})
    assert "already exists" in response.get_data(as_text=True)
    db.session.refresh(second)
    assert second.name == "Zwei"


def test_archiving_hides_a_campaign_from_the_list_until_restored(client, editor_ws, make_campaign) -> None:
    campaign = make_campaign(workspace=editor_ws, name="Alte Aktion")
    client.post(f"/w/{editor_ws.slug}/campaigns/{campaign.id}/archive")
    db.session.refresh(campaign)
    assert campaign.is_archived
    assert "Alte Aktion" not in client.get(f"/w/{editor_ws.slug}/").get_data(as_text=True)
    assert "Alte Aktion" in client.get(f"/w/{editor_ws.slug}/?archived=1").get_data(as_text=True)
    client.post(f"/w/{editor_ws.slug}/campaigns/{campaign.id}/archive", data={"restore": "1"})
    db.session.refresh(campaign)
    assert not campaign.is_archived


def test_campaign_list_counts_active_touchpoints(client, editor_ws, make_campaign, make_touchpoint) -> None:
    campaign = make_campaign(workspace=editor_ws, name="Gezählt")
    make_touchpoint(campaign=campaign)
    make_touchpoint(campaign=campaign)
    html = client.get(f"/w/{editor_ws.slug}/").get_data(as_text=True)
    row = html[html.index("Gezählt") :]
    row = row[: row.index("</tr>")]
    assert row.rstrip().endswith('<td class="num">2</td>')


def test_empty_workspace_explains_what_to_do_first(client, editor_ws) -> None:
    html = client.get(f"/w/{editor_ws.slug}/").get_data(as_text=True)
    assert "No campaigns yet" in html
    assert "Create the first campaign" in html


def test_database_refuses_a_window_that_ends_before_it_starts(app, make_workspace) -> None:
    workspace = make_workspace()
    db.session.add(
        Campaign(
            workspace_id=workspace.id,
            name="X",
            slug="x",
            starts_on=date(2026, 2, 1),
            ends_on=date(2026, 1, 1),
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_name_with_non_ascii_capitals_is_a_duplicate_not_a_crash(app, make_workspace) -> None:
    """SQLite's lower() folds ASCII only: "Àpfel" twice must still be refused politely (found by the API fuzzer)."""
    from feedback.touchpoints import services

    workspace = make_workspace()
    services.create_campaign(workspace.id, services.CampaignData("Àpfel"))
    db.session.commit()
    with pytest.raises(services.DuplicateCampaign):
        services.create_campaign(workspace.id, services.CampaignData("Àpfel"))
