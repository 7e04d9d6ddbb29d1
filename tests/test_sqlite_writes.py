"""SQLite write transactions: a writer that finds the lock taken tries again in steps of at most 2 ms (not SQLite's
sleeping busy handler with steps of up to 100 ms), one thread of a process asks at a time, and nothing is left
holding a turn after a commit, a rollback or a failure. How long a writer waits in practice is measured by
bench/survey_submit.py, not asserted here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from feedback import extensions
from feedback.extensions import SQLITE_BUSY_TIMEOUT_MS, db, when_unlocked


@pytest.fixture
def engine(app):  # noqa: ANN001,ANN201
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock only")
    return db.engine


class Pauses:
    """Records the retry pauses of when_unlocked in the test's thread (and still sleeps them); `retried` is set
    after 20 of them."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self.sleep, self.taken, self.retried = sleep, [], threading.Event()
        self.thread = threading.get_ident()

    def __call__(self, seconds: float) -> None:
        if threading.get_ident() == self.thread:
            self.taken.append(seconds)
            if len(self.taken) >= 20:
                self.retried.set()
        self.sleep(seconds)


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> Pauses:
    recorder = Pauses(time.sleep)
    monkeypatch.setattr(extensions.time, "sleep", recorder)
    return recorder


def _hold_the_lock(engine: sa.Engine, release: threading.Event, holding: threading.Event) -> threading.Thread:
    """Another process's writer, played by a plain sqlite3 connection holding BEGIN IMMEDIATE until `release`."""
    import sqlite3

    def hold() -> None:
        other = sqlite3.connect(engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        holding.set()
        release.wait(timeout=60)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_a_waiting_writer_retries_in_short_steps_until_the_lock_is_released(engine, pauses) -> None:
    holding = threading.Event()
    holder = _hold_the_lock(engine, pauses.retried, holding)  # released once the writer has tried 20 times
    holding.wait()
    with engine.connect() as connection:
        with connection.execution_options(sqlite_immediate=True).begin():
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    holder.join()
    # SQLite's own handler would sleep in steps of up to 100 ms; ours retries after 0.1 ms, doubling up to 2 ms
    assert len(pauses.taken) >= 20
    assert pauses.taken[0] == pytest.approx(0.0001)
    assert max(pauses.taken) == pytest.approx(0.002)
    assert timeout == SQLITE_BUSY_TIMEOUT_MS  # restored for everything else the transaction does


def test_when_unlocked_gives_up_on_other_errors_at_once(engine, pauses) -> None:
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        with pytest.raises(Exception, match="syntax error"):
            when_unlocked(driver, lambda: driver.execute("BEGIN NONSENSE"))
        assert pauses.taken == []  # not retried
        assert driver.execute("PRAGMA busy_timeout").fetchone()[0] == SQLITE_BUSY_TIMEOUT_MS


@pytest.mark.parametrize("ending", ["commit", "rollback", "error", "closed"])
def test_no_turn_is_kept_after_a_transaction_ends(engine, ending) -> None:
    """Each way a write transaction can end gives its turn back: the next writer of the process is not delayed."""
    connection = engine.connect().execution_options(sqlite_immediate=True)
    transaction = connection.begin()
    connection.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS t (x)")
    if ending == "commit":
        transaction.commit()
    elif ending == "rollback":
        transaction.rollback()
    elif ending == "error":
        with pytest.raises(sa.exc.OperationalError):
            connection.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")
        transaction.rollback()
    connection.close()  # "closed": given back to the pool in the middle of its transaction
    done = threading.Event()

    def next_writer() -> None:
        with engine.connect().execution_options(sqlite_immediate=True) as other, other.begin():
            done.set()

    thread = threading.Thread(target=next_writer)
    thread.start()
    thread.join(timeout=60)  # a kept turn would block it for good
    assert done.is_set()
