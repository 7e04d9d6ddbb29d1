"""Use cases for campaigns and touchpoints."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from slugify import slugify

from feedback.errors import DomainError, NotFound
from feedback.extensions import db
from feedback.qr.models import Code
from feedback.qr.services import create_code
from feedback.surveys.catalog import template
from feedback.surveys.models import Survey
from feedback.surveys.services import DuplicateSurvey, attach, create_survey, get_survey
from feedback.tenancy import get_owned, owned
from feedback.touchpoints.models import Campaign, Channel, KioskCoupon, Phase, Touchpoint
from feedback.touchpoints.owners import OwnerNotAllowed as OwnerNotAllowed
from feedback.touchpoints.owners import alert_recipients as alert_recipients
from feedback.touchpoints.owners import campaign_recipients as campaign_recipients
from feedback.touchpoints.owners import checked_owner
from feedback.touchpoints.owners import possible_owners as possible_owners
from feedback.touchpoints.owners import subscribe as subscribe


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


class FieldRequired(DomainError):
    """A change would empty a field that always has a value (a name, a channel …)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} cannot be null.")


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
    #: Minutes after a completion in which the same network and device at the same code is a possible repeat (0: off).
    repeat_window_minutes: int = 30
    #: Coupons per hour for one network and device at one code (0: no cap).
    coupon_cap_per_hour: int = 3
    #: The member who hears of its alerts (an editor or owner of the workspace); None: its editors and owners.
    owner_id: int | None = None


class CampaignChanges(TypedDict, total=False):
    """Some fields of a campaign (an API PATCH): a field left out keeps its value. None empties the dates and the
    budget and the owner (`owner_id`); the other fields refuse it. `archived` archives (True) or restores (False) the
    campaign, None leaves it."""

    name: str | None
    description: str | None
    starts_on: date | None
    ends_on: date | None
    budget: Decimal | None
    incentive_text: str | None
    invite_policy: str | None
    ask_contact: bool | None
    repeat_window_minutes: int | None
    coupon_cap_per_hour: int | None
    owner_id: int | None
    archived: bool | None


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
    #: A shared screen where one person answers after another (see Touchpoint.kiosk).
    kiosk: bool = False
    kiosk_coupon: KioskCoupon = KioskCoupon.QR
    #: The member who hears of its alerts (an editor or owner of the workspace); None: the campaign's owner.
    owner_id: int | None = None


class TouchpointChanges(TypedDict, total=False):
    """Some fields of a touchpoint (an API PATCH): a field left out keeps its value. None empties cost, reach and the
    owner (`owner_id`) and detaches the survey (`survey_id`); name, channel, phase, location, notes, kiosk and
    kiosk_coupon refuse it.
    `archived` archives (True) or restores (False) the touchpoint, None leaves it."""

    name: str | None
    channel: Channel | None
    phase: Phase | None
    cost: Decimal | None
    reach: int | None
    location: str | None
    notes: str | None
    survey_id: int | None
    archived: bool | None
    kiosk: bool | None
    kiosk_coupon: KioskCoupon | None
    owner_id: int | None


def _refuse_empty(changes: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Raise FieldRequired for the first of `fields` that the changes set to None."""
    for field in fields:
        if field in changes and changes[field] is None:
            raise FieldRequired(field)


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
    :raises OwnerNotAllowed: the owner is not an active editor or owner of the workspace.
    """
    name = data.name.strip()
    _check_campaign(data)
    if _campaign_name_taken(workspace_id, name):
        raise DuplicateCampaign()
    owner_id = checked_owner(workspace_id, data.owner_id)
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
        repeat_window_minutes=data.repeat_window_minutes,
        coupon_cap_per_hour=data.coupon_cap_per_hour,
        owner_id=owner_id,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, data: CampaignData) -> Campaign:
    """Change a campaign's details; its slug stays, so UTM parameters and scripts keep working. A new owner is
    checked; the owner it has stays without a check.

    :raises DuplicateCampaign: the new name is in use in this workspace.
    :raises OwnerNotAllowed: the new owner is not an active editor or owner of the workspace.
    """
    name = data.name.strip()
    _check_campaign(data)
    if _campaign_name_taken(campaign.workspace_id, name, except_id=campaign.id):
        raise DuplicateCampaign()
    if data.owner_id != campaign.owner_id:
        campaign.owner_id = checked_owner(campaign.workspace_id, data.owner_id)
    campaign.name = name
    campaign.description = data.description.strip()
    campaign.starts_on = data.starts_on
    campaign.ends_on = data.ends_on
    campaign.budget = data.budget
    campaign.incentive_text = data.incentive_text.strip()
    campaign.invite_policy = data.invite_policy
    campaign.ask_contact = data.ask_contact
    campaign.repeat_window_minutes = data.repeat_window_minutes
    campaign.coupon_cap_per_hour = data.coupon_cap_per_hour
    if data.referral_touchpoint_id is not None:
        get_touchpoint(campaign.workspace_id, data.referral_touchpoint_id)  # NotFound for other workspaces' ids
    campaign.referral_touchpoint_id = data.referral_touchpoint_id
    return campaign


