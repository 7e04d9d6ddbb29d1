"""Group commit for the scan path: concurrent scans of one process share one transaction (one fsync).

A request thread that finds no commit under way becomes the leader: it takes every scan waiting, stores them in
one transaction, and releases their threads; scans that arrive meanwhile wait for the next leader, who is one of
them. No thread of its own, so no hand-over to it and back on every scan.

Durability is unchanged: a request gets its scan id only after the transaction that holds the row has committed,
so no scan is acknowledged before it is stored.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from feedback.extensions import when_unlocked

log = logging.getLogger(__name__)

#: Most scans one transaction takes; more wait for the next one.
MAX_BATCH = 256
#: A request waits at most this long for its commit before it gives up (the scan counts as not stored).
WAIT_SECONDS = 10.0


@dataclass
class _Pending:
    values: dict[str, Any]
    #: The full path needs the new row's id (a survey form names its scan); the fast lane does not.
    want_id: bool = True
    done: bool = False
    scan_id: int | None = None
    stored: bool = False


class _Statement:
    """The INSERT for one table in the engine's own SQL dialect and parameter style, with the column types' bind
    processors, so the writer can hand rows straight to the driver (executemany: one round of the driver for the
    whole batch instead of one ORM/Core execution per row)."""

    def __init__(self, engine: sa.Engine, table: sa.Table) -> None:
        dialect = engine.dialect
        self.columns = [c.name for c in table.columns if c.name != "id"]
        compiled = sa.insert(table).compile(dialect=dialect, column_keys=self.columns)
        self.sql = str(compiled)
        self.returning_sql = str(
            sa.insert(table).returning(table.c.id).compile(dialect=dialect, column_keys=self.columns)
        )
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


class ScanWriter:
    """The group commit of one database engine in one process, on a connection of its own.

    The connection comes from a pool of the writer's own (the engine's settings and connect events), never from
    the requests' pool: requests of the full path hold a pooled connection while they wait for the commit, and
    with 32 threads they can hold all of them, so a writer asking that pool would wait for itself. It is kept
    while the engine lives, replaced when it breaks, and closed when the engine is disposed of.
    """

    def __init__(self, engine: sa.Engine, table: sa.Table) -> None:
        self.engine = engine
        self.statement = _Statement(engine, table)
        self.sqlite = engine.dialect.name == "sqlite"
        self.changed = threading.Condition()
        self.pending: list[_Pending] = []
        self.leading = False
        self._pool = engine.pool.recreate()
        self._connection: Any = None

    def store(self, item: _Pending) -> bool:
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

    def _commit(self, batch: list[_Pending]) -> None:
        """One transaction for the batch; if it fails, each scan on its own, so one bad row costs only itself."""
        try:
            ids = self._insert(batch)
        except Exception:
            if len(batch) == 1:
                log.exception("a scan could not be stored")
                ids = [None]
            else:
                ids = []
                for item in batch:
                    try:
                        ids += self._insert([item])
                    except Exception:  # the visitor is still served; the failure is logged
                        log.exception("a scan could not be stored")
                        ids.append(None)
        for item, scan_id in zip(batch, ids, strict=True):
            item.scan_id = scan_id if item.want_id else None
            item.stored = scan_id is not None
            item.done = True

    def _insert(self, batch: list[_Pending]) -> list[int | None]:
        """Insert and commit the batch; an id for every row (0 where none was asked for). Raises when it failed,
        after rolling back."""
        connection = self._connection
        if connection is None:
            connection = self._connection = self._pool.connect()
        cursor = connection.cursor()
        try:
            if self.sqlite:
                return self._insert_sqlite(cursor, batch)
            ids: list[int | None] = [0] * len(batch)
            plain = [i for i, item in enumerate(batch) if not item.want_id]
            if plain:
                cursor.executemany(self.statement.sql, [self.statement.parameters(batch[i].values) for i in plain])
            for i, item in enumerate(batch):
                if item.want_id:
                    cursor.execute(self.statement.returning_sql, self.statement.parameters(item.values))
                    ids[i] = int(cursor.fetchone()[0])
            connection.commit()
            return ids
        except Exception:
            self._abandon(connection)
            raise
        finally:
            try:
                cursor.close()
            except Exception:  # noqa: S110 - a broken connection's cursor; the connection is replaced anyway
                pass

    def _insert_sqlite(self, cursor: Any, batch: list[_Pending]) -> list[int | None]:
        """The whole batch as one multi-row INSERT in the driver's autocommit mode: one statement is one
        transaction (all rows or none, one fsync), and one call into SQLite instead of BEGIN, a call per row and
        COMMIT, each of which would have to wait for the interpreter lock again.

        Each gunicorn worker has a writer, and they take turns hundreds of times a second: `when_unlocked` retries
        within a fraction of a millisecond where SQLite's busy handler would sleep up to 100 ms.
        SQLite gives new rows the next rowid in the order of VALUES, so the returned ids, sorted, are the batch's.
        """
        row = "(" + ", ".join("?" * len(self.statement.order)) + ")"
        sql = self.statement.sql.partition(" VALUES ")[0] + " VALUES " + ", ".join([row] * len(batch)) + " RETURNING id"
        parameters = [value for item in batch for value in self.statement.parameters(item.values)]
        found = when_unlocked(cursor.connection, lambda: cursor.execute(sql, parameters).fetchall())
        return sorted(int(scan_id) for (scan_id,) in found)

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


_writers: dict[tuple[int, int], ScanWriter] = {}
_lock = threading.Lock()


def _forget(engine: sa.Engine) -> None:
    """The engine is disposed of: so is its writer in this process (tests build and dispose of many apps)."""
    writer = _writers.pop((os.getpid(), id(engine)), None)
    if writer is not None:
        writer.dispose()


def store(engine: sa.Engine, table: sa.Table, values: dict[str, Any], want_id: bool = True) -> int | None:
    """Store one scan through this process's group commit for the engine and return once it is committed: its id
    (or 0 with `want_id=False`); None when the write failed (logged). A forked worker gets a writer of its own."""
    item = _Pending(values, want_id)
    key = (os.getpid(), id(engine))
    writer = _writers.get(key)
    if writer is None:
        with _lock:
            writer = _writers.get(key)
            if writer is None:
                writer = _writers[key] = ScanWriter(engine, table)
                if not sa.event.contains(engine, "engine_disposed", _forget):
                    sa.event.listen(engine, "engine_disposed", _forget)
    if not writer.store(item):
        log.error("scan not committed within %s s", WAIT_SECONDS)
        return None
    if not item.stored:
        return None
    return item.scan_id if want_id else 0
