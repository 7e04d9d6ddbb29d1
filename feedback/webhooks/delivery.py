"""Sending webhooks: signatures, the address check after DNS resolution, retries with backoff, the dispatcher.

Deliveries are claimed from the outbox with a lease (next_attempt_at moves past the attempt), so several processes
can dispatch side by side and a crash in mid-attempt only means the delivery is tried again after the lease: every
event arrives at least once; receivers deduplicate by its id.

One workspace's receiver cannot hold up the others': a process sends on a bounded pool of threads, claims only as
many deliveries as it has free threads, at most PER_ENDPOINT of them per endpoint, and leaves an endpoint alone for
BREAKER_SECONDS after BREAKER_FAILURES failed attempts in a row (a circuit breaker whose state is in the database,
so every process and the dashboard see it). A claimed delivery starts at once, so its lease outlasts its attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import random
import socket
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
import urllib3
from flask import Flask

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Feedback-Signature"
#: Receivers should refuse signatures older than this (replay protection).
TOLERANCE_SECONDS = 300
#: Attempts before a delivery is given up (about a day of retries with the backoff below).
MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
#: How long an attempt may hold a claimed delivery before another dispatcher may try it.
LEASE_SECONDS = 120
CONNECT_TIMEOUT, READ_TIMEOUT = 5.0, 10.0
#: Deliveries `run_once` takes at a time.
BATCH = 20
#: Sending threads of a process's dispatcher (WEBHOOK_WORKERS), and how many of them one endpoint, and one workspace
#: with all its endpoints, may hold: a workspace with many endpoints to a receiver that never answers still leaves
#: the other threads to the other workspaces.
WORKERS, PER_ENDPOINT, PER_WORKSPACE = 8, 2, 2
#: Failed attempts in a row after which an endpoint rests, and for how long; after its rest one attempt at a time
#: tries it until one is delivered.
BREAKER_FAILURES, BREAKER_SECONDS = 5, 300
USER_AGENT = "feedback-webhooks/1"


# --- signatures ------------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: recompute the HMAC over "<t>.<body>", compare in constant time, refuse stale t."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))


# --- where a delivery may go ---------------------------------------------------------------------------------


class BlockedAddress(Exception):
    """The host resolves to an address webhooks may not reach (loopback, private, link-local, …)."""


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to, checked after resolution; BlockedAddress when any address is not public.

    Connecting to the checked address (not resolving again) closes the gap a DNS rebinding would use.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OSError(f"cannot resolve {host}: {error}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise OSError(f"cannot resolve {host}")
    if not allow_private:
        blocked = [a for a in addresses if not _allowed(a)]
        if blocked:
            raise BlockedAddress(f"{host} resolves to {blocked[0]}, which is not a public address")
    return str(addresses[0])


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status, or an error without one."""

    status: int | None
    error: str = ""
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], allow_private: bool) -> Outcome:
    """POST the body once: no redirects followed, bounded time, at most 1 KB of the answer read."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        address = resolve(host, port, allow_private)
    except BlockedAddress as error:
        return Outcome(None, str(error), permanent=True)
    except OSError as error:
        return Outcome(None, str(error)[:300])
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if https:
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" + (f":{parts.port}" if parts.port else "")
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
        )
        response.read(1024)
        response.release_conn()
        status = response.status
    except urllib3.exceptions.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:300])
    finally:
        pool.close()
    return Outcome(status, "" if 200 <= status < 300 else f"HTTP {status}")


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: 30 s, 1 min, 2 min, … up to 6 h, ±10 % jitter."""
    seconds = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))  # noqa: S311 - spreading retries, not a secret


# --- the dispatcher --------------------------------------------------------------------------------------------


class Claim(NamedTuple):
    """A delivery this process took with a lease, and the endpoint it goes to."""

    delivery_id: int
    endpoint_id: int