def set_campaign_survey(campaign: Campaign, survey_id: int | None) -> None:
    """Name the survey the campaign's new touchpoints start with (None: none); touchpoints made before keep theirs.

    :raises NotFound: the survey is not one of the campaign's workspace.
    """
    if survey_id is not None:
        get_survey(campaign.workspace_id, survey_id)
    campaign.survey_id = survey_id


def survey_from_template(campaign: Campaign, slug: str, name: str) -> Survey:
    """A new survey from the template `slug`, named `name` (numbered when the name is taken), as the survey the
    campaign's new touchpoints start with; the caller commits.

    :raises NotFound: there is no such template.
    """
    if template(slug) is None:
        raise NotFound()
    base = name.strip()[:110]
    for number in range(1, 100):
        candidate = base if number == 1 else f"{base} ({number})"
        try:
            survey = create_survey(campaign.workspace_id, candidate, slug)
        except DuplicateSurvey:  # refused before anything was added
            continue
        campaign.survey_id = survey.id
        return survey
    raise DuplicateSurvey()


def set_campaign_archived(campaign: Campaign, archived: bool, now: datetime) -> None:
    """Archive or restore a campaign; its touchpoints and data stay untouched."""
    campaign.archived_at = now if archived else None


def change_campaign(workspace_id: int, campaign_id: int, changes: CampaignChanges, now: datetime) -> Campaign:
    """Change the given fields of one of the workspace's campaigns and keep the others; the caller commits.

    :param changes: the fields to change (see CampaignChanges); `archived` archives or restores at `now`.
    :raises NotFound: the campaign is not one of this workspace's.
    :raises FieldRequired: a field that always has a value is set to None.
    :raises DuplicateCampaign: the new name is in use in this workspace.
    :raises InvalidWindow: the end lies before the start.
    :raises OwnerNotAllowed: the new owner is not an active editor or owner of the workspace.
    """
    campaign = get_campaign(workspace_id, campaign_id)
    fields: dict[str, Any] = dict(changes)
    archived = fields.pop("archived", None)
    _refuse_empty(
        fields,
        (
            "name",
            "description",
            "incentive_text",
            "invite_policy",
            "ask_contact",
            "repeat_window_minutes",
            "coupon_cap_per_hour",
        ),
    )
    current = CampaignData(
        name=campaign.name,
        description=campaign.description,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        budget=campaign.budget,
        incentive_text=campaign.incentive_text,
        invite_policy=campaign.invite_policy,
        referral_touchpoint_id=campaign.referral_touchpoint_id,
        ask_contact=campaign.ask_contact,
        repeat_window_minutes=campaign.repeat_window_minutes,
        coupon_cap_per_hour=campaign.coupon_cap_per_hour,
        owner_id=campaign.owner_id,
    )
    update_campaign(campaign, replace(current, **fields))
    if archived is not None:
        set_campaign_archived(campaign, bool(archived), now)
    return campaign


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


def create_touchpoint(campaign: Campaign, data: TouchpointData, survey_id: int | None = None) -> Touchpoint:
    """Add a touchpoint to a campaign, showing the survey `survey_id` (or none); the caller commits.

    :raises NotFound: the survey is not one of the campaign's workspace.
    :raises DuplicateTouchpoint: the campaign has a touchpoint with this name.
    :raises OwnerNotAllowed: the owner is not an active editor or owner of the workspace.
    """
    survey = get_survey(campaign.workspace_id, survey_id) if survey_id is not None else None
    name = data.name.strip()
    _check_touchpoint(data)
    if _touchpoint_name_taken(campaign, name):
        raise DuplicateTouchpoint()
    owner_id = checked_owner(campaign.workspace_id, data.owner_id)
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
        kiosk=data.kiosk,
        kiosk_coupon=KioskCoupon(data.kiosk_coupon).value,
        owner_id=owner_id,
    )
    db.session.add(touchpoint)
    db.session.flush()
    if survey is not None:
        attach(touchpoint, survey)
    return touchpoint


