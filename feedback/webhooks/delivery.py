"""Sending webhooks: signatures, the address check after DNS resolution, retries with backoff, the dispatcher.

Deliveries are claimed from the outbox with a lease (next_attempt_at moves past the attempt), so several processes
can dispatch side by side and a crash in mid-attempt only means the delivery is tried again after the lease: every
event arrives at least once; receivers deduplicate by its id.
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
import urllib3
from flask import Flask

from feedback.db_types import utcnow
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
BATCH = 20
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


def _claim(connection: sa.Connection, now: datetime) -> list[int]:
    """Take up to BATCH due deliveries by moving their due time past a lease (compare-and-set per row)."""
    due = connection.execute(
        sa.select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING.value, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(BATCH)
    ).all()
    claimed = []
    lease = now + timedelta(seconds=LEASE_SECONDS)
    for delivery_id, due_at in due:
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
            claimed.append(delivery_id)
    return claimed


def _write(statement: sa.Executable) -> None:
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            connection.execute(statement)


def attempt(delivery_id: int, allow_private: bool) -> Outcome | None:
    """Send one claimed delivery and record the outcome; None when it vanished meanwhile (endpoint deleted) or was
    cancelled (what it reported was erased)."""
    with db.engine.connect() as connection:
        row = connection.execute(
            sa.select(
                WebhookDelivery.payload,
                WebhookDelivery.attempts,
                WebhookDelivery.event,
                WebhookDelivery.event_id,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.PENDING.value)
        ).first()
    if row is None:
        return None
    payload, attempts, event, event_id, url, secret = row
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
        .values(**values)
    )
    if not outcome.ok:
        log.info("webhook delivery %s failed (attempt %s): %s", delivery_id, attempts, outcome.error)
    return outcome


def run_once(app: Flask, now: datetime | None = None) -> int:
    """Send what is due now; how many attempts were made."""
    with app.app_context():
        now = now or utcnow()
        with db.engine.connect() as connection:
            connection = connection.execution_options(sqlite_immediate=True)
            with connection.begin():
                claimed = _claim(connection, now)
        allow_private = bool(app.config["WEBHOOKS_ALLOW_PRIVATE"])
        for delivery_id in claimed:
            attempt(delivery_id, allow_private)
        return len(claimed)


class Dispatcher:
    """A daemon thread per process that sends due deliveries, woken at once after a commit that emitted events."""

    def __init__(self, app: Flask, poll_seconds: float) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        #: Set while the thread waits for a wake-up or the next poll: the outbox had nothing more that was due.
        self.idle = threading.Event()
        self._thread: threading.Thread | None = None
        self._purged: datetime | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=READ_TIMEOUT + CONNECT_TIMEOUT + 1)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the round: a wake-up during it makes the wait below return at once
            try:
                sent = run_once(self.app)
                self._purge()
            except Exception:  # the thread must survive a database hiccup; it tries again on the next round
                log.exception("webhook dispatcher round failed")
                sent = 0
            if sent < BATCH:  # a full batch: more may be due at once
                self.idle.set()
                self._wake.wait(self.poll_seconds)
                self.idle.clear()

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
        dispatcher = _dispatchers[key] = Dispatcher(app, float(app.config["WEBHOOK_POLL_SECONDS"]))
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
