"""One workspace cannot stall another's webhooks: deliveries run side by side, at most a few per endpoint, and an
endpoint that keeps failing rests for a while (its deliveries wait, none is given up)."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.webhooks import delivery, services
from feedback.webhooks.models import WebhookDelivery, WebhookEndpoint


class Timeline:
    """What happened, in the order it happened, across the receivers' threads."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self._lock = threading.Lock()

    def add(self, event: str) -> None:
        with self._lock:
            self.events.append(event)

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.events)


class SilentReceiver:
    """Accepts connections and never answers. A connection the sender gives up on (its read timed out) is
    "A gave up"; `hang_up()` closes every connection it holds, and from then on each one at once."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/hooks"
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._hung_up = threading.Event()
        self._connected = threading.Condition(self._lock)
        self.held_at_most = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._server.accept()
            except OSError:
                return  # closed
            if self._hung_up.is_set():
                connection.close()
                continue
            self.timeline.add("A connected")
            with self._connected:
                self._held.append(connection)
                self.held_at_most = max(self.held_at_most, len(self._held))
                self._connected.notify_all()
            threading.Thread(target=self._until_the_sender_gives_up, args=(connection,), daemon=True).start()

    def _until_the_sender_gives_up(self, connection: socket.socket) -> None:
        try:
            while connection.recv(65536):  # the request, then nothing until the sender closes
                pass
        except OSError:
            pass
        if not self._hung_up.is_set():
            self.timeline.add("A gave up")

    def wait_for_held(self, count: int, timeout: float = 30.0) -> None:
        """Return once `count` connections hang at the same time (`timeout` only ends a wait that failed)."""
        with self._connected:
            assert self._connected.wait_for(lambda: len(self._held) >= count, timeout=timeout)

    def hang_up(self) -> None:
        self._hung_up.set()
        with self._lock:
            held, self._held = self._held, []
        for connection in held:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # close() alone waits for the thread reading it
            except OSError:
                pass
            connection.close()

    def close(self) -> None:
        self.hang_up()
        self._server.close()


@pytest.fixture
def timeline() -> Timeline:
    return Timeline()


@pytest.fixture
def silent(timeline):  # noqa: ANN001, ANN201
    found = SilentReceiver(timeline)
    yield found
    found.close()


def _fresh(endpoint: WebhookEndpoint) -> None:
    db.session.commit()  # a fresh snapshot: the dispatcher writes on its own connections
    db.session.refresh(endpoint)


def _deliveries(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    db.session.commit()  # a fresh snapshot: the dispatcher writes on its own connections
    return list(db.session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)))


def test_a_receiver_that_never_answers_does_not_hold_up_another_workspaces_webhooks(
    app, client, auth, make_user, make_workspace, receiver, silent, timeline, monkeypatch
) -> None:
    monkeypatch.setattr(delivery, "READ_TIMEOUT", 3.0)  # A's attempts end after this; B must not wait for that
    owner = make_user()
    workspace = make_workspace("A", owner=owner)
    stuck = services.create_endpoint(workspace.id, silent.url, ["response.completed"], "", None)
    fine = services.create_endpoint(make_workspace("B").id, receiver.url, ["response.completed"], "", None)
    db.session.commit()
    earlier = utcnow() - timedelta(minutes=1)
    for _ in range(20):
        services.ping(stuck, earlier)  # A's twenty are first in line
    services.ping(fine, utcnow())
    db.session.commit()
    record = receiver.record

    def noted(request):  # noqa: ANN001, ANN202
        timeline.add("B received")
        return record(request)

    receiver.record = noted  # type: ignore[method-assign]

    dispatcher = delivery.start_dispatcher(app)
    receiver.wait_for(1, timeout=30)
    silent.wait_for_held(delivery.PER_ENDPOINT)  # A's requests hang side by side with B's
    happened = timeline.snapshot()
    assert "A gave up" not in happened[: happened.index("B received")]  # B arrived before A's first timeout

    silent.hang_up()  # A fails fast from now on: its breaker opens after a few failures in a row
    assert dispatcher.idle.wait(timeout=30)
    assert silent.held_at_most == delivery.PER_ENDPOINT
    a = _deliveries(stuck)
    assert {d.status for d in a} == {"pending"}  # waiting, not given up
    assert sum(d.attempts for d in a) < 20 and any(d.attempts == 0 for d in a)  # the rest were never tried
    _fresh(stuck)
    assert stuck.failures >= delivery.BREAKER_FAILURES and stuck.suspended_until > utcnow()
    assert [d.status for d in _deliveries(fine)] == ["delivered"]

    auth.login(owner)
    page = client.get(f"/w/{workspace.slug}/webhooks/{stuck.id}").get_data(as_text=True)
    assert "Paused automatically after repeated failures until" in page
    listing = client.get(f"/w/{workspace.slug}/webhooks/").get_data(as_text=True)
    assert "paused automatically" in listing


def test_an_endpoint_that_keeps_failing_rests_then_gets_one_try_and_recovers(app, make_workspace, receiver) -> None:
    """After BREAKER_FAILURES failures in a row the endpoint is left alone until its rest ends; then one delivery
    tries it, and when that one arrives the others follow. Nothing is given up meanwhile."""
    receiver.statuses = [500]
    endpoint = services.create_endpoint(make_workspace().id, receiver.url, ["response.completed"], "", None)
    for _ in range(8):
        services.ping(endpoint, utcnow())
    db.session.commit()
    now = utcnow()
    assert delivery.run_once(app, now=now) == delivery.PER_ENDPOINT  # eight are due, two go at a time
    while delivery.run_once(app, now=now):
        pass
    _fresh(endpoint)
    assert endpoint.failures >= delivery.BREAKER_FAILURES and endpoint.suspended_until is not None
    tried = len(receiver.requests)
    assert delivery.BREAKER_FAILURES <= tried < 8  # the rest were not tried
    assert {d.status for d in _deliveries(endpoint)} == {"pending"}
    rest = endpoint.suspended_until
    assert delivery.run_once(app, now=rest - timedelta(seconds=1)) == 0

    receiver.statuses = [204]
    assert delivery.run_once(app, now=rest + timedelta(seconds=1)) == 1  # one try while on probation
    _fresh(endpoint)
    assert (endpoint.failures, endpoint.suspended_until) == (0, None)
    while delivery.run_once(app, now=rest + timedelta(minutes=10)):
        pass
    assert {d.status for d in _deliveries(endpoint)} == {"delivered"}
    assert len(receiver.requests) == tried + 8


def test_a_failed_try_on_probation_makes_the_endpoint_rest_again(app, make_workspace, receiver) -> None:
    receiver.statuses = [503]
    endpoint = services.create_endpoint(make_workspace().id, receiver.url, ["response.completed"], "", None)
    for _ in range(delivery.BREAKER_FAILURES + 2):
        services.ping(endpoint, utcnow())
    db.session.commit()
    while delivery.run_once(app):
        pass
    _fresh(endpoint)
    failures, first_rest = endpoint.failures, endpoint.suspended_until
    assert delivery.run_once(app, now=first_rest + timedelta(seconds=1)) == 1
    _fresh(endpoint)
    assert endpoint.failures == failures + 1
    assert delivery.run_once(app, now=endpoint.suspended_until - timedelta(seconds=1)) == 0  # resting again
    assert {d.status for d in _deliveries(endpoint)} == {"pending"}


def test_a_claim_takes_two_per_endpoint_and_looks_past_a_long_queue(app, make_workspace) -> None:
    """Twenty deliveries of one endpoint, first in line, do not hide the one of another endpoint behind them."""
    crowded = services.create_endpoint(make_workspace().id, "https://a.example.com/", ["response.completed"], "", None)
    quiet = services.create_endpoint(make_workspace().id, "https://b.example.com/", ["response.completed"], "", None)
    for _ in range(20):
        services.ping(crowded, utcnow() - timedelta(minutes=1))
    services.ping(quiet, utcnow())
    db.session.commit()
    with db.engine.begin() as connection:
        claimed = delivery._claim(connection, utcnow(), room=8, in_flight={crowded.id: 1})
    assert sorted(claim.endpoint_id for claim in claimed) == [crowded.id, quiet.id]  # one more for the crowded one


def test_a_workspace_with_many_endpoints_holds_at_most_two_threads(app, make_workspace) -> None:
    """Four endpoints of one workspace to receivers that never answer would take every thread at two apiece: the
    workspace's limit leaves the rest to the others."""
    crowded, quiet = make_workspace(), make_workspace()
    endpoints = [
        services.create_endpoint(crowded.id, f"https://a{n}.example.com/", ["response.completed"], "", None)
        for n in range(4)
    ]
    other = services.create_endpoint(quiet.id, "https://b.example.com/", ["response.completed"], "", None)
    for endpoint in endpoints:
        for _ in range(3):
            services.ping(endpoint, utcnow() - timedelta(minutes=1))
    services.ping(other, utcnow())
    db.session.commit()
    with db.engine.begin() as connection:
        claimed = delivery._claim(connection, utcnow(), room=8)
    mine = [c for c in claimed if c.endpoint_id != other.id]
    assert len(mine) == delivery.PER_WORKSPACE and other.id in {c.endpoint_id for c in claimed}
    with db.engine.begin() as connection:  # with those two still in flight, the workspace gets nothing more
        in_flight = Counter(c.endpoint_id for c in mine)
        again = delivery._claim(connection, utcnow() + timedelta(hours=1), room=8, in_flight=in_flight)
    assert [c for c in again if c.endpoint_id != other.id] == []


def test_a_paused_endpoint_holds_what_waits_until_it_is_resumed(app, make_workspace, receiver) -> None:
    endpoint = services.create_endpoint(make_workspace().id, receiver.url, ["response.completed"], "", None)
    services.ping(endpoint, utcnow())
    services.set_paused(endpoint, True, utcnow())
    db.session.commit()
    assert delivery.run_once(app, now=utcnow()) == 0 and receiver.requests == []
    assert {d.status for d in _deliveries(endpoint)} == {"pending"}
    _fresh(endpoint)
    services.set_paused(endpoint, False, utcnow())
    db.session.commit()
    assert delivery.run_once(app, now=utcnow()) == 1 and len(receiver.requests) == 1
