"""Crashes under load (a short run of bench/crash.py): workers killed with SIGKILL again and again and the master
once, then SIGTERM; every acknowledged scan is stored exactly once and the service is back within 10 s."""

from __future__ import annotations

import os

import pytest

from bench import crash
from bench.scan_path import fresh_postgres


@pytest.fixture
def crash_database(tmp_path) -> str:  # noqa: ANN001
    """The suite's kind of database: a fresh SQLite file, or a fresh PostgreSQL database when the suite runs there."""
    if os.environ.get("TEST_DATABASE_URL"):
        url = fresh_postgres("feedback_test_crash")
        if url is None:
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
        return url
    return f"sqlite:///{tmp_path / 'crash.sqlite3'}"


def test_kill_9_of_workers_and_master_loses_no_acknowledged_scan(crash_database: str) -> None:
    figures = crash.run(8, crash_database, "suite")
    assert figures.worker_kills >= 3 and figures.master_kills == 1
    assert figures.acknowledged > 50  # the clients got answers before, between and after the kills
    assert figures.acknowledged_missing == 0
    assert figures.stored_twice == 0
    assert figures.stored >= figures.acknowledged
    assert figures.longest_outage_seconds < 10
    assert figures.integrity_check in ("ok", "not run (PostgreSQL)")
    assert figures.graceful_sigterm_requests > 0 and figures.graceful_sigterm_cut_in_flight == 0
