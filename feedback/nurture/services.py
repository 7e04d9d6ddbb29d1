"""Running the nurture sequence: who gets which step when, the stops, the personal codes, the reactions.

A contact enters a workspace's active sequence when they left their details after it was switched on, consented
(every contact did), own their address (not `unconfirmed`), have an e-mail address, stand at a nurtured stage (new,
and marketing-qualified unless the sequence stops there) and score below the sequence's threshold. Step 1 is due
`delay_days` after the contact was captured, each later step `delay_days` after the previous step's mail.

At send time (`run_due`) each contact is checked again; a contact who unsubscribed, reached the threshold or was
moved to another stage gets no further mail and the stop is recorded with its reason and the step it came before.
The same stops are recorded at once when they happen (a stage change, the stop link), and the contact's mails
still waiting in the outbox are cancelled. Every mail carries a personal code of the step's touchpoint (a mailing
batch per step, one code per contact); `record_reactions` turns the first scan of it by a person (not a bot or a
link checker, not the team) into the activity `nurture_reaction` of the contact, which scores like any other.
Each step is written at most once per contact (a unique row, and the mail's dedupe key), however many runs overlap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from feedback.auth.models import Workspace
from feedback.events import Bus, ContactErased, LeadStageChanged
from feedback.extensions import db
from feedback.leads import services as leads
from feedback.leads.models import SCORED_STAGES, Activity, Contact, Stage
from feedback.notifications import outbox
from feedback.notifications.links import absolute_url
from feedback.notifications.models import Mail, MailStatus, Topic
from feedback.nurture import compose
from feedback.nurture.models import (
    NurtureEnrolment,
    NurtureMail,
    NurtureSequence,
    NurtureStep,
    StopAt,
    StopReason,
)
from feedback.nurture.steps import steps_of
from feedback.qr import personal
from feedback.qr.models import CodeBatch, Scan, ScanOutcome
from feedback.touchpoints.models import Touchpoint

log = logging.getLogger(__name__)

STOP_SALT = "feedback.nurture.stop"
#: Contacts looked at, and reactions recorded, per round of a run.
BATCH = 200


# --- who is nurtured --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Up to where a workspace nurtures: the stages it mails and the score that ends it."""

    stages: frozenset[str]
    threshold: int

    def holds(self, stage: str, score: int) -> bool:
        """Whether a contact at this stage and score is still nurtured."""
        return stage in self.stages and score < self.threshold

    def reason(self, stage: str, score: int) -> StopReason:
        """Why a contact no longer is: its score reached the threshold, or it was moved out of the stages."""
        if score >= self.threshold and stage in {s.value for s in SCORED_STAGES}:
            return StopReason.REACHED_THRESHOLD
        return StopReason.STAGE_CHANGED


def limits_of(sequence: NurtureSequence) -> Limits:
    """The stages and the threshold of a workspace's sequence with its scoring rules in force."""
    rules = leads.rules_for(sequence.workspace_id)
    if sequence.stop_at == StopAt.MARKETING_QUALIFIED.value:
        return Limits(frozenset({Stage.NEW.value}), rules.mql_at)
    return Limits(frozenset({Stage.NEW.value, Stage.MARKETING_QUALIFIED.value}), rules.sales_ready_at)


def _next_step(
    steps: list[NurtureStep], mailed: dict[int, datetime], entered: datetime
) -> tuple[NurtureStep, datetime] | None:
    """The step a contact gets next and when it is due; None after the last step."""
    last_position, last_at = None, entered
    for step in steps:
        if step.id in mailed:
            last_position, last_at = step.position, mailed[step.id]
    for step in steps:
        if step.id not in mailed and (last_position is None or step.position > last_position):
            return step, last_at + timedelta(days=step.delay_days)
    return None


def _mailed(contact_ids: list[int]) -> dict[int, dict[int, datetime]]:
    """Per contact: step id → when its mail was written."""
    found: dict[int, dict[int, datetime]] = {}
    if contact_ids:
        for contact_id, step_id, sent_at in db.session.execute(
            sa.select(NurtureMail.contact_id, NurtureMail.step_id, NurtureMail.sent_at).where(
                NurtureMail.contact_id.in_(contact_ids)
            )
        ):
            found.setdefault(contact_id, {})[step_id] = sent_at
    return found


