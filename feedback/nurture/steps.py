"""Building a workspace's nurture sequence (switched on or off, its threshold, its steps), and what each step did:
mails sent, reactions with their Wilson interval, and the sequences that stopped before it, by reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback.analysis import stats
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.nurture.models import (
    MAX_DELAY_DAYS,
    NurtureEnrolment,
    NurtureMail,
    NurtureSequence,
    NurtureStep,
    StopAt,
    StopReason,
)
from feedback.tenancy import get_owned, owned
from feedback.texts import Texts
from feedback.touchpoints.models import Campaign, Touchpoint

#: The longest subject and text of a step (per language).
SUBJECT_LENGTH, BODY_LENGTH = 200, 5000
#: The languages every step is written in (the mail goes out in the contact's language, else English).
STEP_LANGUAGES = ("de", "en")


class StepRefused(DomainError):
    """A step or setting that cannot be saved; `errors` maps fields to messages. Nothing was changed."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def sequence_of(workspace_id: int) -> NurtureSequence:
    """The workspace's sequence (a new, inactive one until it is first saved; not added to the session)."""
    return db.session.get(NurtureSequence, workspace_id) or NurtureSequence(
        workspace_id=workspace_id, active=False, stop_at=StopAt.SALES_READY.value
    )


def save_sequence(workspace_id: int, active: bool, stop_at: str, now: datetime) -> NurtureSequence:
    """Switch the sequence on or off and set its threshold. Switched on, contacts who leave their details from now
    on enter it. The caller commits.

    :raises StepRefused: an unknown threshold, or switching on a sequence without steps.
    """
    if stop_at not in {s.value for s in StopAt}:
        raise StepRefused({"stop_at": str(_l("Choose marketing-qualified or sales-ready."))})
    if active and not steps_of(workspace_id):
        raise StepRefused({"active": str(_l("Add a step before switching the nurture mails on."))})
    sequence = sequence_of(workspace_id)
    if active and not sequence.active:
        sequence.active_since = now
    sequence.active, sequence.stop_at, sequence.changed_at = active, stop_at, now
    db.session.add(sequence)
    return sequence


def steps_of(workspace_id: int) -> list[NurtureStep]:
    """The workspace's steps in order."""
    return list(db.session.scalars(owned(NurtureStep, workspace_id).order_by(NurtureStep.position, NurtureStep.id)))


def get_step(workspace_id: int, step_id: int) -> NurtureStep:
    """One step of the workspace or NotFound."""
    return get_owned(NurtureStep, workspace_id, step_id)


@dataclass(frozen=True)
class StepData:
    """What a member writes for a step."""

    delay_days: int | None
    subject: Texts
    body: Texts
    touchpoint_id: int | None


def touchpoint_choices(workspace_id: int) -> list[tuple[int, str]]:
    """The touchpoints a step can lead to (not archived), named with their campaign."""
    rows = db.session.execute(
        owned(Touchpoint, workspace_id, Touchpoint.archived_at.is_(None))
        .with_only_columns(Touchpoint.id, Touchpoint.name, Campaign.name)
        .join(Campaign, Campaign.id == Touchpoint.campaign_id)
        .where(Campaign.archived_at.is_(None))
        .order_by(Campaign.name, Touchpoint.name)
    ).all()
    return [(tp_id, f"{campaign} · {name}") for tp_id, name, campaign in rows]


def _checked(workspace_id: int, data: StepData) -> StepData:
    errors: dict[str, str] = {}
    if data.delay_days is None or not 0 <= data.delay_days <= MAX_DELAY_DAYS:
        errors["delay_days"] = str(_l("Give the days to wait as a whole number from 0 to %(max)s.", max=MAX_DELAY_DAYS))
    subject, body = data.subject.stripped(SUBJECT_LENGTH), data.body.stripped(BODY_LENGTH)
    missing = [lang for lang in STEP_LANGUAGES if not subject.get(lang)]
    if missing:
        errors["subject"] = str(_l("Write the subject in German and English."))
    if [lang for lang in STEP_LANGUAGES if not body.get(lang)]:
        errors["body"] = str(_l("Write the text in German and English."))
    if data.touchpoint_id is None or data.touchpoint_id not in dict(touchpoint_choices(workspace_id)):
        errors["touchpoint_id"] = str(_l("Choose the touchpoint the personal code leads to."))
    if errors:
        raise StepRefused(errors)
    return StepData(data.delay_days, subject, body, data.touchpoint_id)


