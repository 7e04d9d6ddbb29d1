"""Webhook endpoints, and events put into the outbox in the same transaction as what caused them.

An event is durable exactly when the write it reports is: `emit` adds outbox rows to the caller's session, and the
caller's commit stores both or neither. The dispatcher (feedback/webhooks/delivery.py) sends them afterwards.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypedDict
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.tenancy import get_owned, owned
from feedback.webhooks.models import SUBSCRIBABLE, DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint

MAX_URL = 2000
#: Deliveries shown per page of the log.
LOG_PAGE = 50


class InvalidEndpoint(DomainError):
    """The URL or the choice of events cannot be used."""

    status = 422
    message = _l("This webhook cannot be saved.")


class EndpointChanges(TypedDict, total=False):
    """Some settings of an endpoint (an API PATCH): a setting left out, or None, stays as it is."""

    url: str | None
    events: list[str] | None
    description: str | None
    #: True stops new events for the endpoint, False resumes them.
    paused: bool | None


def new_secret() -> str:
    """A signing secret: 256 random bits."""
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str, allow_private: bool) -> str:
    """The URL stripped, or InvalidEndpoint: http(s) only, a host name, no credentials, no private literal address.

    Host names are checked again after DNS resolution at each delivery (feedback/webhooks/delivery.py).
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidEndpoint(str(_l("This is not a valid URL."))) from None
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > MAX_URL:
        raise InvalidEndpoint(str(_l("Enter a full URL starting with https://.")))
    if parts.username or parts.password:
        raise InvalidEndpoint(str(_l("Leave credentials out of the URL; verify the signature instead.")))
    if port == 0:
        raise InvalidEndpoint(str(_l("This is not a valid URL.")))
    if not allow_private:
        host = parts.hostname
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if host == "localhost" or host.endswith(".localhost") or (literal is not None and not literal.is_global):
            raise InvalidEndpoint(
                str(_l("Webhooks cannot go to local or private addresses. The operator can allow them."))
            )
    return url


def _events(chosen: Iterable[str]) -> str:
    names = [e.value for e in SUBSCRIBABLE if e.value in set(chosen)]
    if not names:
        raise InvalidEndpoint(str(_l("Choose at least one event.")))
    return " ".join(names)


