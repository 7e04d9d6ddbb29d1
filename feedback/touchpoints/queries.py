"""Read-only questions the dashboard asks about a workspace's campaigns and touchpoints: its first steps."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.extensions import db
from feedback.qr.models import Code
from feedback.surveys.models import Response
from feedback.tenancy import owned
from feedback.touchpoints.models import Campaign, Touchpoint


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