# --- stops -------------------------------------------------------------------------------------------------------


def stop(contact: Contact, reason: StopReason, now: datetime, steps: list[NurtureStep] | None = None) -> bool:
    """End the contact's sequence for `reason` (recording the step it came before) and cancel its nurture mails
    still waiting in the outbox; False when it had ended already or never began. The caller commits."""
    enrolment = db.session.get(NurtureEnrolment, contact.id)
    if enrolment is None or enrolment.stopped_at is not None:
        return False
    steps = steps if steps is not None else steps_of(contact.workspace_id)
    upcoming = _next_step(steps, _mailed([contact.id]).get(contact.id, {}), enrolment.entered_at)
    enrolment.stopped_at, enrolment.stop_reason = now, reason.value
    enrolment.stopped_before = upcoming[0].id if upcoming else None
    db.session.execute(
        sa.update(Mail)
        .where(
            Mail.contact_id == contact.id,
            Mail.workspace_id == contact.workspace_id,
            Mail.topic == Topic.NURTURE.value,
            Mail.status == MailStatus.PENDING.value,
        )
        .values(
            status=MailStatus.CANCELLED.value, last_error=f"not sent: the nurture sequence stopped ({reason.value})"
        )
        .execution_options(synchronize_session=False)
    )
    return True


def _stage_changed(event: LeadStageChanged) -> None:
    """A lead that left the nurtured stages, or whose score reached the threshold, gets no further nurture mail."""
    sequence = db.session.get(NurtureSequence, event.workspace_id)
    contact = db.session.get(Contact, event.contact_id)
    if sequence is None or contact is None:
        return
    limits = limits_of(sequence)
    if not limits.holds(contact.stage, contact.score):
        stop(contact, limits.reason(contact.stage, contact.score), event.at)


def _contact_erased(event: ContactErased) -> None:
    """An erased contact's nurture mails are cancelled if waiting, and emptied of their address and personal link."""
    mine = (Mail.contact_id == event.contact_id, Mail.workspace_id == event.workspace_id)
    db.session.execute(
        sa.update(Mail)
        .where(*mine, Mail.status == MailStatus.PENDING.value)
        .values(status=MailStatus.CANCELLED.value, last_error="not sent: the contact was erased")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Mail)
        .where(*mine)
        .values(to_address="", text_body="", html_body="", list_unsubscribe="")
        .execution_options(synchronize_session=False)
    )


def subscribe(bus: Bus) -> None:
    """Stops on stage changes; erasure."""
    bus.subscribe(LeadStageChanged, _stage_changed)
    bus.subscribe(ContactErased, _contact_erased)


# --- the stop link -------------------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=STOP_SALT)


def stop_token(workspace_id: int, contact_id: int) -> str:
    """A signed token naming one contact of one workspace (it never expires: an old mail's link must still work)."""
    return _serializer().dumps([workspace_id, contact_id])


def contact_of_token(token: str) -> Contact | None:
    """The contact a stop token names, while it exists; None for a changed token."""
    try:
        workspace_id, contact_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(workspace_id, int) or not isinstance(contact_id, int):
        return None
    contact = db.session.get(Contact, contact_id)
    return contact if contact is not None and contact.workspace_id == workspace_id else None


def brand_of_token(token: str) -> str | None:
    """The name of the workspace whose mails a stop token stops; None for a changed token or an erased contact."""
    contact = contact_of_token(token)
    workspace = db.session.get(Workspace, contact.workspace_id) if contact is not None else None
    return workspace.name if workspace is not None else None


def unsubscribe(token: str, now: datetime) -> Contact | None:
    """Stop the nurture mails of the contact the token names (again: nothing changes); None for a bad token or an
    erased contact. The caller commits."""
    contact = contact_of_token(token)
    if contact is None:
        return None
    if db.session.get(NurtureEnrolment, contact.id) is None:  # a link from a mail whose rows were reset
        db.session.add(NurtureEnrolment(contact_id=contact.id, workspace_id=contact.workspace_id, entered_at=now))
        db.session.flush()
    stop(contact, StopReason.UNSUBSCRIBED, now)
    return contact