def _claim(
    connection: sa.Connection,
    now: datetime,
    room: int = BATCH,
    in_flight: Mapping[int, int] | None = None,
    per_endpoint: int | None = None,
    per_workspace: int = PER_WORKSPACE,
) -> list[Claim]:
    """Take up to `room` due deliveries by moving their due time past a lease (compare-and-set per row), oldest
    first but at most `per_endpoint` per endpoint and `per_workspace` per workspace counting the attempts this process
    has `in_flight` to them, one to an endpoint back from its rest, none to an endpoint that rests
    (`WebhookEndpoint.suspended_until`) or that a member paused."""
    limit = PER_ENDPOINT if per_endpoint is None else per_endpoint
    running = Counter(in_flight or {})
    workspace_of = dict(
        connection.execute(
            sa.select(WebhookEndpoint.id, WebhookEndpoint.workspace_id).where(WebhookEndpoint.id.in_(list(running)))
        ).all()
    ) if running else {}
    busy: Counter[int] = Counter()
    for endpoint_id, n in running.items():
        busy[workspace_of.get(endpoint_id, 0)] += n
    full: set[int] = set()
    full_workspaces = {w for w, n in busy.items() if n >= per_workspace}
    claimed: list[Claim] = []
    lease = now + timedelta(seconds=LEASE_SECONDS)
    while len(claimed) < room:
        query = (
            sa.select(
                WebhookDelivery.id,
                WebhookDelivery.endpoint_id,
                WebhookDelivery.next_attempt_at,
                WebhookEndpoint.failures,
                WebhookEndpoint.workspace_id,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.paused_at.is_(None),  # paused by a member: what waits goes out once resumed
                sa.or_(WebhookEndpoint.suspended_until.is_(None), WebhookEndpoint.suspended_until <= now),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(BATCH)
        )
        if full:  # a busy endpoint's backlog must not hide the others' deliveries
            query = query.where(WebhookDelivery.endpoint_id.not_in(full))
        if full_workspaces:  # nor a busy workspace's
            query = query.where(WebhookEndpoint.workspace_id.not_in(full_workspaces))
        due = connection.execute(query).all()
        progress = False
        for delivery_id, endpoint_id, due_at, failures, workspace_id in due:
            if endpoint_id in full or workspace_id in full_workspaces:
                continue
            if busy[workspace_id] >= per_workspace:
                full_workspaces.add(workspace_id)
                progress = True
                continue
            if running[endpoint_id] >= (1 if failures >= BREAKER_FAILURES else limit):
                full.add(endpoint_id)
                progress = True
                continue
            result = connection.execute(
                sa.update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == DeliveryStatus.PENDING.value,
                    WebhookDelivery.next_attempt_at == due_at,
                )
                .values(next_attempt_at=lease)
            )
            if result.rowcount == 1:
                claimed.append(Claim(delivery_id, endpoint_id))
                running[endpoint_id] += 1
                busy[workspace_id] += 1
                progress = True
                if len(claimed) == room:
                    break
        if not progress:  # nothing due, or another dispatcher took what was
            break
    return claimed


def _write(*statements: sa.Executable) -> None:
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            for statement in statements:
                connection.execute(statement)


def _endpoint_after(endpoint_id: int, outcome: Outcome, done: datetime) -> sa.Executable:
    """The endpoint's count of failures in a row after this outcome; the failure that reaches BREAKER_FAILURES (and
    each failed try after its rest) makes it rest for BREAKER_SECONDS. A delivered attempt ends the count."""
    endpoint = sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if outcome.ok:
        return endpoint.where(
            sa.or_(WebhookEndpoint.failures != 0, WebhookEndpoint.suspended_until.is_not(None))
        ).values(failures=0, suspended_until=None)
    failures = WebhookEndpoint.failures + 1
    return endpoint.values(
        failures=failures,
        suspended_until=sa.case(
            # typed as the column, so PostgreSQL does not read a time-zone-aware literal in the session's zone
            (failures >= BREAKER_FAILURES, sa.literal(done + timedelta(seconds=BREAKER_SECONDS), UTCDateTime())),
            else_=WebhookEndpoint.suspended_until,
        ),
    )


def attempt(delivery_id: int, allow_private: bool) -> Outcome | None:
    """Send one claimed delivery and record the outcome (and the endpoint's failures in a row); None when it
    vanished meanwhile (endpoint deleted) or was cancelled (what it reported was erased)."""
    with db.engine.connect() as connection:
        row = connection.execute(
            sa.select(
                WebhookDelivery.payload,
                WebhookDelivery.attempts,
                WebhookDelivery.event,
                WebhookDelivery.event_id,
                WebhookDelivery.endpoint_id,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.PENDING.value)
        ).first()
    if row is None:
        return None
    payload, attempts, event, event_id, endpoint_id, url, secret = row
    body = payload.encode()
    now = utcnow()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body),
        "Feedback-Event": event,
        "Feedback-Event-Id": event_id,
        "Feedback-Delivery": str(delivery_id),
    }
    outcome = post(url, body, headers, allow_private)
    attempts += 1
    done = utcnow()
    values: dict[str, object] = {
        "attempts": attempts,
        "last_attempt_at": done,
        "last_status": outcome.status,
        "last_error": outcome.error[:300],
    }
    if outcome.ok:
        values |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": done}
    elif outcome.permanent or attempts >= MAX_ATTEMPTS:
        values |= {"status": DeliveryStatus.FAILED.value}
    else:
        values |= {"next_attempt_at": done + backoff(attempts)}
    # an erasure that cancelled the delivery meanwhile keeps the last word
    _write(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.PENDING.value)
        .values(**values),
        _endpoint_after(endpoint_id, outcome, done),
    )
    if not outcome.ok:
        log.info("webhook delivery %s failed (attempt %s): %s", delivery_id, attempts, outcome.error)
    return outcome


def _claim_due(now: datetime, room: int, in_flight: Mapping[int, int] | None = None) -> list[Claim]:
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            return _claim(connection, now, room, in_flight)


def _send(app: Flask, delivery_id: int) -> Outcome | None:
    """One attempt in a thread of the pool (each with its own app context)."""
    with app.app_context():
        return attempt(delivery_id, bool(app.config["WEBHOOKS_ALLOW_PRIVATE"]))


