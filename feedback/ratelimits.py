"""Rate-limit counters in a SQLite file, so that a limit holds across the workers of one instance (the default).

The limits library keeps counters in memory (each gunicorn worker counts on its own: two workers let through twice
the limit), in Redis or in Memcached. This storage gives it a file next to the database instead: every worker of
the instance counts in the same table, one atomic upsert per hit. Several instances on several machines share
Redis instead (`RATELIMIT_STORAGE_URI=redis://…`).

The counters are not precious (losing them at a power cut only resets the windows), so the file is written without
waiting for the disk. Only the fixed-window strategy (Flask-Limiter's default) is supported.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

SCHEME = "sqlite"
#: One in this many hits also deletes the windows that have ended.
SWEEP_EVERY = 500


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file: `sqlite:////path/to/ratelimits.sqlite3`."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(uri.removeprefix(f"{SCHEME}:///"))
        self._local = threading.local()
        self._connection()  # create the file and the table now: a wrong path fails at start, not at a login

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: connections are not shared across processes)."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS window (key TEXT PRIMARY KEY, hits INTEGER NOT NULL, ends REAL NOT NULL)"
        )
        self._local.held = (os.getpid(), connection)
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count `amount` hits in the key's window (a new window of `expiry` seconds when none is running)."""
        now = time.time()
        connection = self._connection()
        (hits,) = connection.execute(
            "INSERT INTO window (key, hits, ends) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN ends <= ?4 THEN excluded.hits ELSE hits + excluded.hits END, "
            "ends = CASE WHEN ends <= ?4 THEN excluded.ends ELSE ends END RETURNING hits",
            (key, amount, now + expiry, now),
        ).fetchone()
        if random.randrange(SWEEP_EVERY) == 0:  # noqa: S311 - spreading the clean-up, not a secret
            connection.execute("DELETE FROM window WHERE ends <= ?", (now,))
        return int(hits)

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT hits FROM window WHERE key = ? AND ends > ?", (key, time.time())
        ).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute("SELECT ends FROM window WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM window").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM window WHERE key = ?", (key,))