def add_touchpoint(campaign: Campaign, data: TouchpointData, survey_id: int | None) -> tuple[Touchpoint, Code]:
    """Add a touchpoint ready to print: it shows the survey `survey_id` (or none) and gets its first code at once;
    the caller commits.

    :raises NotFound: the survey is not one of the campaign's workspace.
    :raises DuplicateTouchpoint: the campaign has a touchpoint with this name.
    :raises OwnerNotAllowed: the owner is not an active editor or owner of the workspace.
    """
    touchpoint = create_touchpoint(campaign, data, survey_id)
    return touchpoint, create_code(touchpoint)


def update_touchpoint(touchpoint: Touchpoint, data: TouchpointData) -> Touchpoint:
    """Change a touchpoint's details; its codes keep pointing at it. A new owner is checked; the owner it has stays
    without a check.

    :raises DuplicateTouchpoint: the campaign has another touchpoint with this name.
    :raises OwnerNotAllowed: the new owner is not an active editor or owner of the workspace.
    """
    name = data.name.strip()
    _check_touchpoint(data)
    if _touchpoint_name_taken(touchpoint.campaign, name, except_id=touchpoint.id):
        raise DuplicateTouchpoint()
    if data.owner_id != touchpoint.owner_id:
        touchpoint.owner_id = checked_owner(touchpoint.workspace_id, data.owner_id)
    touchpoint.name = name
    touchpoint.channel = Channel(data.channel).value
    touchpoint.phase = Phase(data.phase).value
    touchpoint.cost = data.cost
    touchpoint.reach = data.reach
    touchpoint.location = data.location.strip()
    touchpoint.notes = data.notes.strip()
    touchpoint.kiosk = data.kiosk
    touchpoint.kiosk_coupon = KioskCoupon(data.kiosk_coupon).value
    return touchpoint


def set_touchpoint_archived(touchpoint: Touchpoint, archived: bool, now: datetime) -> None:
    """Archive or restore a touchpoint."""
    touchpoint.archived_at = now if archived else None


def change_touchpoint(workspace_id: int, touchpoint_id: int, changes: TouchpointChanges, now: datetime) -> Touchpoint:
    """Change the given fields of one of the workspace's touchpoints and keep the others; the caller commits.

    :param changes: the fields to change (see TouchpointChanges); `survey_id` chooses the survey it shows (None:
        none), `archived` archives or restores at `now`.
    :raises NotFound: the touchpoint, or the survey, is not one of this workspace's.
    :raises FieldRequired: a field that always has a value is set to None.
    :raises DuplicateTouchpoint: the campaign has another touchpoint with this name.
    :raises OwnerNotAllowed: the new owner is not an active editor or owner of the workspace.
    """
    touchpoint = get_touchpoint(workspace_id, touchpoint_id)
    fields: dict[str, Any] = dict(changes)
    archived = fields.pop("archived", None)
    if "survey_id" in fields:
        survey_id = fields.pop("survey_id")
        attach(touchpoint, get_survey(workspace_id, survey_id) if survey_id is not None else None)
    _refuse_empty(fields, ("name", "channel", "phase", "location", "notes", "kiosk", "kiosk_coupon"))
    current = TouchpointData(
        name=touchpoint.name,
        channel=Channel(touchpoint.channel),
        phase=Phase(touchpoint.phase),
        cost=touchpoint.cost,
        reach=touchpoint.reach,
        location=touchpoint.location,
        notes=touchpoint.notes,
        kiosk=touchpoint.kiosk,
        kiosk_coupon=KioskCoupon(touchpoint.kiosk_coupon),
        owner_id=touchpoint.owner_id,
    )
    update_touchpoint(touchpoint, replace(current, **fields))
    if archived is not None:
        set_touchpoint_archived(touchpoint, bool(archived), now)
    return touchpoint


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
