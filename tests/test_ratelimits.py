"""The default rate-limit storage: counters in a SQLite file that every worker of an instance shares."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from feedback.config import load_config
from feedback.ratelimits import SQLiteStorage


def _hit_many(uri: str, times: int, results: multiprocessing.Queue) -> None:
    limiter = FixedWindowRateLimiter(storage_from_string(uri))
    item = parse("100 per hour")
    results.put(sum(limiter.hit(item, "login", "anna@example.com") for _ in range(times)))


def test_two_processes_count_in_one_window(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    results: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_hit_many, args=(uri, 80, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    allowed = results.get(timeout=5) + results.get(timeout=5)
    assert allowed == 100  # 160 attempts, 100 allowed in the hour, whichever process saw them
    assert SQLiteStorage(uri).get(parse("100 per hour").key_for("login", "anna@example.com")) == 160


def test_a_window_ends_and_counts_start_again(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    clock = [1000.0]
    monkeypatch.setattr("feedback.ratelimits.time.time", lambda: clock[0])
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") == 1060.0
    clock[0] = 1060.0
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1 and storage.get_expiry("k") == 1120.0
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_the_default_is_the_shared_file_in_the_instance_folder(tmp_path: Path) -> None:
    environ = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fb.sqlite3'}", "SECRET_KEY": "x" * 40}
    assert load_config(environ, tmp_path)["RATELIMIT_STORAGE_URI"] == f"sqlite:///{tmp_path / 'ratelimits.sqlite3'}"
    redis = {**environ, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    assert load_config(redis, tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
