"""SQLite write transactions: a writer that finds the lock taken gets it within a fraction of a millisecond of its
release (not after SQLite's sleeping busy handler), one thread of a process asks at a time, and nothing is left
holding a turn after a commit, a rollback or a failure."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from feedback.extensions import SQLITE_BUSY_TIMEOUT_MS, db, when_unlocked


@pytest.fixture
def engine(app):  # noqa: ANN001,ANN201
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock only")
    return db.engine


def _hold_the_lock(engine: sa.Engine, seconds: float, holding: threading.Event) -> threading.Thread:
    """Another process's writer, played by a plain sqlite3 connection holding BEGIN IMMEDIATE for `seconds`."""
    import sqlite3

    def hold() -> None:
        other = sqlite3.connect(engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        holding.set()
        time.sleep(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_a_waiting_writer_gets_the_lock_right_after_it_is_released(engine) -> None:
    holding = threading.Event()
    holder = _hold_the_lock(engine, 0.12, holding)
    holding.wait()
    started = time.monotonic()
    with engine.connect() as connection:
        with connection.execution_options(sqlite_immediate=True).begin():
            waited = time.monotonic() - started
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    holder.join()
    # SQLite's own handler would sleep in steps of up to 100 ms past the release; ours retries every ≤ 2 ms
    assert 0.11 <= waited < 0.12 + 0.05
    assert timeout == SQLITE_BUSY_TIMEOUT_MS  # restored for everything else the transaction does


def test_when_unlocked_gives_up_on_other_errors_at_once(engine) -> None:
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        started = time.monotonic()
        with pytest.raises(Exception, match="syntax error"):
            when_unlocked(driver, lambda: driver.execute("BEGIN NONSENSE"))
        assert time.monotonic() - started < 0.05
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
    thread.join(timeout=5)
    assert done.is_set()
