"""Reads that may go to a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`): dashboard analysis, downloads and
the API's read endpoints. Writes, sign-in, access checks and the respondent flow always use the primary.

A request that may read from the replica asks `reads()` first: the replica is used only when it answers and its
replay is at most `REPLICA_MAX_LAG_SECONDS` behind the primary (checked at most once a second per process); else
the request reads from the primary, and the page says so. Inside, the session sends SELECTs (not flushes) to the
replica, and `read_engine()` gives the engine for the analysis code that opens its own connections."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask_sqlalchemy.session import Session
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: The replica engine while this context reads from it.
_reading: contextvars.ContextVar[Engine | None] = contextvars.ContextVar("feedback_replica_reads", default=None)
CHECK_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class State:
    """What the last check found: whether reads go to the replica, how far behind it is, and why not."""

    used: bool
    lag_seconds: float | None = None
    #: "" (used), "down" (does not answer) or "behind" (more than the limit behind).
    reason: str = ""
    limit_seconds: float = 0.0


class Replica:
    """The replica's engine and the cached answer to "may reads go there now?"."""

    def __init__(self, url: str, max_lag: float, options: dict[str, Any]) -> None:
        self.engine = sa.create_engine(url, **options)
        self.max_lag = max_lag
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._state = State(False, reason="down", limit_seconds=max_lag)

    def state(self, primary: Engine) -> State:
        """The state, checked again when the last check is older than a second."""
        with self._lock:
            if time.monotonic() - self._checked_at < CHECK_EVERY_SECONDS:
                return self._state
        found = self._check(primary)
        with self._lock:
            self._state, self._checked_at = found, time.monotonic()
        return found

    def _check(self, primary: Engine) -> State:
        """Compare the replica's replayed WAL position with the primary's current one; when they differ, the lag is
        the time since the last replayed transaction."""
        try:
            with self.engine.connect() as connection:
                replayed, lag = connection.execute(
                    sa.text(
                        "SELECT pg_last_wal_replay_lsn(), "
                        "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
                    )
                ).one()
        except sa.exc.SQLAlchemyError as error:
            log.warning("replica does not answer, reading from the primary: %s", type(error).__name__)
            return State(False, reason="down", limit_seconds=self.max_lag)
        with primary.connect() as connection:
            current, caught_up = connection.execute(
                sa.text("SELECT pg_current_wal_lsn(), pg_current_wal_lsn() <= CAST(:replayed AS pg_lsn)"),
                {"replayed": replayed or "0/0"},
            ).one()
        seconds = 0.0 if caught_up else (float(lag) if lag is not None else None)
        if seconds is None or seconds > self.max_lag:
            log.warning("replica is behind (%s s, limit %s s), reading from the primary", seconds, self.max_lag)
            return State(False, seconds, "behind", self.max_lag)
        return State(True, seconds, "", self.max_lag)


class RoutingSession(Session):
    """The app's session: inside `reads()`, statements that only read go to the replica."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        replica = _reading.get()
        if replica is not None and bind is None and not self._flushing and _reads_only(clause):
            return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _reads_only(clause: Any) -> bool:
    return isinstance(clause, sa.Select | sa.CompoundSelect)


def init_app(app: Flask) -> None:
    """Create the replica's engine when DATABASE_REPLICA_URL is set."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if url:
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options["connect_args"] = {**options.get("connect_args", {}), "connect_timeout": 2}
        app.extensions["feedback_replica"] = Replica(url, float(app.config["REPLICA_MAX_LAG_SECONDS"]), options)


def _primary() -> Engine:
    """The app's own engine (through Flask-SQLAlchemy's registry: this module sits below feedback.extensions)."""
    return current_app.extensions["sqlalchemy"].engine


def _replica() -> Replica | None:
    return current_app.extensions.get("feedback_replica")


@contextmanager
def reads() -> Iterator[State | None]:
    """Read from the replica inside, when there is one that is up and close enough (the state, for the page); None
    without a replica."""
    replica = _replica()
    if replica is None:
        yield None
        return
    found = replica.state(_primary())
    token = _reading.set(replica.engine if found.used else None)
    try:
        yield found
    finally:
        _reading.reset(token)


def read_engine() -> Engine:
    """The engine analysis code opens its own read connections on: the replica inside `reads()`, else the
    primary."""
    return _reading.get() or _primary()


def route_reads(*blueprints: Any) -> None:
    """GET and HEAD requests of these blueprints read from the replica after their own access checks (which run
    first, on the primary); the state is kept on `g` for the page."""

    def _start() -> None:
        replica = _replica()
        if request.method not in ("GET", "HEAD") or replica is None:
            return
        g.replica_state = found = replica.state(_primary())
        _reading.set(replica.engine if found.used else None)

    def _end(_error: BaseException | None = None) -> None:
        _reading.set(None)

    for blueprint in blueprints:
        blueprint.before_request(_start)
        blueprint.teardown_request(_end)
