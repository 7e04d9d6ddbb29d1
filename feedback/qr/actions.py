"""Landing actions: a click on a landing page's call, calendar, follow or main button goes through a redirect of
the service (`/t/<code>/go/<action>`), which records it and sends the phone on. Works without JavaScript.

The target always comes from the touchpoint's stored fields, never from the request, so the redirect cannot be
used to send people elsewhere. A click records what a scan records of the visit (visitor key, device class; no
address, no User-Agent); bots and team devices are recorded and marked, and no count includes them.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from feedback.qr.models import LandingAction, LandingActionKind
from feedback.qr.services import ResolvedCode, write_in_own_transaction
from feedback.qr.visitors import Visit
from feedback.touchpoints.landing import is_public_url
from feedback.touchpoints.models import Touchpoint

log = logging.getLogger(__name__)


def action_kind(text: str) -> LandingActionKind | None:
    """The action a link names, or None for anything else."""
    try:
        return LandingActionKind(text)
    except ValueError:
        return None


def action_target(touchpoint: Touchpoint, action: LandingActionKind, calendar_url: str) -> str | None:
    """Where the action's link leads, from the touchpoint's stored fields; None when the touchpoint has no such
    action (no phone number, no event, no profile or button link, or a stored link that is not a plain https one).

    :param calendar_url: the touchpoint's calendar entry (/t/<code>/event.ics), for the calendar action.
    """
    if action is LandingActionKind.CALL:
        return f"tel:{touchpoint.phone.replace(' ', '')}" if touchpoint.phone else None
    if action is LandingActionKind.CALENDAR:
        return calendar_url if touchpoint.has_event else None
    url = touchpoint.social_url if action is LandingActionKind.FOLLOW else touchpoint.cta_url
    return url if url and is_public_url(url) else None


def record_action(
    resolved: ResolvedCode, action: LandingActionKind, visit: Visit, team: bool, now: datetime
) -> int | None:
    """Store one click in its own short transaction; its id, or None when the write failed (logged: the visitor is
    sent on all the same).

    :param team: the device belongs to the workspace's team (recorded, never counted).
    """
    statement = (
        sa.insert(LandingAction)
        .values(
            workspace_id=resolved.code.workspace_id,
            touchpoint_id=resolved.touchpoint.id,
            code_id=resolved.code.id,
            action=action.value,
            clicked_at=now,
            visitor_key=visit.visitor_key,
            device_class=visit.device_class,
            is_bot=visit.is_bot,
            team=team,
        )
        .returning(LandingAction.id)
    )
    try:
        found = write_in_own_transaction(statement)
    except sa.exc.SQLAlchemyError:
        log.exception("landing action of code %s could not be stored", resolved.code.code)
        return None
    return int(found) if found is not None else None  # type: ignore[call-overload]
