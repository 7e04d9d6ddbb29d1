"""Campaigns and their touchpoints, ratings and referral numbers."""

from __future__ import annotations

from flask import Response, g
from flask_babel import get_locale
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis import sentences
from feedback.analysis.downloads import ratings_download
from feedback.analysis.driver_catalogue import driver_documents, driver_rows
from feedback.analysis.driver_queries import campaign_drivers
from feedback.analysis.segment_store import strict_segment
from feedback.analysis.services import checked_range
from feedback.api.base import ERRORS, WRITE_ERRORS, bp, json_response, spec, workspace_id
from feedback.auth.models import User
from feedback.db_types import utcnow
from feedback.extensions import commit, db
from feedback.referrals.services import ReferralNumbers, referral_numbers
from feedback.tenancy import owned
from feedback.touchpoints import services as tp
from feedback.touchpoints.models import Campaign, Touchpoint


def _person(user: User | None) -> schemas.Person | None:
    return schemas.Person(id=user.id, email=user.email, name=user.name) if user is not None else None


def _campaign(c: Campaign) -> schemas.Campaign:
    return schemas.Campaign(
        id=c.id,
        name=c.name,
        slug=c.slug,
        description=c.description,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        budget=c.budget,
        incentive_text=c.incentive_text,
        invite_policy=c.invite_policy,  # type: ignore[arg-type]
        ask_contact=c.ask_contact,
        repeat_window_minutes=c.repeat_window_minutes,
        coupon_cap_per_hour=c.coupon_cap_per_hour,
        owner=_person(c.owner),
        archived=c.archived_at is not None,
        created_at=c.created_at,
    )


def _touchpoint(t: Touchpoint) -> schemas.Touchpoint:
    return schemas.Touchpoint(
        id=t.id,
        campaign_id=t.campaign_id,
        name=t.name,
        channel=t.channel,  # type: ignore[arg-type]
        phase=t.phase,  # type: ignore[arg-type]
        cost=t.cost,
        reach=t.reach,
        location=t.location,
        notes=t.notes,
        survey_id=t.survey_id,
        archived=t.archived_at is not None,
        created_at=t.created_at,
        kiosk=t.kiosk,
        kiosk_coupon=t.kiosk_coupon,  # type: ignore[arg-type]
        owner=_person(t.owner),
    )


# --- campaigns --------------------------------------------------------------------------------------------------


@bp.get("/campaigns")
@spec.validate(resp=Resp(HTTP_200=schemas.CampaignList, **ERRORS), tags=["campaigns"])
def list_campaigns() -> Response:
    """All campaigns of the workspace, archived ones included."""
    campaigns = db.session.scalars(owned(Campaign, workspace_id()).order_by(Campaign.id))
    return json_response(schemas.CampaignList(items=[_campaign(c) for c in campaigns]))


@bp.post("/campaigns")
@spec.validate(json=schemas.CampaignCreate, resp=Resp(HTTP_201=schemas.Campaign, **WRITE_ERRORS), tags=["campaigns"])
def create_campaign(json: schemas.CampaignCreate) -> Response:
    """Create a campaign."""
    campaign = tp.create_campaign(workspace_id(), tp.CampaignData(**json.model_dump()))
    commit()
    return json_response(_campaign(campaign), 201)


