"""Rate limits hold across gunicorn workers with shared storage (Redis), per network + device signature behind the
proxy."""

from __future__ import annotations

import http.client
import threading
from collections import Counter

import pytest

from bench import survey_submit
from bench.load import PHONE_UA, gunicorn

REDIS = "redis://127.0.0.1:6379/13"  # a database of its own, emptied by the test


@pytest.fixture
def redis_storage() -> str:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not reachable on 127.0.0.1:6379")
    yield REDIS
    client.flushdb()
    client.close()


def _hammer(port: int, address: str, requests: int, threads: int) -> Counter:
    """Unknown codes from one client address (as the proxy reports it), from several connections at once."""
    statuses: Counter = Counter()
    start = threading.Barrier(threads)

    def send(worker: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        try:
            for n in range(requests // threads):
                headers = {"User-Agent": PHONE_UA, "X-Forwarded-For": address, "Connection": "keep-alive"}
                connection.request("GET", f"/t/ZZ{worker:02d}{n:04d}", headers=headers)
                response = connection.getresponse()
                response.read()
                statuses[response.status] += 1
        finally:
            connection.close()

    workers = [threading.Thread(target=send, args=(w,)) for w in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return statuses


def test_the_unknown_code_limit_holds_across_workers_per_signature(server_database: str, redis_storage: str) -> None:
    env, _code = survey_submit._prepare(server_database)
    env = {**env, "RATELIMIT_STORAGE_URI": redis_storage, "PROXY_HOPS": "1"}
    with gunicorn("wsgi:app", env, workers=2) as base:
        port = int(base.rsplit(":", 1)[1])
        first = _hammer(port, "198.51.100.7", 160, 8)
        other = _hammer(port, "203.0.113.8", 8, 2)
    # 60 per minute for the network + device signature, whichever of the two workers answered: the rest are refused
    assert first == Counter({404: 60, 429: 100})
    assert other == Counter({404: 8})  # another network behind the same proxy has a limit of its own