def run_once(app: Flask, now: datetime | None = None) -> int:
    """Send what is due now (up to BATCH, at most PER_ENDPOINT per endpoint), side by side; how many attempts were
    made."""
    with app.app_context():
        claimed = _claim_due(now or utcnow(), BATCH)
    if claimed:
        with ThreadPoolExecutor(max_workers=len(claimed), thread_name_prefix="webhook-delivery") as pool:
            list(pool.map(lambda claim: _send(app, claim.delivery_id), claimed))
    return len(claimed)


class Dispatcher:
    """A thread per process that claims due deliveries and hands them to a bounded pool of sending threads, so a
    receiver that never answers holds up at most PER_ENDPOINT of them; woken at once after a commit that emitted
    events, and whenever an attempt ends."""

    def __init__(self, app: Flask, poll_seconds: float, workers: int = WORKERS) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        self.workers = workers
        self._wake = threading.Event()
        self._stop = threading.Event()
        #: Set while the thread waits with nothing in flight and nothing more due.
        self.idle = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        #: Attempts running now, by endpoint, and attempts made so far.
        self._in_flight: Counter[int] = Counter()
        self.attempts = 0
        self._purged: datetime | None = None

    def start(self) -> None:
        if self._thread is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="webhook-delivery")
            self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def join(self) -> None:
        """Wait until the dispatcher stops (Ctrl+C still reaches the caller)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=1)

    def stop(self) -> None:
        """Stop claiming, and wait for the attempts in flight (each ends within its timeouts)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=READ_TIMEOUT + CONNECT_TIMEOUT + 1)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the round: a wake-up during it makes the wait below return at once
            with self._lock:
                in_flight = dict(self._in_flight)
            try:
                started = self._round(in_flight)
                self._purge()
            except Exception:  # the thread must survive a database hiccup; it tries again on the next round
                log.exception("webhook dispatcher round failed")
                started = -1
            with self._lock:
                busy = sum(self._in_flight.values())
            if started <= 0 or busy >= self.workers:  # else more may be due at once
                # idle only when nothing was running while the round looked: else it may have passed over a
                # delivery whose endpoint had its share in flight then
                if started == 0 and not in_flight and busy == 0:
                    self.idle.set()
                self._wake.wait(self.poll_seconds)
                self.idle.clear()

    def _round(self, in_flight: dict[int, int]) -> int:
        """Claim as many due deliveries as there are free sending threads, counting the attempts `in_flight` per
        endpoint, and start them; how many."""
        room = self.workers - sum(in_flight.values())
        if room <= 0 or self._stop.is_set():
            return 0
        with self.app.app_context():
            claimed = _claim_due(utcnow(), room, in_flight)
        assert self._pool is not None
        for claim in claimed:
            with self._lock:
                self._in_flight[claim.endpoint_id] += 1
            try:
                self._pool.submit(self._attempt, claim)
            except RuntimeError:  # the interpreter is exiting: the leases run out, another process sends them
                self._stop.set()
                return 0
        return len(claimed)

    def _attempt(self, claim: Claim) -> None:
        try:
            _send(self.app, claim.delivery_id)
        except Exception:  # recorded nothing: the lease runs out and the delivery is tried again
            log.exception("webhook delivery %s failed", claim.delivery_id)
        finally:
            with self._lock:
                self.attempts += 1
                self._in_flight[claim.endpoint_id] -= 1
                if self._in_flight[claim.endpoint_id] <= 0:
                    del self._in_flight[claim.endpoint_id]
            self._wake.set()

    def _purge(self) -> None:
        now = utcnow()
        if self._purged is None or now - self._purged > timedelta(hours=1):
            self._purged = now
            from feedback.webhooks.services import purge_delivered

            with self.app.app_context():
                purge_delivered(now, int(self.app.config["WEBHOOK_LOG_DAYS"]))


_dispatchers: dict[tuple[int, int], Dispatcher] = {}


def start_dispatcher(app: Flask) -> Dispatcher:
    """Start (once per app and process: a forked worker starts its own) the thread that sends webhooks."""
    key = (os.getpid(), id(app))
    dispatcher = _dispatchers.get(key)
    if dispatcher is None:
        dispatcher = _dispatchers[key] = Dispatcher(
            app, float(app.config["WEBHOOK_POLL_SECONDS"]), int(app.config["WEBHOOK_WORKERS"])
        )
        dispatcher.start()
    return dispatcher


def dispatch_from_each_process(app: Flask) -> None:
    """Send webhooks from every process that serves the app, started by its first request (after any fork, so
    `gunicorn --preload` works too)."""

    def _start() -> None:
        start_dispatcher(app)  # a dictionary lookup once it runs

    app.before_request(_start)


def wake_dispatchers() -> None:
    """Called after a commit that put events into the outbox."""
    for dispatcher in list(_dispatchers.values()):
        dispatcher.wake()


def stop_dispatchers() -> None:
    for key, dispatcher in list(_dispatchers.items()):
        dispatcher.stop()
        _dispatchers.pop(key, None)
