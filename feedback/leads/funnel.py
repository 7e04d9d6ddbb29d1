"""The lead funnel of a campaign and of each of its touchpoints: the leads' paths read from their stage history,
counted by `analysis.funnel`.

A lead belongs to the touchpoint where it was first captured (as the ratings' lead numbers count it); a lead left
with an address another contact already held (`unconfirmed`) is not counted, as there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from feedback.analysis.funnel import Funnel, LeadPath, funnel
from feedback.extensions import db
from feedback.leads.models import Contact, Stage, StageChange
from feedback.touchpoints.models import Campaign, Touchpoint


@dataclass(frozen=True)
class CampaignFunnel:
    """The campaign's funnel and each touchpoint's (in the campaign's order, those without leads included)."""

    campaign: Campaign
    total: Funnel
    touchpoints: list[tuple[Touchpoint, Funnel]]


def _paths(
    workspace_id: int, touchpoint_ids: list[int], start: datetime | None, end: datetime | None
) -> dict[int, list[LeadPath]]:
    """Each counted lead's path, by touchpoint. The database filters and orders; one row per lead and per move."""
    if not touchpoint_ids:
        return {}
    counted = [
        Contact.workspace_id == workspace_id,
        Contact.touchpoint_id.in_(touchpoint_ids),
        Contact.unconfirmed.is_(False),
    ]
    if start is not None:
        counted.append(Contact.created_at >= start)
    if end is not None:
        counted.append(Contact.created_at < end)
    contacts = db.session.execute(
        sa.select(
            Contact.id,
            Contact.touchpoint_id,
            Contact.created_at,
            Contact.stage,
            Contact.stage_changed_at,
            Contact.order_value,
            Contact.lost_reason,
        ).where(*counted)
    ).all()
    moves: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for contact_id, stage, at in db.session.execute(
        sa.select(StageChange.contact_id, StageChange.to_stage, StageChange.changed_at)
        .join(Contact, Contact.id == StageChange.contact_id)
        .where(StageChange.workspace_id == workspace_id, *counted)
        .order_by(StageChange.contact_id, StageChange.changed_at, StageChange.id)
    ):
        moves[contact_id].append((stage, at))
    found: dict[int, list[LeadPath]] = defaultdict(list)
    for contact_id, touchpoint_id, created_at, stage, changed_at, value, reason in contacts:
        path = moves.get(contact_id, [])
        if (path[-1][0] if path else Stage.NEW.value) != stage:  # a move made before moves were recorded
            path = [*path, (stage, changed_at or created_at)]
        found[touchpoint_id].append(
            LeadPath(created_at, tuple(path), value if stage == Stage.WON.value else None, reason)
        )
    return found


def campaign_funnel(
    campaign: Campaign, touchpoints: list[Touchpoint], start: datetime | None = None, end: datetime | None = None
) -> CampaignFunnel:
    """The funnel of the leads the campaign's touchpoints brought in (captured from `start` until before `end`)."""
    paths = _paths(campaign.workspace_id, [tp.id for tp in touchpoints], start, end)
    return CampaignFunnel(
        campaign=campaign,
        total=funnel(path for tp in touchpoints for path in paths.get(tp.id, [])),
        touchpoints=[(tp, funnel(paths.get(tp.id, []))) for tp in touchpoints],
    )
