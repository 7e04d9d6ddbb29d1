"""Rate limits hold across gunicorn workers with shared storage (Redis), per network + device signature behind the
proxy."""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

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


def _login_attempts(base: str, email: str, address: str, attempts: int, threads: int) -> Counter:
    """Wrong passwords for one account from one network, each attempt on a new connection (any worker)."""
    statuses: Counter = Counter()
    start = threading.Barrier(threads)

    def attempt() -> int:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        headers = {"User-Agent": PHONE_UA, "X-Forwarded-For": address}
        with browser.open(urllib.request.Request(f"{base}/login", headers=headers), timeout=30) as page:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode()).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "wrong guess"}).encode()
        try:
            with browser.open(urllib.request.Request(f"{base}/login", form, headers), timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as refused:
            return refused.code

    def send() -> None:
        start.wait()
        for _ in range(attempts // threads):
            statuses[attempt()] += 1

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return statuses


def test_the_login_limit_holds_across_workers_with_the_default_storage(server_database: str, tmp_path: Path) -> None:
    """The default storage, a SQLite file the workers share (here in the test's folder, not the instance folder that
    outlives the test; tests/test_ratelimits.py shows it is the default): one account gets its 10 attempts a minute,
    not 10 per worker (with memory:// two workers let 18 of 18 through)."""
    env, _code = survey_submit._prepare(server_database)
    from feedback import create_app
    from feedback.auth import services as auth
    from feedback.extensions import db

    email = f"limit-{uuid.uuid4().hex[:12]}@example.com"
    with create_app({"ENVIRON": env}).app_context():
        auth.create_user(email, "the-right-password-1")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # no connection of this process outlives the test
    storage = f"sqlite:///{tmp_path / 'ratelimits.sqlite3'}"
    env = {**env, "PROXY_HOPS": "1", "LOGIN_RATE_LIMIT": "10 per minute", "RATELIMIT_STORAGE_URI": storage}
    with gunicorn("wsgi:app", env, workers=2) as base:
        statuses = _login_attempts(base, email, "198.51.100.7", 18, 6)
    assert statuses[429] == 8 and sum(statuses.values()) == 18, statuses
