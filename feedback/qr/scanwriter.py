"""Group commit for the scan path: request threads hand their scan to one writer per process and engine, which
stores everything waiting in one transaction (one fsync) and then releases them.

Durability is unchanged: a request gets its scan id only after the transaction that holds the row has committed,
so no scan is acknowledged before it is stored. What changes is that concurrent scans share the commit.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

log = logging.getLogger(__name__)

#: Most scans one transaction takes; more wait for the next one.
MAX_BATCH = 256
#: A writer with nothing to do for this long ends; the next scan starts a new one.
IDLE_SECONDS = 5.0
#: A request waits at most this long for its commit before it gives up (the scan counts as not stored).
WAIT_SECONDS = 10.0


@dataclass
class _Pending:
    values: dict[str, Any]
    #: The full path needs the new row's id (a survey form names its scan); the fast lane does not.
    want_id: bool = True
    done: threading.Event = field(default_factory=threading.Event)
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


class _Turns:
    """Whose turn it is to write scans to one SQLite file, across the processes of this machine.

    Every gunicorn worker has its own writer. SQLite lets a writer that finds the file locked sleep and retry
    (busy_timeout) in steps of up to 100 ms, so two writers taking turns hundreds of times a second would mostly
    sleep. A lock file taken with flock() first makes them queue in the kernel instead, which wakes the next one the
    moment the other commits. PostgreSQL needs none of this (row inserts do not block each other).
    """

    def __init__(self, path: str | None) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600) if path else None

    @classmethod
    def for_engine(cls, engine: sa.Engine) -> _Turns:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        if not database or database == ":memory:" or database.startswith("file:"):
            return cls(None)
        return cls(f"{database}-scanlock")

    def take(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def give_back(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class ScanWriter:
    """One thread that commits batches of scans for one database engine in one process, on a connection of its
    own that it keeps (and replaces when it breaks)."""

    def __init__(self, engine: sa.Engine, table: sa.Table) -> None:
        self.engine = engine
        self.statement = _Statement(engine, table)
        self.sqlite = engine.dialect.name == "sqlite"
        self.turns = _Turns.for_engine(engine)
        self.pending: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="scan-writer", daemon=True)
        self.alive = True
        self._connection: Any = None

    def _batch(self) -> list[_Pending] | None:
        try:
            first = self.pending.get(timeout=IDLE_SECONDS)
        except queue.Empty:
            return None
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self.pending.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        try:
            while True:
                batch = self._batch()
                if batch is None:
                    with _lock:
                        if self.pending.empty():  # nobody handed anything in meanwhile: end
                            self.alive = False
                            _writers.pop((os.getpid(), id(self.engine)), None)
                            return
                    continue
                self._commit(batch)
        finally:
            self._close()
            self.turns.close()

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
            item.done.set()

    def _insert(self, batch: list[_Pending]) -> list[int | None]:
        """Insert and commit the batch; an id for every row (0 where none was asked for). Raises when it failed,
        after rolling back."""
        connection = self._connection
        if connection is None:
            connection = self._connection = self.engine.raw_connection()
        cursor = connection.cursor()
        try:
            self.turns.take()
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
            self.turns.give_back()
            try:
                cursor.close()
            except Exception:  # noqa: S110 - a broken connection's cursor; the connection is replaced anyway
                pass

    def _insert_sqlite(self, cursor: Any, batch: list[_Pending]) -> list[int | None]:
        """The whole batch as one multi-row INSERT in the driver's autocommit mode: one statement is one
        transaction (all rows or none, one fsync), and one call into SQLite instead of BEGIN, a call per row and
        COMMIT, each of which would give up and wait for the interpreter lock again while holding the file's.

        SQLite gives new rows the next rowid in the order of VALUES, so the returned ids, sorted, are the batch's.
        """
        row = "(" + ", ".join("?" * len(self.statement.order)) + ")"
        sql = self.statement.sql.partition(" VALUES ")[0] + " VALUES " + ", ".join([row] * len(batch)) + " RETURNING id"
        parameters = [value for item in batch for value in self.statement.parameters(item.values)]
        ids = sorted(int(found) for (found,) in cursor.execute(sql, parameters).fetchall())
        return list(ids)

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

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            except Exception:  # noqa: S110 - closing a connection that is already gone
                pass


_writers: dict[tuple[int, int], ScanWriter] = {}
_lock = threading.Lock()


def store(engine: sa.Engine, table: sa.Table, values: dict[str, Any], want_id: bool = True) -> int | None:
    """Store one scan through this process's writer for the engine and return once it is committed: its id (or 0
    with `want_id=False`); None when the write failed (logged). A forked worker starts its own writer."""
    item = _Pending(values, want_id)
    key = (os.getpid(), id(engine))
    with _lock:  # the writer decides to end under the same lock, so no scan is handed to a writer that is leaving
        writer = _writers.get(key)
        if writer is None or not writer.alive:
            writer = _writers[key] = ScanWriter(engine, table)
            writer.thread.start()
        writer.pending.put(item)
    if not item.done.wait(WAIT_SECONDS):
        log.error("scan not committed within %s s", WAIT_SECONDS)
        return None
    if not item.stored:
        return None
    return item.scan_id if want_id else 0
