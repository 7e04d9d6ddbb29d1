"""Read-only questions the dashboard asks about a workspace's campaigns and touchpoints: its first steps, whether a
campaign is ready to print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

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


@dataclass(frozen=True)
class Readiness:
    """Whether a campaign is ready to print: every active touchpoint shows a survey and has a code that answers
    (neither paused nor expired)."""

    touchpoints: int
    ready: int
    missing_survey: tuple[Touchpoint, ...]
    missing_code: tuple[Touchpoint, ...]

    @property
    def print_ready(self) -> bool:
        """Every touchpoint can be printed (and there is at least one)."""
        return self.touchpoints > 0 and self.ready == self.touchpoints


def readiness(touchpoints: list[Touchpoint], now: datetime) -> Readiness:
    """How many of the campaign's active `touchpoints` have a survey and a live code, and which lack one."""
    active = [t for t in touchpoints if not t.is_archived]
    live: set[int] = set()
    if active:
        live = set(
            db.session.scalars(
                owned(
                    Code,
                    active[0].workspace_id,
                    Code.touchpoint_id.in_([t.id for t in active]),
                    Code.paused_at.is_(None),
                    sa.or_(Code.expires_at.is_(None), Code.expires_at > now),
                )
                .with_only_columns(Code.touchpoint_id)
                .distinct()
            )
        )
    no_survey = tuple(t for t in active if t.survey_id is None)
    no_code = tuple(t for t in active if t.id not in live)
    ready = sum(1 for t in active if t.survey_id is not None and t.id in live)
    return Readiness(len(active), ready, no_survey, no_code)


def touchpoint_campaigns(workspace_id: int, campaign_ids: list[int]) -> dict[int, int]:
    """{touchpoint id: campaign id} of every touchpoint of these campaigns, archived ones too (their answers count
    in the campaign's numbers)."""
    rows = db.session.execute(
        owned(Touchpoint, workspace_id, Touchpoint.campaign_id.in_(campaign_ids)).with_only_columns(
            Touchpoint.id, Touchpoint.campaign_id
        )
    )
    return {tp: campaign for tp, campaign in rows}