def add_step(workspace_id: int, data: StepData, now: datetime) -> NurtureStep:
    """A new last step. The caller commits.

    :raises StepRefused: days out of range, a subject or text missing in German or English, no touchpoint.
    """
    data = _checked(workspace_id, data)
    last = db.session.scalar(
        sa.select(sa.func.max(NurtureStep.position)).where(NurtureStep.workspace_id == workspace_id)
    )
    step = NurtureStep(
        workspace_id=workspace_id,
        position=(last or 0) + 1,
        delay_days=data.delay_days,
        subject=data.subject.as_dict(),
        body=data.body.as_dict(),
        touchpoint_id=data.touchpoint_id,
        created_at=now,
    )
    db.session.add(step)
    return step


def change_step(step: NurtureStep, data: StepData) -> NurtureStep:
    """New days, texts or touchpoint for a step (mails already sent keep what they said). The caller commits.

    :raises StepRefused: as add_step.
    """
    data = _checked(step.workspace_id, data)
    if data.touchpoint_id != step.touchpoint_id:
        step.batch_id = None  # the personal codes of the new touchpoint go into a batch of their own
    step.delay_days, step.touchpoint_id = data.delay_days, data.touchpoint_id
    step.subject, step.body = data.subject.as_dict(), data.body.as_dict()
    return step


def remove_step(step: NurtureStep) -> None:
    """Delete a step that no mail was sent for. The caller commits.

    :raises StepRefused: mails of the step were sent (they and their reactions stay counted).
    """
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(NurtureMail).where(NurtureMail.step_id == step.id))
    if sent:
        raise StepRefused({"step": str(_l("Mails of this step were sent, so it stays; change its text instead."))})
    db.session.delete(step)


@dataclass(frozen=True)
class StepStats:
    """What one step did."""

    step: NurtureStep
    sent: int
    #: Mails whose personal code a person opened, of those sent (Wilson 95 %).
    reacted: stats.Proportion
    #: Sequences that stopped with this step next, by StopReason.
    stopped: dict[str, int] = field(default_factory=dict)


def step_stats(workspace_id: int) -> list[StepStats]:
    """Per step, in order: mails sent, reactions with their interval, and stops by reason (GROUP BY queries)."""
    sent = {
        step_id: (n, reacted)
        for step_id, n, reacted in db.session.execute(
            sa.select(NurtureMail.step_id, sa.func.count(), sa.func.count(NurtureMail.reacted_at))
            .where(NurtureMail.workspace_id == workspace_id)
            .group_by(NurtureMail.step_id)
        )
    }
    stopped: dict[int, dict[str, int]] = {}
    for step_id, reason, n in db.session.execute(
        sa.select(NurtureEnrolment.stopped_before, NurtureEnrolment.stop_reason, sa.func.count())
        .where(NurtureEnrolment.workspace_id == workspace_id, NurtureEnrolment.stopped_at.is_not(None))
        .group_by(NurtureEnrolment.stopped_before, NurtureEnrolment.stop_reason)
    ):
        if step_id is not None:
            stopped.setdefault(step_id, {})[reason] = n
    return [
        StepStats(
            step,
            sent.get(step.id, (0, 0))[0],
            stats.wilson(sent.get(step.id, (0, 0))[1], sent.get(step.id, (0, 0))[0]),
            {reason.value: stopped.get(step.id, {}).get(reason.value, 0) for reason in StopReason},
        )
        for step in steps_of(workspace_id)
    ]
