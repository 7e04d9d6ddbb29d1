"""Unbound extensions; create_app binds them to an app."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from feedback.replica import RoutingSession

#: Constraint names Alembic can rely on, on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")
_TURN = "feedback_write_turn"


class Base(DeclarativeBase):
    """Declarative base of every model, with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def _unicode_lower(value: object) -> object:
    """lower() for SQLite as PostgreSQL has it: every letter, not only ASCII ones."""
    return value.lower() if isinstance(value, str) else value


def configure_sqlite(engine: Engine) -> None:
    """Turn on WAL, a busy timeout and foreign keys; start write transactions with BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when another
    connection wrote in between (busy_timeout does not apply to that upgrade), so requests that
    may write take the write lock up front and wait for it instead.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is on disk before the request is acknowledged, even across a power cut.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
        # SQLite's own lower() changes ASCII letters only: "Über" would not match "über" in a search
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate")
        if immediate is None:
            # Unsafe HTTP methods write; elsewhere (reads, CLI, tests) a deferred BEGIN never blocks writers.
            immediate = has_request_context() and request.method not in SAFE_METHODS
        if immediate:
            # One write transaction of this process at a time asks SQLite for the lock; the others sleep on a
            # Python lock instead of all polling the file (a thread holding the SQLite lock is the only one that
            # can release it, and it needs the CPU the pollers would take). Only a speed-up: after the busy
            # timeout a thread asks SQLite without its turn.
            if turns.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
                connection.info[_TURN] = True
            driver = connection.connection.driver_connection
            try:
                when_unlocked(driver, lambda: driver.execute("BEGIN IMMEDIATE"))
            except BaseException:
                _give_back(connection.info)
                raise
        else:
            connection.exec_driver_sql("BEGIN")

    turns = threading.Lock()

    def _give_back(info: dict) -> None:
        if info.pop(_TURN, False):
            turns.release()

    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        _give_back(connection.info)  # the COMMIT follows at once; the next writer retries for that long

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        _give_back(connection.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None:
            _give_back(record.info)  # a connection given back in the middle of a transaction (it was rolled back)


def when_unlocked(driver_connection: sqlite3.Connection, statement: Callable[[], T]) -> T:
    """Run a statement that takes SQLite's write lock, retrying after 0.1 ms (doubling up to 2 ms) while another
    connection holds it, for at most SQLITE_BUSY_TIMEOUT_MS.

    SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries; with a steady stream of short writes from
    several gunicorn workers those sleeps, not the writes, would make the queue (p99 of seconds). A refused
    statement has done nothing, so trying again is safe.
    """
    driver_connection.execute("PRAGMA busy_timeout=0")
    try:
        deadline, pause = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000, 0.0001
        while True:
            try:
                return statement()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.002)
    finally:
        driver_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def commit() -> None:
    """Save the request's changes: the one way views and API endpoints commit. A write that collides with a
    concurrent one, here or at an earlier flush, is answered as 409 Conflict by the error handler of
    feedback.errors (rolled back, in the user's language, never a stack trace)."""
    db.session.commit()
