"""Crashes under load (a short run of bench/crash.py): workers killed with SIGKILL again and again and the master
once, then SIGTERM; every acknowledged scan is stored exactly once and the restarted service serves again. How
long the outage lasts is a benchmark figure (python -m bench.crash, docs/RELIABILITY.md), not asserted here."""

from __future__ import annotations

from bench import crash


def test_kill_9_of_workers_and_master_loses_no_acknowledged_scan(server_database: str) -> None:
    figures = crash.run(8, server_database, "suite")
    assert figures.worker_kills >= 3 and figures.master_kills == 1
    # the clients got answers (how many in 8 s depends on how fast a busy machine restarts: a benchmark figure)
    assert figures.acknowledged > 0
    assert figures.acknowledged_missing == 0
    assert figures.stored_twice == 0
    assert figures.stored >= figures.acknowledged
    assert figures.acknowledged_after_master_kill > 0  # back after the master's SIGKILL, whatever it took
    assert figures.integrity_check in ("ok", "not run (PostgreSQL)")
    assert figures.graceful_sigterm_requests > 0 and figures.graceful_sigterm_cut_in_flight == 0
