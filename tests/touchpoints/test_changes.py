"""Changing some fields of a campaign or a touchpoint (what the API's PATCH does): the fields left out stay as they
are, a needed field is never emptied, and another workspace's ids are not found."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from feedback.errors import NotFound
from feedback.extensions import db
from feedback.surveys import services as survey_services
from feedback.touchpoints import services
from feedback.touchpoints.models import Channel, Phase, Touchpoint
from tests.helpers import WHEN, count


def test_a_campaign_change_that_names_one_field_leaves_the_others(make_campaign) -> None:
    campaign = make_campaign(
        name="Frühjahr", description="Plakate", starts_on=date(2026, 3, 1), budget=Decimal("500"), ask_contact=True
    )
    services.change_campaign(campaign.workspace_id, campaign.id, {"description": "Plakate und Flyer"}, WHEN)
    db.session.commit()
    assert (campaign.name, campaign.description, campaign.starts_on, campaign.budget, campaign.ask_contact) == (
        "Frühjahr",
        "Plakate und Flyer",
        date(2026, 3, 1),
        Decimal("500"),
        True,
    )
    assert campaign.archived_at is None


def test_a_campaign_change_empties_dates_and_budget_and_archives_or_restores(make_campaign) -> None:
    campaign = make_campaign(starts_on=date(2026, 3, 1), budget=Decimal("500"))
    changes = services.CampaignChanges(starts_on=None, budget=None, archived=True)
    services.change_campaign(campaign.workspace_id, campaign.id, changes, WHEN)
    assert (campaign.starts_on, campaign.budget, campaign.archived_at) == (None, None, WHEN)
    services.change_campaign(campaign.workspace_id, campaign.id, {"archived": False}, WHEN)
    assert campaign.archived_at is None


@pytest.mark.parametrize("field", ["name", "description", "incentive_text", "invite_policy", "ask_contact"])
def test_a_campaign_change_never_empties_a_field_that_needs_a_value(make_campaign, field) -> None:
    campaign = make_campaign(name="Frühjahr")
    with pytest.raises(services.FieldRequired, match=f"{field} cannot be null"):
        services.change_campaign(campaign.workspace_id, campaign.id, {field: None, "archived": True}, WHEN)
    assert (campaign.name, campaign.archived_at) == ("Frühjahr", None)


def test_another_workspaces_campaign_is_not_found(make_campaign, make_workspace) -> None:
    campaign = make_campaign(name="Frühjahr")
    with pytest.raises(NotFound):
        services.change_campaign(make_workspace().id, campaign.id, {"name": "Herbst"}, WHEN)
    assert campaign.name == "Frühjahr"


def test_a_touchpoint_change_that_names_one_field_leaves_the_others_and_the_survey(
    make_touchpoint, make_survey
) -> None:
    touchpoint = make_touchpoint(name="Messe", channel=Channel.TRADE_FAIR, phase=Phase.CONSIDERATION, reach=3500)
    survey = make_survey(touchpoint)
    services.change_touchpoint(touchpoint.workspace_id, touchpoint.id, {"cost": Decimal("900")}, WHEN)
    db.session.commit()
    assert (touchpoint.name, touchpoint.channel, touchpoint.phase, touchpoint.reach, touchpoint.cost) == (
        "Messe",
        "trade_fair",
        "consideration",
        3500,
        Decimal("900"),
    )
    assert touchpoint.survey_id == survey.id and touchpoint.archived_at is None


def test_a_touchpoint_change_shows_a_survey_of_its_own_workspace_or_none(make_touchpoint, make_workspace) -> None:
    touchpoint = make_touchpoint()
    own = survey_services.create_survey(touchpoint.workspace_id, "Treue", "loyalty")
    foreign = survey_services.create_survey(make_workspace().id, "Fremd", "loyalty")
    services.change_touchpoint(touchpoint.workspace_id, touchpoint.id, {"survey_id": own.id}, WHEN)
    assert touchpoint.survey_id == own.id
    with pytest.raises(NotFound):
        services.change_touchpoint(touchpoint.workspace_id, touchpoint.id, {"survey_id": foreign.id}, WHEN)
    assert touchpoint.survey_id == own.id
    services.change_touchpoint(touchpoint.workspace_id, touchpoint.id, {"survey_id": None, "archived": True}, WHEN)
    assert (touchpoint.survey_id, touchpoint.archived_at) == (None, WHEN)


@pytest.mark.parametrize("field", ["name", "channel", "phase", "location", "notes"])
def test_a_touchpoint_change_never_empties_a_field_that_needs_a_value(make_touchpoint, field) -> None:
    touchpoint = make_touchpoint(name="Messe")
    with pytest.raises(services.FieldRequired, match=f"{field} cannot be null"):
        services.change_touchpoint(touchpoint.workspace_id, touchpoint.id, {field: None}, WHEN)
    assert touchpoint.name == "Messe"


def test_another_workspaces_touchpoint_is_not_found(make_touchpoint, make_workspace) -> None:
    touchpoint = make_touchpoint(name="Messe")
    with pytest.raises(NotFound):
        services.change_touchpoint(make_workspace().id, touchpoint.id, {"name": "Plakat"}, WHEN)
    assert touchpoint.name == "Messe"


def test_a_new_touchpoint_shows_the_survey_it_is_created_with_if_it_is_the_workspaces_own(
    make_campaign, make_workspace
) -> None:
    campaign = make_campaign()
    own = survey_services.create_survey(campaign.workspace_id, "Treue", "loyalty")
    foreign = survey_services.create_survey(make_workspace().id, "Fremd", "loyalty")
    fair = services.TouchpointData(name="Messe", channel=Channel.TRADE_FAIR, phase=Phase.AWARENESS)
    assert services.create_touchpoint(campaign, fair, survey_id=own.id).survey_id == own.id
    db.session.commit()
    poster = services.TouchpointData(name="Plakat", channel=Channel.POSTER, phase=Phase.AWARENESS)
    with pytest.raises(NotFound):
        services.create_touchpoint(campaign, poster, survey_id=foreign.id)
    db.session.rollback()
    assert count(Touchpoint) == 1
