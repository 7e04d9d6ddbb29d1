"""Use cases for campaigns and touchpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from slugify import slugify

from feedback.errors import DomainError, NotFound
from feedback.extensions import db
from feedback.tenancy import get_owned, owned
from feedback.touchpoints.models import Campaign, Channel, Phase, Touchpoint


class DuplicateCampaign(DomainError):
    """Campaign names are unique within a workspace."""

    status = 409
    message = _l("A campaign with this name already exists.")


class DuplicateTouchpoint(DomainError):
    """Touchpoint names are unique within a campaign."""

    status = 409
    message = _l("This campaign already has a touchpoint with this name.")


class InvalidWindow(DomainError):
    """A campaign cannot end before it starts."""

    message = _l("The end date must not be before the start date.")


class NegativeAmount(DomainError):
    """Costs, budgets and reach are never negative."""

    message = _l("Enter an amount of 0 or more.")


@dataclass(frozen=True)
class CampaignData:
    """What a marketer enters for a campaign."""

    name: str
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = None
    incentive_text: str = ""
    invite_policy: str = "everyone"
    #: Where invited friends land; None: the referrer's own touchpoint.
    referral_touchpoint_id: int | None = None
    #: Ask respondents after the survey whether they may be contacted.
    ask_contact: bool = False


@dataclass(frozen=True)
class TouchpointData:
    """What a marketer enters for a touchpoint."""

    name: str
    channel: Channel
    phase: Phase
    cost: Decimal | None = None
    reach: int | None = None
    location: str = ""
    notes: str = ""


def _check_campaign(data: CampaignData) -> None:
    """Rules on the values themselves."""
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidWindow()
    if data.budget is not None and data.budget < 0:
        raise NegativeAmount()


def _campaign_name_taken(workspace_id: int, name: str, except_id: int | None = None) -> bool:
    """True when another campaign of the workspace has this name (case-insensitively)."""
    # the exact name too: SQLite's lower() folds ASCII only, so "Àpfel" must still meet "Àpfel"
    same = sa.or_(Campaign.name == name, sa.func.lower(Campaign.name) == name.lower())
    query = owned(Campaign, workspace_id, same)
    if except_id is not None:
        query = query.where(Campaign.id != except_id)
    return db.session.scalar(query) is not None


def _unique_campaign_slug(workspace_id: int, name: str) -> str:
    """A slug for the campaign that no other campaign of the workspace uses."""
    base = slugify(name, max_length=70) or "campaign"
    slug, n = base, 1
    while db.session.scalar(owned(Campaign, workspace_id, Campaign.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_campaign(workspace_id: int, data: CampaignData) -> Campaign:
    """Create a campaign in the workspace; the caller commits.

    :raises DuplicateCampaign: the name is in use in this workspace.
    :raises InvalidWindow: the end lies before the start.
    """
    name = data.name.strip()
    _check_campaign(data)
    if _campaign_name_taken(workspace_id, name):
        raise DuplicateCampaign()
    campaign = Campaign(
        workspace_id=workspace_id,
        name=name,
        slug=_unique_campaign_slug(workspace_id, name),
        description=data.description.strip(),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        budget=data.budget,
        incentive_text=data.incentive_text.strip(),
        invite_policy=data.invite_policy,
        ask_contact=data.ask_contact,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, data: CampaignData) -> Campaign:
    """Change a campaign's details; its slug stays, so UTM parameters and scripts keep working.

    :raises DuplicateCampaign: the new name is in use in this workspace.
    """
    name = data.name.strip()
    _check_campaign(data)
    if _campaign_name_taken(campaign.workspace_id, name, except_id=campaign.id):
        raise DuplicateCampaign()
    campaign.name = name
    campaign.description = data.description.strip()
    campaign.starts_on = data.starts_on
    campaign.ends_on = data.ends_on
    campaign.budget = data.budget
    campaign.incentive_text = data.incentive_text.strip()
    campaign.invite_policy = data.invite_policy
    campaign.ask_contact = data.ask_contact
    if data.referral_touchpoint_id is not None:
        get_touchpoint(campaign.workspace_id, data.referral_touchpoint_id)  # NotFound for other workspaces' ids
    campaign.referral_touchpoint_id = data.referral_touchpoint_id
    return campaign


def set_campaign_archived(campaign: Campaign, archived: bool, now: datetime) -> None:
    """Archive or restore a campaign; its touchpoints and data stay untouched."""
    campaign.archived_at = now if archived else None


def list_campaigns(workspace_id: int, include_archived: bool = False) -> list[tuple[Campaign, int]]:
    """Campaigns of the workspace with their number of active touchpoints, newest window first."""
    counts = (
        sa.select(Touchpoint.campaign_id, sa.func.count().label("n"))
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.archived_at.is_(None))
        .group_by(Touchpoint.campaign_id)
        .subquery()
    )
    query = (
        owned(Campaign, workspace_id)
        .add_columns(sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .order_by(Campaign.archived_at.is_not(None), Campaign.starts_on.desc().nulls_last(), Campaign.name)
    )
    if not include_archived:
        query = query.where(Campaign.archived_at.is_(None))
    return [(campaign, count) for campaign, count in db.session.execute(query)]


def campaign_by_slug(workspace_id: int, slug: str) -> Campaign:
    """The workspace's campaign with this slug.

    :raises NotFound: no such campaign in this workspace.
    """
    campaign = db.session.scalar(owned(Campaign, workspace_id, Campaign.slug == slug))
    if campaign is None:
        raise NotFound()
    return campaign


def _check_touchpoint(data: TouchpointData) -> None:
    """Rules on the values themselves."""
    if (data.cost is not None and data.cost < 0) or (data.reach is not None and data.reach < 0):
        raise NegativeAmount()


def _touchpoint_name_taken(campaign: Campaign, name: str, except_id: int | None = None) -> bool:
    """True when another touchpoint of the campaign has this name (case-insensitively)."""
    query = owned(
        Touchpoint,
        campaign.workspace_id,
        Touchpoint.campaign_id == campaign.id,
        sa.or_(Touchpoint.name == name, sa.func.lower(Touchpoint.name) == name.lower()),
    )
    if except_id is not None:
        query = query.where(Touchpoint.id != except_id)
    return db.session.scalar(query) is not None


def create_touchpoint(campaign: Campaign, data: TouchpointData) -> Touchpoint:
    """Add a touchpoint to a campaign; the caller commits.

    :raises DuplicateTouchpoint: the campaign has a touchpoint with this name.
    """
    name = data.name.strip()
    _check_touchpoint(data)
    if _touchpoint_name_taken(campaign, name):
        raise DuplicateTouchpoint()
    touchpoint = Touchpoint(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        name=name,
        channel=Channel(data.channel).value,
        phase=Phase(data.phase).value,
        cost=data.cost,
        reach=data.reach,
        location=data.location.strip(),
        notes=data.notes.strip(),
    )
    db.session.add(touchpoint)
    db.session.flush()
    return touchpoint


def update_touchpoint(touchpoint: Touchpoint, data: TouchpointData) -> Touchpoint:
    """Change a touchpoint's details; its codes keep pointing at it.

    :raises DuplicateTouchpoint: the campaign has another touchpoint with this name.
    """
    name = data.name.strip()
    _check_touchpoint(data)
    if _touchpoint_name_taken(touchpoint.campaign, name, except_id=touchpoint.id):
        raise DuplicateTouchpoint()
    touchpoint.name = name
    touchpoint.channel = Channel(data.channel).value
    touchpoint.phase = Phase(data.phase).value
    touchpoint.cost = data.cost
    touchpoint.reach = data.reach
    touchpoint.location = data.location.strip()
    touchpoint.notes = data.notes.strip()
    return touchpoint


def set_touchpoint_archived(touchpoint: Touchpoint, archived: bool, now: datetime) -> None:
    """Archive or restore a touchpoint."""
    touchpoint.archived_at = now if archived else None


def referral_targets(campaign: Campaign) -> list[Touchpoint]:
    """Touchpoints of the campaign that can receive invited friends (those with at least one code)."""
    from feedback.qr.models import Code

    with_codes = sa.select(Code.touchpoint_id).where(Code.workspace_id == campaign.workspace_id)
    return [t for t in touchpoints_of(campaign) if t.id in set(db.session.scalars(with_codes))]


def touchpoints_of(campaign: Campaign, include_archived: bool = False) -> list[Touchpoint]:
    """The campaign's touchpoints in journey order, then by name."""
    phase_order = sa.case({p.value: i for i, p in enumerate(Phase)}, value=Touchpoint.phase)
    query = owned(Touchpoint, campaign.workspace_id, Touchpoint.campaign_id == campaign.id).order_by(
        Touchpoint.archived_at.is_not(None), phase_order, Touchpoint.name
    )
    if not include_archived:
        query = query.where(Touchpoint.archived_at.is_(None))
    return list(db.session.scalars(query))


