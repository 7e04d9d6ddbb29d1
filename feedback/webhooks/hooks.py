"""Wake the dispatcher after a commit that put events into the outbox (and never after a rollback)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.webhooks.delivery import wake_dispatchers


def _after_commit(session: Session) -> None:
    if session.info.pop("webhooks_wake", False):
        wake_dispatchers()


def _after_rollback(session: Session) -> None:
    session.info.pop("webhooks_wake", None)


def install() -> None:
    """Listen on every session (once per process)."""
    if not sa.event.contains(Session, "after_commit", _after_commit):
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_rollback", _after_rollback)
