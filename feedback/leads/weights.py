"""The counts behind the suggested weights: per activity, how many leads had it before they were won, and how many
of those were won (GROUP BY in the database), for `analysis.lead_weights`.

A lead left with an address another contact already held (`unconfirmed`) is not counted, as in the funnel; an
activity of a won lead counts only if it came before the win (a coupon redeemed after the purchase says nothing about
reaching it).
"""

from __future__ import annotations

import sqlalchemy as sa

from feedback.analysis.lead_weights import ActivityCount, WeightEvidence, suggest
from feedback.extensions import db
from feedback.leads.models import Activity, Contact, ScoreEvent, Stage


def weight_evidence(workspace_id: int) -> WeightEvidence:
    """How each activity relates to winning, over every counted lead of the workspace."""
    counted = (Contact.workspace_id == workspace_id, Contact.unconfirmed.is_(False))
    won = Contact.stage == Stage.WON.value
    leads, wins = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(won)).select_from(Contact).where(*counted)
    ).one()
    before_win = sa.or_(
        ~won, ScoreEvent.created_at <= sa.func.coalesce(Contact.stage_changed_at, ScoreEvent.created_at)
    )
    rows = db.session.execute(
        sa.select(
            ScoreEvent.activity,
            sa.func.count(sa.distinct(Contact.id)),
            sa.func.count(sa.distinct(Contact.id)).filter(won),
        )
        .join(Contact, Contact.id == ScoreEvent.contact_id)
        .where(ScoreEvent.workspace_id == workspace_id, *counted, before_win)
        .group_by(ScoreEvent.activity)
    ).all()
    found = {activity: (n, k) for activity, n, k in rows}
    counts = [ActivityCount(a.value, *found.get(a.value, (0, 0))) for a in Activity]
    return suggest(leads or 0, wins or 0, counts)