def create_endpoint(
    workspace_id: int, url: str, events: Iterable[str], description: str, user_id: int | None
) -> WebhookEndpoint:
    """A new endpoint with a fresh signing secret; the caller commits."""
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url=check_url(url, current_app.config["WEBHOOKS_ALLOW_PRIVATE"]),
        events=_events(events),
        description=description.strip()[:120],
        secret=new_secret(),
        created_by_id=user_id,
        created_at=utcnow(),
    )
    db.session.add(endpoint)
    db.session.flush()
    forget_subscribers(workspace_id)
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, url: str, events: Iterable[str], description: str) -> None:
    """Change where and what an endpoint receives; the caller commits."""
    endpoint.url = check_url(url, current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    endpoint.events = _events(events)
    endpoint.description = description.strip()[:120]
    forget_subscribers(endpoint.workspace_id)


def set_paused(endpoint: WebhookEndpoint, paused: bool, now: datetime) -> None:
    """Pause an endpoint (no new events, and what waits is held) or resume it (what waited goes out)."""
    endpoint.paused_at = now if paused else None
    forget_subscribers(endpoint.workspace_id)


def change_endpoint(workspace_id: int, endpoint_id: int, changes: EndpointChanges, now: datetime) -> WebhookEndpoint:
    """Change the given settings of one of the workspace's endpoints; the URL is checked again even when it stays.
    The caller commits.

    :param changes: the settings to change (see EndpointChanges); pausing takes effect at `now`.
    :raises NotFound: the endpoint is not one of this workspace's.
    :raises InvalidEndpoint: the URL is refused, or no event is chosen.
    """
    endpoint = get_endpoint(workspace_id, endpoint_id)
    url, events, description = changes.get("url"), changes.get("events"), changes.get("description")
    update_endpoint(
        endpoint,
        url if url is not None else endpoint.url,
        events if events is not None else endpoint.events.split(),
        description if description is not None else endpoint.description,
    )
    paused = changes.get("paused")
    if paused is not None:
        set_paused(endpoint, paused, now)
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """A new signing secret; deliveries from now on are signed with it."""
    endpoint.secret = new_secret()
    return endpoint.secret


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its log and whatever was still waiting for it."""
    forget_subscribers(endpoint.workspace_id)
    db.session.delete(endpoint)


def endpoints_of(workspace_id: int) -> list[WebhookEndpoint]:
    """The workspace's endpoints, oldest first."""
    return list(db.session.scalars(owned(WebhookEndpoint, workspace_id).order_by(WebhookEndpoint.id)))


def get_endpoint(workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint of the workspace or NotFound."""
    return get_owned(WebhookEndpoint, workspace_id, endpoint_id)


def delivery_counts(workspace_id: int) -> dict[int, dict[str, int]]:
    """Per endpoint: deliveries by status (GROUP BY in the database)."""
    rows = db.session.execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count())
        .where(WebhookDelivery.workspace_id == workspace_id)
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, n in rows:
        counts.setdefault(endpoint_id, {})[status] = n
    return counts


def deliveries_of(
    endpoint: WebhookEndpoint, status: str | None, before: int | None
) -> tuple[list[WebhookDelivery], int | None]:
    """One page of the endpoint's log, newest first, and the id to continue before (None at the end)."""
    query = owned(WebhookDelivery, endpoint.workspace_id, WebhookDelivery.endpoint_id == endpoint.id)
    if status in {s.value for s in DeliveryStatus}:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = list(db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(LOG_PAGE + 1)))
    more = len(rows) > LOG_PAGE
    rows = rows[:LOG_PAGE]
    return rows, rows[-1].id if more and rows else None


def get_delivery(workspace_id: int, delivery_id: int) -> WebhookDelivery:
    """One delivery of the workspace or NotFound."""
    return get_owned(WebhookDelivery, workspace_id, delivery_id)


def retry_now(delivery: WebhookDelivery, now: datetime) -> None:
    """Send a waiting or given-up delivery again at once (with a fresh round of attempts); the caller commits.
    A delivered or cancelled one stays as it is."""
    if delivery.status in (DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value):
        delivery.status = DeliveryStatus.PENDING.value
        delivery.next_attempt_at = now
        delivery.attempts = 0
        _wake_after_commit()


# --- events ------------------------------------------------------------------------------------------------------


def envelope(event: str, event_id: str, workspace_slug: str, created_at: datetime, data: dict[str, Any]) -> str:
    """The JSON body receivers get: what happened, when, in which workspace, and the data."""
    body = {
        "id": event_id,
        "type": event,
        "created_at": created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "workspace": workspace_slug,
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def _subscribed(workspace_id: int, event: str) -> list[WebhookEndpoint]:
    return [
        e
        for e in db.session.scalars(owned(WebhookEndpoint, workspace_id, WebhookEndpoint.paused_at.is_(None)))
        if e.listens_to(event)
    ]


def listened_to(workspace_id: int, event: Event) -> bool:
    """Whether an active endpoint of the workspace wants the event now (one small query, no cache)."""
    rows = db.session.execute(
        sa.select(WebhookEndpoint.events).where(
            WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.paused_at.is_(None)
        )
    )
    return any(event.value in (events or "").split() for (events,) in rows)


def emit(
    workspace_id: int,
    event: Event,
    data: dict[str, Any],
    now: datetime | None = None,
    response_id: int | None = None,
    contact_id: int | None = None,
) -> int:
    """Put the event into the outbox for every endpoint that listens, in the caller's transaction; how many.

    :param response_id: the response whose answers `data` carries, :param contact_id: the contact whose details it
        carries: erasing either erases the body (`erase_deliveries`).
    """
    endpoints = _subscribed(workspace_id, event.value)
    if endpoints:
        _queue(workspace_id, [e.id for e in endpoints], event, data, now or utcnow(), response_id, contact_id)
    return len(endpoints)


def ping(endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    """A test event for one endpoint; the caller commits."""
    (delivery,) = _queue(endpoint.workspace_id, [endpoint.id], Event.PING, {"endpoint_id": endpoint.id}, now)
    return delivery


def _queue(
    workspace_id: int,
    endpoint_ids: list[int],
    event: Event,
    data: dict[str, Any],
    now: datetime,
    response_id: int | None = None,
    contact_id: int | None = None,
) -> list[WebhookDelivery]:
    """One outbox row per endpoint, all with the same event id and body."""
    from feedback.auth.models import Workspace

    slug = db.session.scalar(sa.select(Workspace.slug).where(Workspace.id == workspace_id)) or ""
    event_id = str(uuid.uuid4())
    payload = envelope(event.value, event_id, slug, now, data)
    rows = [
        WebhookDelivery(
            workspace_id=workspace_id,
            endpoint_id=endpoint_id,
            event=event.value,
            event_id=event_id,
            payload=payload,
            status=DeliveryStatus.PENDING.value,
            created_at=now,
            next_attempt_at=now,
            response_id=response_id,
            contact_id=contact_id,
        )
        for endpoint_id in endpoint_ids
    ]
    db.session.add_all(rows)
    db.session.flush()
    _wake_after_commit()
    return rows


#: The `data` of a delivery whose response or contact was erased.
ERASED: dict[str, Any] = {"erased": True}


def erased_envelope(payload: str) -> str:
    """The body with its data erased: the event's id, type, time and workspace stay, so the log still tells what
    was sent when (and receivers could match it to what they got)."""
    try:
        body = json.loads(payload)
    except ValueError:
        body = {}
    kept = {key: body.get(key) for key in ("id", "type", "created_at", "workspace")}
    return json.dumps({**kept, "data": ERASED}, ensure_ascii=False, separators=(",", ":"))


def erase_deliveries(workspace_id: int, response_id: int | None = None, contact_id: int | None = None) -> int:
    """Erase the bodies of the deliveries that carry a deleted response's answers or an erased contact's details,
    and cancel those not delivered yet (waiting, retrying or given up), so none of them is ever sent again; how many
    were cancelled. The caller commits.

    An attempt already on its way when the erasure commits may still arrive; the dispatcher neither sends a
    cancelled delivery nor records an outcome over the cancellation (feedback/webhooks/delivery.py).
    """
    if response_id is not None:
        whose = WebhookDelivery.response_id == response_id
    elif contact_id is not None:
        whose = WebhookDelivery.contact_id == contact_id
    else:
        return 0
    carriers = owned(WebhookDelivery, workspace_id, whose)
    bodies = db.session.execute(
        carriers.with_only_columns(WebhookDelivery.event_id, WebhookDelivery.payload).distinct()
    ).all()
    for event_id, payload in bodies:  # one body per event, shared by its endpoints' deliveries
        db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.workspace_id == workspace_id, whose, WebhookDelivery.event_id == event_id)
            .values(payload=erased_envelope(payload))
            .execution_options(synchronize_session=False)
        )
    cancelled = db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.workspace_id == workspace_id,
            whose,
            WebhookDelivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value]),
        )
        .values(status=DeliveryStatus.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    return cancelled.rowcount or 0


def _wake_after_commit() -> None:
    """Ask the session to wake this process's dispatcher once the events are committed (not before)."""
    db.session.info["webhooks_wake"] = True


# --- scans: the hot path asks a cached question ----------------------------------------------------------------

_SCAN_CACHE_SECONDS = 10.0
#: Where an app keeps its answers by workspace (app.extensions): (taken at, whether code.scanned is wanted).
SCAN_SUBSCRIBERS = "feedback.scan_subscribers"
_scan_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Give the app its (empty) cache of who wants code.scanned."""
    app.extensions[SCAN_SUBSCRIBERS] = {}


def has_scan_subscribers(workspace_id: int) -> bool:
    """Whether any active endpoint of the workspace wants code.scanned; cached for a few seconds per process, so
    the scan path does not pay a query per scan."""
    now = time.monotonic()
    cache: dict[int, tuple[float, bool]] = current_app.extensions[SCAN_SUBSCRIBERS]
    with _scan_lock:
        cached = cache.get(workspace_id)
    if cached is not None and now - cached[0] < _SCAN_CACHE_SECONDS:
        return cached[1]
    with db.engine.connect() as connection:
        found = any(
            Event.CODE_SCANNED.value in (events or "").split()
            for (events,) in connection.execute(
                sa.select(WebhookEndpoint.events).where(
                    WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.paused_at.is_(None)
                )
            )
        )
    with _scan_lock:
        cache[workspace_id] = (now, found)
    return found


def forget_subscribers(workspace_id: int | None = None) -> None:
    """Drop the app's cached answer after a change (other processes notice within the cache time); without a
    workspace, every cached answer."""
    cache: dict[int, tuple[float, bool]] = current_app.extensions[SCAN_SUBSCRIBERS]
    with _scan_lock:
        if workspace_id is None:
            cache.clear()
        else:
            cache.pop(workspace_id, None)


def scan_deliveries(connection: sa.Connection, workspace_id: int, data: dict[str, Any], now: datetime) -> int:
    """Outbox rows for a scan, written on the scan's own connection and transaction; how many."""
    from feedback.auth.models import Workspace

    endpoints = [
        (endpoint_id, events)
        for endpoint_id, events in connection.execute(
            sa.select(WebhookEndpoint.id, WebhookEndpoint.events).where(
                WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.paused_at.is_(None)
            )
        )
        if Event.CODE_SCANNED.value in events.split()
    ]
    if not endpoints:
        return 0
    slug = connection.scalar(sa.select(Workspace.slug).where(Workspace.id == workspace_id)) or ""
    event_id = str(uuid.uuid4())
    payload = envelope(Event.CODE_SCANNED.value, event_id, slug, now, data)
    connection.execute(
        sa.insert(WebhookDelivery),
        [
            {
                "workspace_id": workspace_id,
                "endpoint_id": endpoint_id,
                "event": Event.CODE_SCANNED.value,
                "event_id": event_id,
                "payload": payload,
                "status": DeliveryStatus.PENDING.value,
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "last_error": "",
            }
            for endpoint_id, _events in endpoints
        ],
    )
    return len(endpoints)


def purge_delivered(now: datetime, keep_days: int) -> int:
    """Forget delivered and given-up deliveries older than `keep_days` (the log keeps recent ones)."""
    cutoff = now - timedelta(days=keep_days)
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            result = connection.execute(
                sa.delete(WebhookDelivery).where(
                    WebhookDelivery.status != DeliveryStatus.PENDING.value, WebhookDelivery.created_at < cutoff
                )
            )
    return result.rowcount or 0
