"""Group commit for the scan path: request threads hand their scan to one writer per process and engine, which
stores everything waiting in one transaction (one fsync) and then releases them.

Durability is unchanged: a request gets its scan id only after the transaction that holds the row has committed,
so no scan is acknowledged before it is stored. What changes is that concurrent scans share the commit.
"""

from __future__ import annotations

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
    done: threading.Event = field(default_factory=threading.Event)
    scan_id: int | None = None


class ScanWriter:
    """One thread that commits batches of scans for one database engine in one process."""

    def __init__(self, engine: sa.Engine, table: sa.Table) -> None:
        self.engine = engine
        self.table = table
        self.pending: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="scan-writer", daemon=True)
        self.alive = True

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
            item.scan_id = scan_id
            item.done.set()

    def _insert(self, batch: list[_Pending]) -> list[int | None]:
        insert = sa.insert(self.table).returning(self.table.c.id)
        with self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_immediate=True)
            with connection.begin():
                return [int(connection.execute(insert, item.values).scalar_one()) for item in batch]


_writers: dict[tuple[int, int], ScanWriter] = {}
_lock = threading.Lock()


def store(engine: sa.Engine, table: sa.Table, values: dict[str, Any]) -> int | None:
    """Store one scan through this process's writer for the engine and return its id once committed; None when the
    write failed (logged). A forked worker starts its own writer."""
    item = _Pending(values)
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
    return item.scan_id
