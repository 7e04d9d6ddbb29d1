"""Wake the mail dispatchers after a commit that queued mails or alerts (and never after a rollback)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.notifications.outbox import WAKE, wake_dispatchers


def _after_commit(session: Session) -> None:
    if session.info.pop(WAKE, False):
        wake_dispatchers()


def _after_rollback(session: Session) -> None:
    session.info.pop(WAKE, None)


def install() -> None:
    """Listen on every session (once per process)."""
    if not sa.event.contains(Session, "after_commit", _after_commit):
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_rollback", _after_rollback)