@bp.get("/campaigns/<int:campaign_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Campaign, **ERRORS), tags=["campaigns"])
def get_campaign(campaign_id: int) -> Response:
    """One campaign."""
    return json_response(_campaign(tp.get_campaign(workspace_id(), campaign_id)))


@bp.patch("/campaigns/<int:campaign_id>")
@spec.validate(json=schemas.CampaignUpdate, resp=Resp(HTTP_200=schemas.Campaign, **WRITE_ERRORS), tags=["campaigns"])
def update_campaign(campaign_id: int, json: schemas.CampaignUpdate) -> Response:
    """Change fields of a campaign; `archived: true` archives it, `false` restores it."""
    changes = tp.CampaignChanges(**json.model_dump(exclude_unset=True))
    campaign = tp.change_campaign(workspace_id(), campaign_id, changes, utcnow())
    commit()
    return json_response(_campaign(campaign))


# --- touchpoints ------------------------------------------------------------------------------------------------


@bp.get("/campaigns/<int:campaign_id>/touchpoints")
@spec.validate(resp=Resp(HTTP_200=schemas.TouchpointList, **ERRORS), tags=["touchpoints"])
def list_touchpoints(campaign_id: int) -> Response:
    """Touchpoints of a campaign in journey order, archived ones included."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    touchpoints = tp.touchpoints_of(campaign, include_archived=True)
    return json_response(schemas.TouchpointList(items=[_touchpoint(t) for t in touchpoints]))


@bp.post("/campaigns/<int:campaign_id>/touchpoints")
@spec.validate(
    json=schemas.TouchpointCreate, resp=Resp(HTTP_201=schemas.Touchpoint, **WRITE_ERRORS), tags=["touchpoints"]
)
def create_touchpoint(campaign_id: int, json: schemas.TouchpointCreate) -> Response:
    """Add a touchpoint to a campaign."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    fields = json.model_dump()
    survey_id = fields.pop("survey_id")
    touchpoint = tp.create_touchpoint(campaign, tp.TouchpointData(**fields), survey_id)
    commit()
    return json_response(_touchpoint(touchpoint), 201)


@bp.get("/touchpoints/<int:touchpoint_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Touchpoint, **ERRORS), tags=["touchpoints"])
def get_touchpoint(touchpoint_id: int) -> Response:
    """One touchpoint."""
    return json_response(_touchpoint(tp.get_touchpoint(workspace_id(), touchpoint_id)))


@bp.patch("/touchpoints/<int:touchpoint_id>")
@spec.validate(
    json=schemas.TouchpointUpdate, resp=Resp(HTTP_200=schemas.Touchpoint, **WRITE_ERRORS), tags=["touchpoints"]
)
def update_touchpoint(touchpoint_id: int, json: schemas.TouchpointUpdate) -> Response:
    """Change fields of a touchpoint; `archived: true` archives it."""
    changes = tp.TouchpointChanges(**json.model_dump(exclude_unset=True))
    touchpoint = tp.change_touchpoint(workspace_id(), touchpoint_id, changes, utcnow())
    commit()
    return json_response(_touchpoint(touchpoint))


# --- ratings ----------------------------------------------------------------------------------------------------


@bp.get("/campaigns/<int:campaign_id>/ratings")
@spec.validate(query=schemas.AnalysisQuery, resp=Resp(HTTP_200=schemas.Ratings, **ERRORS), tags=["ratings"])
def ratings(campaign_id: int, query: schemas.AnalysisQuery) -> Response:
    """The dashboard's ratings with intervals, and each touchpoint against the rest of its campaign (of a segment's
    respondents and visitors when one is given)."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    segment = strict_segment(query.segment_args(), campaign.workspace_id, campaign)
    download = ratings_download(campaign, checked_range(query.from_, query.to), "json", segment=segment)
    return Response(download.body, mimetype="application/json")  # type: ignore[arg-type]


@bp.get("/campaigns/<int:campaign_id>/drivers")
@spec.validate(query=schemas.AnalysisQuery, resp=Resp(HTTP_200=schemas.Drivers, **ERRORS), tags=["ratings"])
def drivers(campaign_id: int, query: schemas.AnalysisQuery) -> Response:
    """The campaign's questions ranked by how they relate to the NPS of the same response (association, not cause)."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    segment = strict_segment(query.segment_args(), campaign.workspace_id, campaign)
    report = campaign_drivers(campaign, checked_range(query.from_, query.to), segment)
    rows = driver_rows(report, get_locale().language if get_locale() else "en", sentences.driver)
    return json_response(
        schemas.Drivers(
            campaign_id=campaign.id,
            has_nps=report.has_nps,
            caveat=sentences.driver_caveat(),
            drivers=[schemas.Driver(**document) for document in driver_documents(rows)],  # type: ignore[arg-type]
        )
    )


def _numbers(touchpoint_id: int | None, n: ReferralNumbers) -> schemas.ReferralNumbers:
    m = n.metrics
    acceptance, friends_ci, k_ci = m.acceptance_rate, m.friends_per_invite_ci, m.k_factor_ci
    return schemas.ReferralNumbers(
        touchpoint_id=touchpoint_id,
        invites=m.invites,
        opens=n.opens,
        unique_opens=m.unique_opens,
        acceptances=m.friends,
        completed_responses=m.completed,
        acceptance_rate=acceptance.share if acceptance else None,
        k_factor=m.k_factor,
        median_hours_to_accept=n.median_hours_to_accept,
        invites_accepted=m.invites_accepted,
        acceptance_rate_low=acceptance.ci.low if acceptance and acceptance.ci else None,
        acceptance_rate_high=acceptance.ci.high if acceptance and acceptance.ci else None,
        friends_per_invite=m.friends_per_invite,
        friends_per_invite_low=friends_ci.low if friends_ci else None,
        friends_per_invite_high=friends_ci.high if friends_ci else None,
        k_factor_low=k_ci.low if k_ci else None,
        k_factor_high=k_ci.high if k_ci else None,
    )


@bp.get("/campaigns/<int:campaign_id>/referrals")
@spec.validate(query=schemas.Period, resp=Resp(HTTP_200=schemas.Referrals, **ERRORS), tags=["referrals"])
def referrals(campaign_id: int, query: schemas.Period) -> Response:
    """Invites, opens, acceptances, acceptance rate and k-factor per referring touchpoint (optionally a period)."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    period = checked_range(query.from_, query.to).period(g.workspace.timezone)
    per_touchpoint, total = referral_numbers(campaign, (period.start, period.end))
    return json_response(
        schemas.Referrals(
            total=_numbers(None, total),
            touchpoints=[_numbers(tp_id, n) for tp_id, n in sorted(per_touchpoint.items())],
        )
    )
