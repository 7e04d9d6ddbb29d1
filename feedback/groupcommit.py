"""Group commit: concurrent writes of one process share one transaction (one fsync, one turn at SQLite's lock).

A request thread that finds no commit under way becomes the leader: it takes every write waiting, stores them in
one transaction, and releases their threads; writes that arrive meanwhile wait for the next leader, who is one of
them. No thread of its own, so no hand-over to it and back on every write.

Durability is unchanged: a request learns its outcome only after the transaction that holds its rows has committed,
so nothing is acknowledged before it is stored. The scan path (`feedback.qr.scanwriter`) and survey completions
(`feedback.respondent.quick`) each have a writer per engine and process, kept by the app (`Writers`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import Flask

log = logging.getLogger(__name__)

#: Most writes one transaction takes; more wait for the next one.
MAX_BATCH = 256
#: A request waits at most this long for its commit before it gives up (its outcome is then unknown).
WAIT_SECONDS = 10.0


@dataclass
class Pending:
    """One write waiting for its commit, and what came of it."""

    values: Any
    #: Whether the caller needs a result beyond "stored" (a new row's id).
    want_id: bool = True
    done: bool = False
    #: The writer's answer for this item (an id, 0, …); None when it could not be stored.
    result: Any = None


class DriverStatement:
    """An INSERT for one table in the engine's own SQL dialect and parameter style, with the column types' bind
    processors, so a writer can hand rows straight to the driver (executemany: one round of the driver for the
    whole batch instead of one ORM/Core execution per row)."""

    def __init__(self, engine: sa.Engine, table: sa.Table, insert: Any = None) -> None:
        dialect = engine.dialect
        self.columns = [c.name for c in table.columns if c.name != "id"]
        statement = insert if insert is not None else sa.insert(table)
        compiled = statement.compile(dialect=dialect, column_keys=self.columns)
        self.sql = str(compiled)
        self.returning_sql = str(statement.returning(table.c.id).compile(dialect=dialect, column_keys=self.columns))
        self.positional = dialect.positional
        self.order = list(compiled.positiontup or self.columns)
        self.processors = {c.name: c.type.bind_processor(dialect) for c in table.columns if c.name != "id"}

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """One row's parameters as the driver wants them."""
        converted = {}
        for name in self.columns:
            value = values.get(name)
            processor = self.processors[name]
            converted[name] = processor(value) if processor is not None and value is not None else value
        return tuple(converted[name] for name in self.order) if self.positional else converted


class GroupCommit:
    """The group commit of one kind of write for one database engine in one process, on a connection of its own.

    Subclasses say how a batch is written (`_write`). The connection comes from a pool of the writer's own (the
    engine's settings and connect events), never from the requests' pool: requests hold a pooled connection while
    they wait for the commit, and with 32 threads they can hold all of them, so a writer asking that pool would
    wait for itself. It is kept while the engine lives, replaced when it breaks, and closed when the engine is
    disposed of.
    """

    #: What one item is, for the log.
    what: ClassVar[str] = "a write"

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.changed = threading.Condition()
        self.pending: list[Pending] = []
        self.leading = False
        self._pool = engine.pool.recreate()
        self._connection: Any = None

    def store(self, item: Pending) -> bool:
        """Wait until the item is committed (or failed); lead the commit when nobody else does. False when it was
        still waiting after WAIT_SECONDS."""
        with self.changed:
            self.pending.append(item)
        while True:
            with self.changed:
                while self.leading and not item.done:
                    if not self.changed.wait(WAIT_SECONDS):
                        return item.done
                if item.done:
                    return True
                self.leading = True
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                self._commit(batch)
            finally:
                with self.changed:
                    self.leading = False
                    self.changed.notify_all()

    def _commit(self, batch: list[Pending]) -> None:
        """One transaction for the batch; if it fails, each item on its own, so one bad row costs only itself."""
        try:
            results = self._insert(batch)
        except Exception:
            if len(batch) == 1:
                log.exception("%s could not be stored", self.what)
                results = [None]
            else:
                results = []
                for item in batch:
                    try:
                        results += self._insert([item])
                    except Exception:  # the visitor is still served; the failure is logged
                        log.exception("%s could not be stored", self.what)
                        results.append(None)
        for item, result in zip(batch, results, strict=True):
            item.result = result
            item.done = True

    def _insert(self, batch: list[Pending]) -> list[Any]:
        """Write and commit the batch; a result for every item. Raises when it failed, after rolling back."""
        connection = self._connection
        if connection is None:
            connection = self._connection = self._pool.connect()
        cursor = connection.cursor()
        try:
            results = self._write(cursor, batch)
            connection.commit()  # SQLite in the driver's autocommit mode: commits what _write began, if anything
            return results
        except Exception:
            self._abandon(connection)
            raise
        finally:
            try:
                cursor.close()
            except Exception:  # noqa: S110 - a broken connection's cursor; the connection is replaced anyway
                pass

    def _write(self, cursor: Any, batch: list[Pending]) -> list[Any]:
        """Write the batch in one transaction (on SQLite, `_write` begins it; the caller commits)."""
        raise NotImplementedError

    def _abandon(self, connection: Any) -> None:
        """Roll back; a connection that cannot even do that is thrown away and replaced at the next batch."""
        try:
            if self.sqlite:
                if connection.driver_connection.in_transaction:
                    connection.driver_connection.execute("ROLLBACK")
            else:
                connection.rollback()
        except Exception:
            self._close()

    def dispose(self) -> None:
        """Close the connection and the writer's pool (the engine is being disposed of)."""
        with self.changed:
            self._close()
            self._pool.dispose()

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            except Exception:  # noqa: S110 - closing a connection that is already gone
                pass


#: Where create_app keeps an app's writers (app.extensions).
WRITERS = "feedback.groupcommit"


class Writers:
    """An app's group-commit writers: one per engine, kind of write and process.

    Keyed by process too, so a worker forked from a process that had built the app (gunicorn --preload) gets
    writers of its own. An engine that is disposed of takes its writers with it (tests build and dispose of many).
    """

    def __init__(self) -> None:
        self._writers: dict[tuple[int, int, str], GroupCommit] = {}
        self._lock = threading.Lock()

    def get(self, engine: sa.Engine, kind: str, build: Callable[[sa.Engine], GroupCommit]) -> GroupCommit:
        """This process's writer of one kind for the engine, built on first use."""
        key = (os.getpid(), id(engine), kind)
        writer = self._writers.get(key)
        if writer is None:
            with self._lock:
                writer = self._writers.get(key)
                if writer is None:
                    writer = self._writers[key] = build(engine)
                    if not sa.event.contains(engine, "engine_disposed", self._forget):
                        sa.event.listen(engine, "engine_disposed", self._forget)
        return writer

    def _forget(self, engine: sa.Engine) -> None:
        """The engine is disposed of: so are its writers in this process."""
        pid = os.getpid()
        for key in [k for k in list(self._writers) if k[:2] == (pid, id(engine))]:
            writer = self._writers.pop(key, None)
            if writer is not None:
                writer.dispose()


def init_app(app: Flask) -> None:
    """Give the app its (empty) set of writers."""
    app.extensions[WRITERS] = Writers()


def writers_of(app: Flask) -> Writers:
    """The app's group-commit writers (for callers without an app context, such as the fast lane)."""
    return app.extensions[WRITERS]
