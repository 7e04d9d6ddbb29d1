"""Moving a lead through the funnel: the moves people and sales systems make, the ones the score makes, and the
history of every move (`StageChange`), from which the funnel's times per stage are read.

The score moves a lead among the marketing stages (new, marketing-qualified, sales-ready). A member in the
dashboard or a sales system through the API moves it on: sales-accepted, sales-qualified, then won (with the order
value) or lost (with a reason). A lost lead can be reopened (back to sales-accepted); a won one is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from feedback import events
from feedback.errors import DomainError
from feedback.events import LeadStageChanged
from feedback.extensions import db
from feedback.leads.models import (
    SCORED_STAGES,
    ChangedBy,
    Contact,
    LostReason,
    Stage,
    StageChange,
)
from feedback.tenancy import get_owned, owned

#: The largest order value a won lead can carry (the column holds 12 digits, two of them decimals).
MAX_WON_VALUE = Decimal("9999999999.99")
NOTE_LENGTH = 500

#: Where people and sales systems may move a lead from each stage.
MOVES: dict[Stage, frozenset[Stage]] = {
    Stage.NEW: frozenset({Stage.SALES_ACCEPTED, Stage.LOST}),
    Stage.MARKETING_QUALIFIED: frozenset({Stage.SALES_ACCEPTED, Stage.LOST}),
    Stage.SALES_READY: frozenset({Stage.SALES_ACCEPTED, Stage.LOST}),
    Stage.SALES_ACCEPTED: frozenset({Stage.SALES_QUALIFIED, Stage.LOST}),
    Stage.SALES_QUALIFIED: frozenset({Stage.WON, Stage.LOST}),
    Stage.LOST: frozenset({Stage.SALES_ACCEPTED}),
    Stage.WON: frozenset(),
}

#: The order the stages are listed in (pages, the API's documentation).
ORDER = (
    Stage.NEW,
    Stage.MARKETING_QUALIFIED,
    Stage.SALES_READY,
    Stage.SALES_ACCEPTED,
    Stage.SALES_QUALIFIED,
    Stage.WON,
    Stage.LOST,
)


class StageRefused(DomainError):
    """A move the funnel does not allow, or one without what it needs; nothing was changed. `field` names the
    input at fault (stage, reason, order_value) for forms and the API."""

    status = 422

    def __init__(self, field: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        if status is not None:
            self.status = status


@dataclass(frozen=True)
class Move:
    """What a member or a sales system asks for: the stage, and a win's order value or a loss's reason and note."""

    stage: str
    order_value: Decimal | None = None
    reason: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Mover:
    """Who moves the lead: a member (user_id) in the dashboard, or an API token."""

    by: ChangedBy
    user_id: int | None = None
    api_token_id: int | None = None


def _order_value(value: Decimal | str | None) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise StageRefused("order_value", str(_l("A won lead needs its order value (0 or more).")))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount > MAX_WON_VALUE or amount != amount.quantize(Decimal("0.01")):
        raise StageRefused(
            "order_value",
            str(
                _l(
                    "Enter an order value between 0 and %(max)s with at most two decimals.",
                    max=f"{MAX_WON_VALUE:,.2f}",
                )
            ),
        )
    return amount.quantize(Decimal("0.01"))


def _reason(reason: str | None, note: str) -> str:
    if not reason:
        raise StageRefused("reason", str(_l("A lost lead needs a reason.")))
    if reason not in {r.value for r in LostReason}:
        raise StageRefused("reason", str(_l("This is not one of the reasons a lead can be lost for.")))
    if reason == LostReason.OTHER.value and not note:
        raise StageRefused("reason", str(_l("Say in the note why the lead was lost.")))
    return reason


def check_move(contact: Contact, move: Move) -> Move:
    """The move as it will be made (order value rounded to the cent, note trimmed), or StageRefused saying why not.

    :raises StageRefused: an unknown stage, a stage only the score sets, a move the funnel does not allow from the
        lead's stage, a win without a valid order value, a loss without a reason (a note for "other").
    """
    try:
        target = Stage(move.stage)
    except ValueError:
        raise StageRefused("stage", str(_l("There is no stage “%(stage)s”.", stage=move.stage[:40]))) from None
    current = Stage(contact.stage)
    note = " ".join((move.note or "").split())[:NOTE_LENGTH]
    if target in SCORED_STAGES:
        raise StageRefused(
            "stage",
            str(
                _l(
                    "New, marketing-qualified and sales-ready follow the lead score; a lead can be moved to sales-"
                    "accepted, sales-qualified, won or lost."
                )
            ),
        )
    if target not in MOVES[current]:
        if current is Stage.WON:
            message = _l("This lead is won; a won lead stays won.")
        elif target is Stage.WON:
            message = _l("Only a sales-qualified lead can be won; move it to sales-qualified first.")
        elif target is Stage.SALES_QUALIFIED:
            message = _l("Only a sales-accepted lead can become sales-qualified; move it to sales-accepted first.")
        else:
            message = _l("A lead cannot move from this stage to that one.")
        raise StageRefused("stage", str(message), 409)
    if target is Stage.WON:
        return Move(target.value, order_value=_order_value(move.order_value))
    if target is Stage.LOST:
        return Move(target.value, reason=_reason(move.reason, note), note=note)
    return Move(target.value)


def move_stage(workspace_id: int, contact_id: int, move: Move, mover: Mover, now: datetime) -> Contact:
    """Move a contact of the workspace to another stage, record the move and tell the subscribers
    (`contact.stage_changed`). Asked again for the stage it is at with the same values (a sales system's retry),
    nothing changes. The caller commits.

    :param move: the stage with a win's order value or a loss's reason (and note)
    :param mover: who moves it, for the history
    :raises NotFound: no such contact in the workspace.
    :raises StageRefused: see `check_move`; nothing is changed.
    """
    contact = get_owned(Contact, workspace_id, contact_id)
    if _repeated(contact, move):
        return contact
    checked = check_move(contact, move)
    previous = contact.stage
    contact.stage = checked.stage
    contact.stage_changed_at = now
    contact.order_value = checked.order_value
    contact.lost_reason = checked.reason
    contact.lost_note = checked.note
    record(contact, previous, mover, now)
    return contact


def _repeated(contact: Contact, move: Move) -> bool:
    """The lead is at this stage already, with the same order value or reason (a retry changes nothing)."""
    if move.stage != contact.stage or move.stage in {s.value for s in SCORED_STAGES}:
        return False
    if move.stage == Stage.WON.value:
        try:
            return _order_value(move.order_value) == contact.order_value
        except StageRefused:
            return False
    if move.stage == Stage.LOST.value:
        note = " ".join((move.note or "").split())[:NOTE_LENGTH]
        return move.reason == contact.lost_reason and note == contact.lost_note
    return True


def record(contact: Contact, previous: str, mover: Mover, now: datetime) -> None:
    """Write the history row of a move the contact has just made and publish it (`LeadStageChanged`)."""
    db.session.add(
        StageChange(
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            from_stage=previous,
            to_stage=contact.stage,
            changed_at=now,
            changed_by=mover.by.value,
            user_id=mover.user_id,
            api_token_id=mover.api_token_id,
            order_value=contact.order_value,
            lost_reason=contact.lost_reason,
            lost_note=contact.lost_note or "",
        )
    )
    if contact.unconfirmed:  # no CRM hears of an address nobody confirmed (it may be someone else's)
        return
    rose = _rank(Stage(contact.stage)) > _rank(Stage(previous))
    events.publish(
        LeadStageChanged(contact.workspace_id, contact.id, previous, contact.stage, rose, now, mover.by.value)
    )


def _rank(stage: Stage) -> int:
    """Lost ranks with new: a lost lead went nowhere."""
    return 0 if stage is Stage.LOST else ORDER.index(stage)


def stage_history(contact: Contact) -> list[StageChange]:
    """Every move of the contact's stage, oldest first."""
    return list(
        db.session.scalars(
            owned(StageChange, contact.workspace_id, StageChange.contact_id == contact.id).order_by(
                StageChange.changed_at, StageChange.id
            )
        )
    )


def allowed_moves(contact: Contact) -> list[Stage]:
    """The stages a member may move the contact to now, in funnel order."""
    return [stage for stage in ORDER if stage in MOVES[Stage(contact.stage)]]

