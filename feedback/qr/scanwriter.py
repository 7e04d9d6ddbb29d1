"""Group commit for the scan path: concurrent scans of one process share one transaction (one fsync).

See `feedback.groupcommit` for how requests take turns leading a commit; a request gets its scan id only after the
transaction that holds the row has committed, so no scan is acknowledged before it is stored.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from feedback.extensions import when_unlocked
from feedback.groupcommit import WAIT_SECONDS, DriverStatement, GroupCommit, Pending, Writers

log = logging.getLogger(__name__)


class ScanWriter(GroupCommit):
    """The scans of one engine in one process: a batch is one INSERT on SQLite, executemany on PostgreSQL."""

    what = "a scan"

    def __init__(self, engine: sa.Engine, table: sa.Table) -> None:
        super().__init__(engine)
        self.statement = DriverStatement(engine, table)

    def _write(self, cursor: Any, batch: list[Pending]) -> list[int | None]:
        """An id for every row (0 where none was asked for)."""
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
        return ids

    def _insert_sqlite(self, cursor: Any, batch: list[Pending]) -> list[int | None]:
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


def store(
    writers: Writers, engine: sa.Engine, table: sa.Table, values: dict[str, Any], want_id: bool = True
) -> int | None:
    """Store one scan through the app's group commit for the engine (`writers`, see feedback.groupcommit.writers_of)
    and return once it is committed: its id (or 0 with `want_id=False`); None when the write failed (logged)."""
    item = Pending(values, want_id)
    writer = writers.get(engine, "scan", lambda e: ScanWriter(e, table))
    if not writer.store(item):
        log.error("scan not committed within %s s", WAIT_SECONDS)
        return None
    if item.result is None:
        return None
    return item.result if want_id else 0