def stop_url(workspace_id: int, contact_id: int) -> str:
    """The stop link of a contact's mails."""
    return absolute_url("nurture_stop.page", token=stop_token(workspace_id, contact_id))


# --- reactions ---------------------------------------------------------------------------------------------------


def record_reactions(now: datetime) -> int:
    """Turn each first scan of a nurture mail's personal code by a person into the activity `nurture_reaction` of
    its contact (scored once per mail, stage moved as the score says); how many."""
    recorded = 0
    while True:
        first = (
            sa.select(NurtureMail.id, sa.func.min(Scan.scanned_at))
            .join(Scan, Scan.code_id == NurtureMail.code_id)
            .where(NurtureMail.reacted_at.is_(None), NurtureMail.code_id.is_not(None))
            .where(Scan.workspace_id == NurtureMail.workspace_id, Scan.is_bot.is_(False))
            .where(Scan.outcome == ScanOutcome.OK.value, Scan.scanned_at >= NurtureMail.sent_at, Scan.scanned_at <= now)
            .group_by(NurtureMail.id)
            .order_by(NurtureMail.id)
            .limit(BATCH)
        )
        found = db.session.execute(first).all()
        db.session.rollback()
        for mail_id, at in found:
            recorded += _react(mail_id, at)
        if len(found) < BATCH:
            return recorded


def _react(mail_id: int, at: datetime) -> int:
    db.session.connection(execution_options={"sqlite_immediate": True})
    mail = db.session.get(NurtureMail, mail_id)
    contact = db.session.get(Contact, mail.contact_id) if mail is not None else None
    if mail is None or contact is None or mail.reacted_at is not None:
        db.session.rollback()
        return 0
    mail.reacted_at = at
    step = db.session.get(NurtureStep, mail.step_id)
    leads.score_activity(
        contact, Activity.NURTURE_REACTION, f"nurture:{mail.id}", step.touchpoint_id if step else None, at
    )
    db.session.commit()
    return 1


# --- sending -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NurtureRun:
    """What one run did."""

    reactions: int
    mails: int
    stopped: int


def run_due(now: datetime) -> NurtureRun:
    """Record reactions, then write every due step of every active sequence (stopping who no longer qualifies)."""
    reactions = record_reactions(now)
    mails = stopped = 0
    workspace_ids = list(
        db.session.scalars(sa.select(NurtureSequence.workspace_id).where(NurtureSequence.active.is_(True)))
    )
    db.session.rollback()
    for workspace_id in workspace_ids:
        sent, ended = _run_workspace(workspace_id, now)
        mails, stopped = mails + sent, stopped + ended
    return NurtureRun(reactions, mails, stopped)


def _stop_the_departed(sequence: NurtureSequence, limits: Limits, steps: list[NurtureStep], now: datetime) -> int:
    """Send-time check of the contacts in the sequence: those no longer nurtured are stopped with their reason."""
    departed = list(
        db.session.scalars(
            sa.select(Contact)
            .join(NurtureEnrolment, NurtureEnrolment.contact_id == Contact.id)
            .where(NurtureEnrolment.workspace_id == sequence.workspace_id, NurtureEnrolment.stopped_at.is_(None))
            .where(sa.or_(Contact.stage.not_in(sorted(limits.stages)), Contact.score >= limits.threshold))
        )
    )
    for contact in departed:
        stop(contact, limits.reason(contact.stage, contact.score), now, steps)
    db.session.commit()
    return len(departed)


def _candidates(sequence: NurtureSequence, limits: Limits, after: int) -> list[Contact]:
    """The next contacts (by id) who may be nurtured now: not stopped, and every condition of the module's doc."""
    stopped = sa.select(NurtureEnrolment.contact_id).where(
        NurtureEnrolment.contact_id == Contact.id, NurtureEnrolment.stopped_at.is_not(None)
    )
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(Contact.workspace_id == sequence.workspace_id, Contact.id > after)
            .where(Contact.unconfirmed.is_(False), Contact.email != "")
            .where(Contact.stage.in_(sorted(limits.stages)), Contact.score < limits.threshold)
            .where(Contact.created_at >= sequence.active_since, ~sa.exists(stopped))
            .order_by(Contact.id)
            .limit(BATCH)
        )
    )