def get_campaign(workspace_id: int, campaign_id: int) -> Campaign:
    """One campaign of the workspace or NotFound."""
    return get_owned(Campaign, workspace_id, campaign_id)


def get_touchpoint(workspace_id: int, touchpoint_id: int) -> Touchpoint:
    """One touchpoint of the workspace or NotFound."""
    return get_owned(Touchpoint, workspace_id, touchpoint_id)


@dataclass(frozen=True)
class FirstSteps:
    """How far a workspace is on the way from nothing to a rated touchpoint (the dashboard's getting-started list)."""

    campaign_id: int | None
    touchpoint_id: int | None
    has_survey: bool
    has_code: bool
    has_answer: bool

    @property
    def done(self) -> bool:
        return self.has_answer

    @property
    def steps_done(self) -> int:
        return sum(
            (self.campaign_id is not None, self.touchpoint_id is not None, self.has_survey, self.has_code,
             self.has_answer)
        )  # fmt: skip


def first_steps(workspace_id: int) -> FirstSteps:
    """Which of the first steps the workspace has taken: a campaign, a touchpoint, a survey on it, a code, an
    answer (five small indexed lookups)."""
    from feedback.qr.models import Code
    from feedback.surveys.models import Response

    campaign_id = db.session.scalar(
        owned(Campaign, workspace_id, Campaign.archived_at.is_(None)).with_only_columns(Campaign.id).limit(1)
    )
    touchpoint = db.session.execute(
        owned(Touchpoint, workspace_id, Touchpoint.archived_at.is_(None))
        .with_only_columns(Touchpoint.id, Touchpoint.campaign_id)
        .order_by(Touchpoint.survey_id.is_(None), Touchpoint.id)
        .limit(1)
    ).first()
    has_survey = (
        db.session.scalar(
            owned(Touchpoint, workspace_id, Touchpoint.survey_id.is_not(None)).with_only_columns(Touchpoint.id).limit(1)
        )
        is not None
    )
    has_code = db.session.scalar(owned(Code, workspace_id).with_only_columns(Code.id).limit(1)) is not None
    has_answer = (
        db.session.scalar(
            owned(Response, workspace_id, Response.completed_at.is_not(None)).with_only_columns(Response.id).limit(1)
        )
        is not None
    )
    return FirstSteps(
        campaign_id=(touchpoint[1] if touchpoint else campaign_id),
        touchpoint_id=touchpoint[0] if touchpoint else None,
        has_survey=has_survey,
        has_code=has_code,
        has_answer=has_answer,
    )
