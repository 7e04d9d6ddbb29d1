"""The workspace's points and thresholds as versions, and rescoring every contact from its score events.

Each saved change of the points or thresholds is a new `RulesVersion` (who, when, the values); the newest is the one
in force (`LeadSettings` holds its values for the scoring of new activities). Saving one recomputes, in the caller's
transaction, every score event's points with the new weights, every contact's score as the sum of its events, and the
score's stage (new, marketing-qualified, sales-ready) of every contact still at one of those stages; a lead that sales
took on (or that was won or lost) keeps its stage. Each stage the rescoring moves is recorded as a move by the score
(`stage_change`) and published like any other (`lead.qualified`, sales-ready alerts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback.auth.models import User
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.leads import services
from feedback.leads.models import (
    MAX_POINTS,
    MAX_THRESHOLD,
    SCORED_STAGES,
    Activity,
    Contact,
    LeadSettings,
    RulesVersion,
    ScoreEvent,
    Stage,
)
from feedback.tenancy import owned
from feedback.texts import Texts

_WHOLE = re.compile(r"[+-]?[0-9]{1,15}")


class RulesRefused(DomainError):
    """Points or thresholds that cannot be saved; `errors` maps each field (an activity, mql_at, sales_ready_at) to
    what is wrong with it. Nothing was changed."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def _whole(value: object) -> int | None:
    """A whole number given as int or as digits; None for anything else (fractions, words, booleans, NaN)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def check_rules(
    points: Mapping[str, object], mql_at: object, sales_ready_at: object
) -> tuple[dict[Activity, int], int, int]:
    """The points per activity (0 to MAX_POINTS), and the two thresholds (1 to MAX_THRESHOLD, marketing-qualified
    below sales-ready), or RulesRefused naming every field at fault. Activities left out are an error too.

    :raises RulesRefused: a value that is no whole number, negative, too large, or thresholds out of order.
    """
    errors: dict[str, str] = {}
    checked: dict[Activity, int] = {}
    for activity in Activity:
        number = _whole(points.get(activity.value))
        if number is None:
            errors[activity.value] = str(_l("Enter the points as a whole number (0 or more)."))
        elif number < 0:
            errors[activity.value] = str(_l("Points cannot be negative; give 0 for an activity that should not count."))
        elif number > MAX_POINTS:
            errors[activity.value] = str(_l("At most %(max)s points per activity.", max=f"{MAX_POINTS:,}"))
        else:
            checked[activity] = number
    thresholds: dict[str, int] = {}
    for field, value in (("mql_at", mql_at), ("sales_ready_at", sales_ready_at)):
        number = _whole(value)
        if number is None:
            errors[field] = str(_l("Enter the threshold as a whole number of points."))
        elif not 1 <= number <= MAX_THRESHOLD:
            errors[field] = str(_l("A threshold lies between 1 and %(max)s points.", max=f"{MAX_THRESHOLD:,}"))
        else:
            thresholds[field] = number
    if len(thresholds) == 2 and thresholds["mql_at"] >= thresholds["sales_ready_at"]:
        errors["sales_ready_at"] = str(_l("The sales-ready threshold must be above the marketing-qualified one."))
    if errors:
        raise RulesRefused(errors)
    return checked, thresholds["mql_at"], thresholds["sales_ready_at"]


@dataclass(frozen=True)
class Rescored:
    """What rescoring changed: contacts with another score, contacts moved to another stage."""

    contacts: int
    restaged: int


def rescore(workspace_id: int, rules: services.Rules, now: datetime) -> Rescored:
    """Recompute every contact's score from its score events with `rules`, and the score's stage of those still at
    new, marketing-qualified or sales-ready (each move recorded and published). The database does the sums; only
    the contacts whose stage moves are loaded. The caller commits.

    Events of an activity the rules do not know keep their points.
    """
    for activity, points in rules.points.items():
        db.session.execute(
            sa.update(ScoreEvent)
            .where(ScoreEvent.workspace_id == workspace_id, ScoreEvent.activity == activity.value)
            .where(ScoreEvent.points != points)
            .values(points=points)
            .execution_options(synchronize_session=False)
        )
    total = sa.func.coalesce(
        sa.select(sa.func.sum(ScoreEvent.points)).where(ScoreEvent.contact_id == Contact.id).scalar_subquery(), 0
    )
    changed = db.session.execute(
        sa.update(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.score != total)
        .values(score=total)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire_all()
    target = sa.case(
        (Contact.score >= rules.sales_ready_at, Stage.SALES_READY.value),
        (Contact.score >= rules.mql_at, Stage.MARKETING_QUALIFIED.value),
        else_=Stage.NEW.value,
    )
    moving = list(
        db.session.scalars(
            owned(Contact, workspace_id, Contact.stage.in_([s.value for s in SCORED_STAGES]), Contact.stage != target)
            .order_by(Contact.id)
            .with_for_update()
        )
    )
    for contact in moving:
        services.restage(contact, rules, now)
    return Rescored(contacts=max(changed or 0, 0), restaged=len(moving))


def save_version(
    workspace_id: int,
    points: Mapping[str, object],
    mql_at: object,
    sales_ready_at: object,
    user_id: int | None,
    now: datetime | None = None,
) -> RulesVersion:
    """Save points and thresholds as the workspace's next version and rescore every contact with them, all in the
    caller's transaction (the caller commits once; a rollback leaves everything as it was). Activities left out of
    `points` keep the points in force.

    :param user_id: the member who saves it
    :raises RulesRefused: see `check_rules`; nothing is changed.
    """
    now = now or utcnow()
    current = services.rules_for(workspace_id)
    wanted = {a.value: p for a, p in current.points.items()} | dict(points)
    checked, mql, sales_ready = check_rules(wanted, mql_at, sales_ready_at)
    settings = db.session.get(LeadSettings, workspace_id) or LeadSettings(workspace_id=workspace_id, purpose={})
    settings.points = json.dumps({a.value: p for a, p in checked.items()})
    settings.mql_at, settings.sales_ready_at = mql, sales_ready
    db.session.add(settings)
    db.session.flush()
    number = (
        db.session.scalar(sa.select(sa.func.max(RulesVersion.number)).where(RulesVersion.workspace_id == workspace_id))
        or 0
    ) + 1
    version = RulesVersion(
        workspace_id=workspace_id,
        number=number,
        points={a.value: p for a, p in checked.items()},
        mql_at=mql,
        sales_ready_at=sales_ready,
        saved_at=now,
        saved_by=user_id,
    )
    # the version first: two members saving at once collide on its number, and the second gets a 409
    db.session.add(version)
    db.session.flush()
    done = rescore(workspace_id, services.rules_for(workspace_id), now)
    version.rescored, version.restaged = done.contacts, done.restaged
    return version


def save_rules(
    workspace_id: int,
    points: Mapping[str, object],
    mql_at: object,
    sales_ready_at: object,
    purpose: Texts,
    user_id: int | None = None,
    now: datetime | None = None,
) -> RulesVersion:
    """Save the consent wording and a new version of the points and thresholds (see `save_version`)."""
    services.save_purpose(workspace_id, purpose)
    return save_version(workspace_id, points, mql_at, sales_ready_at, user_id, now)


@dataclass(frozen=True)
class VersionRow:
    """A saved version as the history lists it."""

    version: RulesVersion
    #: Who saved it ("" when nobody is known).
    saved_by: str
    current: bool


def history(workspace_id: int, limit: int = 50) -> list[VersionRow]:
    """The workspace's versions, newest (the one in force) first."""
    rows = db.session.execute(
        owned(RulesVersion, workspace_id)
        .add_columns(sa.func.coalesce(User.email, ""))
        .outerjoin(User, User.id == RulesVersion.saved_by)
        .order_by(RulesVersion.number.desc())
        .limit(limit)
    ).all()
    return [VersionRow(version, email, index == 0) for index, (version, email) in enumerate(rows)]