def _run_workspace(workspace_id: int, now: datetime) -> tuple[int, int]:
    sequence = db.session.get(NurtureSequence, workspace_id)
    steps = steps_of(workspace_id)
    if sequence is None or not sequence.active or sequence.active_since is None or not steps:
        db.session.rollback()
        return 0, 0
    limits = limits_of(sequence)
    stopped = _stop_the_departed(sequence, limits, steps, now)
    sent, after = 0, 0
    while True:
        sequence = db.session.get(NurtureSequence, workspace_id)
        assert sequence is not None
        contacts = _candidates(sequence, limits, after)
        mailed = _mailed([c.id for c in contacts])
        due = []
        for contact in contacts:
            upcoming = _next_step(steps, mailed.get(contact.id, {}), contact.created_at)
            if upcoming is not None and upcoming[1] <= now:
                due.append((contact.id, upcoming[0].id))
        after = contacts[-1].id if contacts else after
        db.session.rollback()
        for contact_id, step_id in due:
            sent += _send(workspace_id, contact_id, step_id, now)
        if len(contacts) < BATCH:
            return sent, stopped


def _send(workspace_id: int, contact_id: int, step_id: int, now: datetime) -> int:
    """Write one step's mail to one contact, checking every condition again in the writing transaction; 1 when
    written, 0 when the contact no longer qualifies or another run wrote it first."""
    db.session.connection(execution_options={"sqlite_immediate": True})
    sequence = db.session.get(NurtureSequence, workspace_id)
    contact = db.session.get(Contact, contact_id)
    step = db.session.get(NurtureStep, step_id)
    workspace = db.session.get(Workspace, workspace_id)
    touchpoint = db.session.get(Touchpoint, step.touchpoint_id) if step and step.touchpoint_id else None
    ready = sequence is not None and sequence.active and contact is not None and step is not None
    if not ready or workspace is None or touchpoint is None or touchpoint.archived_at is not None:
        db.session.rollback()
        return 0
    assert contact is not None and step is not None and sequence is not None
    limits = limits_of(sequence)
    enrolment = db.session.get(NurtureEnrolment, contact.id)
    if enrolment is not None and enrolment.stopped_at is not None:
        db.session.rollback()
        return 0
    if not limits.holds(contact.stage, contact.score):
        stop(contact, limits.reason(contact.stage, contact.score), now)
        db.session.commit()
        return 0
    if enrolment is None:
        db.session.add(
            NurtureEnrolment(contact_id=contact.id, workspace_id=workspace_id, entered_at=contact.created_at)
        )
    try:
        _write(workspace, sequence, contact, step, touchpoint, now)
        db.session.commit()
    except IntegrityError:  # another run wrote this step for this contact meanwhile
        db.session.rollback()
        return 0
    except ValueError as error:  # an address the mail server cannot take: tried again next run, and logged
        db.session.rollback()
        log.warning("nurture mail of step %s to contact %s not written: %s", step_id, contact_id, error)
        return 0
    return 1


def _write(
    workspace: Workspace,
    sequence: NurtureSequence,
    contact: Contact,
    step: NurtureStep,
    touchpoint: Touchpoint,
    now: datetime,
) -> None:
    """The personal code, the mail in the outbox and the row that says it was written (the caller commits)."""
    batch = db.session.get(CodeBatch, step.batch_id) if step.batch_id else None
    code = personal.add_to_batch(touchpoint, batch, compose.batch_name(step), f"nurture-{step.id}-{contact.id}", now)
    step.batch_id = code.batch_id
    link = absolute_url("respondent.scan", raw=code.code)
    unsubscribe = stop_url(workspace.id, contact.id)
    rendered = compose.step_mail(step, contact, workspace, link, code.code, unsubscribe)
    mail = outbox.queue_mail(
        to=contact.email,
        topic=Topic.NURTURE.value,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        locale=rendered.language,
        now=now,
        workspace_id=workspace.id,
        dedupe_key=f"nurture:{step.id}:{contact.id}",
        contact_id=contact.id,
        list_unsubscribe=unsubscribe,
    )
    db.session.flush()
    db.session.add(
        NurtureMail(
            workspace_id=workspace.id,
            contact_id=contact.id,
            step_id=step.id,
            mail_id=mail.id,
            code_id=code.id,
            sent_at=now,
        )
    )
    db.session.flush()
