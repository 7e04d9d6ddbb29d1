"""Saved segments of a workspace and the reading of a page's or request's segment (analysis/segments.py) against
the questions a campaign asks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from feedback.analysis.models import SavedSegment
from feedback.analysis.segments import MAX_NAME, QueryArgs, Segment, parse_conditions, read_segment
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.surveys.models import Survey
from feedback.surveys.questions import CHOICE_TYPES, SCALES, QuestionSpec
from feedback.tenancy import get_owned, owned
from feedback.touchpoints.models import Campaign, Touchpoint

#: Saved segments per workspace at most.
MAX_SAVED = 100


class SegmentRefused(DomainError):
    """A segment that cannot be saved (no name, a name in use, nothing chosen, too many)."""


class SegmentNotUsable(DomainError):
    """A download or API read asked for a segment with a condition that names nothing: refused, not widened."""

    status = 422


def segment_questions(workspace_id: int, campaign: Campaign | None = None) -> list[QuestionSpec]:
    """The choice and scale questions a segment may ask about: those of the surveys the campaign's touchpoints (and
    the campaign) use now, or of every survey of the workspace; the first survey using a key defines it."""
    surveys = owned(Survey, workspace_id).order_by(Survey.id)
    if campaign is not None:
        used = sa.select(Touchpoint.survey_id).where(
            Touchpoint.workspace_id == workspace_id, Touchpoint.campaign_id == campaign.id
        )
        surveys = surveys.where(sa.or_(Survey.id.in_(used), Survey.id == campaign.survey_id))
    found: dict[str, QuestionSpec] = {}
    for survey in db.session.scalars(surveys):
        for spec in survey.current.specs() if survey.versions else []:
            if spec.type in CHOICE_TYPES or spec.type in SCALES:
                found.setdefault(spec.key, spec)
    return list(found.values())


def _saved(workspace_id: int) -> Any:  # noqa: ANN401 - a SavedSegments callable
    def find(segment_id: int) -> Segment | None:
        row = db.session.scalar(owned(SavedSegment, workspace_id, SavedSegment.id == segment_id))
        return None if row is None else as_segment(row)

    return find


def as_segment(row: SavedSegment) -> Segment:
    """A saved segment's conditions (taken as written: see `parse_conditions`)."""
    conditions = parse_conditions(row.conditions or {}, None, [])
    return Segment(**{**conditions.__dict__, "saved_id": row.id, "name": row.name})


def read_campaign_segment(args: QueryArgs, campaign: Campaign) -> tuple[Segment, list[str]]:
    """The segment of a request about one campaign, and why any part of it was ignored."""
    return read_segment(args, segment_questions(campaign.workspace_id, campaign), _saved(campaign.workspace_id))


def read_workspace_segment(args: QueryArgs, workspace_id: int) -> tuple[Segment, list[str]]:
    """The segment of a request about every campaign of a workspace."""
    return read_segment(args, segment_questions(workspace_id), _saved(workspace_id))


def strict_segment(args: QueryArgs | Mapping[str, Any], workspace_id: int, campaign: Campaign | None) -> Segment:
    """The segment of a download or API read about a campaign (or every campaign of the workspace).

    :raises SegmentNotUsable: a condition that cannot be used (the reasons joined).
    """
    questions = segment_questions(workspace_id, campaign)
    segment, problems = read_segment(args, questions, _saved(workspace_id))
    if problems:
        raise SegmentNotUsable(" ".join(problems))
    return segment


def saved_segments(workspace_id: int) -> list[SavedSegment]:
    """The workspace's saved segments by name."""
    return list(db.session.scalars(owned(SavedSegment, workspace_id).order_by(sa.func.lower(SavedSegment.name))))


def save_segment(workspace_id: int, user_id: int | None, name: str, segment: Segment) -> SavedSegment:
    """Save the conditions under a name (flushed, not committed).

    :raises SegmentRefused: no name, a name the workspace uses already, no condition, or too many saved.
    """
    name = " ".join("".join(c for c in name if c.isprintable()).split())
    if not name:
        raise SegmentRefused(str(_l("Give the segment a name.")))
    if len(name) > MAX_NAME:
        raise SegmentRefused(str(_l("A segment's name has at most %(n)d characters.", n=MAX_NAME)))
    if not segment.active:
        raise SegmentRefused(str(_l("Choose at least one condition before saving a segment.")))
    taken = {row.name.casefold() for row in saved_segments(workspace_id)}
    if name.casefold() in taken:
        raise SegmentRefused(str(_l("A segment named “%(name)s” exists already.", name=name)))
    if len(taken) >= MAX_SAVED:
        raise SegmentRefused(str(_l("A workspace keeps at most %(n)d segments; delete one first.", n=MAX_SAVED)))
    row = SavedSegment(
        workspace_id=workspace_id, name=name, conditions=segment.document(), created_at=utcnow(), created_by_id=user_id
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # saved under the same name at the same moment
        raise SegmentRefused(str(_l("A segment named “%(name)s” exists already.", name=name))) from None
    return row


def delete_segment(workspace_id: int, segment_id: int) -> None:
    """Delete a saved segment of the workspace (NotFound for another workspace's or an unknown id)."""
    db.session.delete(get_owned(SavedSegment, workspace_id, segment_id))
