"""Webhooks: signed deliveries from a durable outbox, retries with backoff, address checks, the dashboard log."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.errors import NotFound
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.surveys import services as survey_services
from feedback.touchpoints.models import Channel
from feedback.webhooks import delivery, services
from feedback.webhooks.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from tests.helpers import count
from tests.phone import PHONE, answer, take_invite


@pytest.fixture
def shop(app, make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """A workspace whose owner is known, with a flyer touchpoint showing the loyalty survey and its code."""
    owner = make_user()
    workspace = make_workspace("Rösterei", owner=owner)
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace), name="Flyer", channel=Channel.FLYER)
    survey_services.attach(touchpoint, survey_services.create_survey(workspace.id, "Treue", "loyalty"))
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    return workspace, owner, code


def _endpoint(workspace, url: str, events=("response.completed", "invite.accepted")) -> WebhookEndpoint:  # noqa: ANN001
    endpoint = services.create_endpoint(workspace.id, url, events, "CRM", None)
    db.session.commit()
    return endpoint


# --- signatures and addresses ----------------------------------------------------------------------------------


def test_signatures_verify_and_refuse_tampering_and_stale_times() -> None:
    body = b'{"type":"ping"}'
    header = delivery.sign("whsec_k", 1_800_000_000, body)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    assert delivery.verify("whsec_k", header, body, now=1_800_000_100)
    assert not delivery.verify("whsec_k", header, body + b" ", now=1_800_000_100)
    assert not delivery.verify("whsec_other", header, body, now=1_800_000_100)
    assert not delivery.verify("whsec_k", header, body, now=1_800_000_000 + 301)  # replayed later
    assert not delivery.verify("whsec_k", "v1=abc", body, now=1_800_000_000)
    rotated = delivery.sign("whsec_new", 1_800_000_000, body) + "," + header.split(",")[1]
    assert delivery.verify("whsec_k", rotated, body, now=1_800_000_000)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://crm.example.com/x",
        "crm.example.com/hook",
        "https://user:pw@crm.example.com/hook",
        "http://localhost:8080/hook",
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "https://crm.example.com:99999/",
    ],
)
def test_unusable_or_private_urls_are_refused(url: str) -> None:
    with pytest.raises(services.InvalidEndpoint):
        services.check_url(url, allow_private=False)


def test_public_urls_pass_and_the_operator_can_allow_private_ones() -> None:
    assert services.check_url(" https://crm.example.com/hooks?x=1 ", False) == "https://crm.example.com/hooks?x=1"
    assert services.check_url("http://127.0.0.1:8080/hook", allow_private=True) == "http://127.0.0.1:8080/hook"


def test_a_host_that_resolves_to_a_private_address_is_not_contacted(app, shop, receiver, monkeypatch) -> None:
    """Checked after DNS resolution: a public-looking name pointing inside is refused, the delivery fails for good."""
    workspace, _owner, _code = shop
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    endpoint = _endpoint(workspace, "https://crm.example.com/hook")
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host == "crm.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    services.ping(endpoint, utcnow())
    db.session.commit()
    assert delivery.run_once(app) == 1
    row = db.session.scalar(sa.select(WebhookDelivery))
    assert row.status == DeliveryStatus.FAILED.value and row.last_status is None
    assert "127.0.0.1, which is not a public address" in row.last_error
    assert receiver.requests == []


# --- the outbox --------------------------------------------------------------------------------------------------


def test_a_completed_survey_is_delivered_signed_even_after_a_restart(app, make_app, shop, receiver) -> None:
    """The event is written with the response; a fresh process (no dispatcher ran before) sends it, signed."""
    workspace, _owner, code = shop
    endpoint = _endpoint(workspace, receiver.url)
    visitor = app.test_client()
    answer(visitor, f"/t/{code.code}", nps="9")
    pending = db.session.scalar(sa.select(WebhookDelivery))
    assert pending.status == "pending" and pending.event == "response.completed" and receiver.requests == []

    restarted = make_app(WEBHOOKS_ALLOW_PRIVATE=True)  # as after a crash: only the database carries over
    assert delivery.run_once(restarted) == 1
    (request,) = receiver.wait_for(1)
    assert request.path == "/hooks/feedback" and request.headers["Content-Type"] == "application/json"
    assert delivery.verify(endpoint.secret, request.headers["Feedback-Signature"], request.body, now=time.time())
    body = json.loads(request.body)
    assert body["type"] == "response.completed" and body["workspace"] == workspace.slug
    assert body["id"] == request.headers["Feedback-Event-Id"]
    response = body["data"]["response"]
    assert response["code"] == code.code and response["answers"]["nps"] == 9 and response["completed_at"]
    assert response["campaign_id"] == code.touchpoint.campaign_id and response["reference"] is None
    db.session.commit()  # a fresh snapshot: the dispatcher wrote on its own connection
    done = db.session.get(WebhookDelivery, pending.id)
    assert (done.status, done.attempts, done.last_status) == ("delivered", 1, 204)
    assert delivery.run_once(restarted) == 0  # nothing twice


def test_failed_deliveries_are_retried_with_exponential_backoff_then_given_up(app, shop, receiver) -> None:
    workspace, _owner, _code = shop
    receiver.statuses = [500, 503, 200]
    endpoint = _endpoint(workspace, receiver.url)
    services.ping(endpoint, utcnow())
    db.session.commit()
    delivery.run_once(app)
    row = db.session.scalar(sa.select(WebhookDelivery))
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("pending", 1, 500, "HTTP 500")
    first_wait = (row.next_attempt_at - row.last_attempt_at).total_seconds()
    assert 27 <= first_wait <= 33
    assert delivery.run_once(app) == 0  # not due yet
    delivery.run_once(app, now=utcnow() + timedelta(seconds=40))
    db.session.commit()  # a fresh snapshot: the dispatcher wrote on its own connection
    row = db.session.get(WebhookDelivery, row.id)
    assert 54 <= (row.next_attempt_at - row.last_attempt_at).total_seconds() <= 66  # doubled
    delivery.run_once(app, now=utcnow() + timedelta(seconds=70))
    db.session.commit()  # a fresh snapshot: the dispatcher wrote on its own connection
    row = db.session.get(WebhookDelivery, row.id)
    assert (row.status, row.attempts, len(receiver.requests)) == ("delivered", 3, 3)
    assert len({r.headers["Feedback-Event-Id"] for r in receiver.requests}) == 1  # one event, three attempts

    receiver.statuses = [500]
    services.ping(endpoint, utcnow())
    db.session.commit()
    for attempt in range(delivery.MAX_ATTEMPTS):
        delivery.run_once(app, now=utcnow() + timedelta(days=attempt + 1))
    failed = db.session.scalar(sa.select(WebhookDelivery).where(WebhookDelivery.status == "failed"))
    assert failed is not None and failed.attempts == delivery.MAX_ATTEMPTS


def test_each_due_delivery_is_claimed_by_one_dispatcher_only(app, shop) -> None:
    workspace, _owner, _code = shop
    endpoint = _endpoint(workspace, "https://crm.example.com/hook")
    for _ in range(3):
        services.ping(endpoint, utcnow())
    db.session.commit()
    with db.engine.begin() as first:
        claimed = delivery._claim(first, utcnow(), per_endpoint=3, per_workspace=3)
    with db.engine.begin() as second:
        assert delivery._claim(second, utcnow(), per_endpoint=3, per_workspace=3) == []  # leased to the first
    with db.engine.begin() as later:  # the first crashed: after the lease the deliveries are due again
        after_the_lease = utcnow() + timedelta(seconds=delivery.LEASE_SECONDS + 1)
        assert sorted(delivery._claim(later, after_the_lease, per_endpoint=3, per_workspace=3)) == sorted(claimed)
    assert len(claimed) == 3


def test_no_event_leaves_when_its_transaction_rolls_back(app, shop) -> None:
    workspace, _owner, _code = shop
    _endpoint(workspace, "https://crm.example.com/hook")
    services.emit(workspace.id, Event.RESPONSE_COMPLETED, {"x": 1})
    db.session.rollback()
    assert count(WebhookDelivery) == 0


def test_the_dispatcher_thread_sends_within_moments_of_the_commit(app, shop, receiver) -> None:
    workspace, _owner, code = shop
    _endpoint(workspace, receiver.url)
    app.config["WEBHOOK_POLL_SECONDS"] = 60  # only the wake-up after the commit can be this quick
    dispatcher = delivery.start_dispatcher(app)
    assert dispatcher.idle.wait(timeout=30)  # its first round found nothing; it now sleeps for up to a minute
    answer(app.test_client(), f"/t/{code.code}")
    (request,) = receiver.wait_for(1, timeout=30)
    assert json.loads(request.body)["type"] == "response.completed"


# --- which events ----------------------------------------------------------------------------------------------


def test_scans_are_sent_only_to_endpoints_that_opted_in_and_never_for_bots(app, shop) -> None:
    workspace, _owner, code = shop
    _endpoint(workspace, "https://crm.example.com/a")
    visitor = app.test_client()
    visitor.get(f"/t/{code.code}", headers=PHONE)
    assert count(WebhookDelivery) == 0
    _endpoint(workspace, "https://crm.example.com/b", events=("code.scanned",))
    services.forget_subscribers(workspace.id)
    visitor.get(f"/t/{code.code}", headers=PHONE)
    visitor.get(f"/t/{code.code}", headers={"User-Agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"})
    rows = list(db.session.scalars(sa.select(WebhookDelivery)))
    assert [r.event for r in rows] == ["code.scanned"]
    scan = json.loads(rows[0].payload)["data"]["scan"]
    assert (
        scan["code"] == code.code and scan["touchpoint_id"] == code.touchpoint_id and scan["device_class"] == "mobile"
    )


def test_an_invited_friends_answer_fires_invite_accepted(app, shop) -> None:
    workspace, _owner, code = shop
    _endpoint(workspace, "https://crm.example.com/hook")
    referrer, friend = app.test_client(), app.test_client()
    link = take_invite(referrer, answer(referrer, f"/t/{code.code}")).replace("https://fb.example", "")
    answer(friend, link)
    events = [r.event for r in db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id))]
    assert events == ["response.completed", "response.completed", "invite.accepted"]
    accepted = json.loads(
        db.session.scalar(sa.select(WebhookDelivery.payload).where(WebhookDelivery.event == "invite.accepted"))
    )
    assert accepted["data"]["invite"]["code"] in link and accepted["data"]["response_id"]


def test_opening_an_invite_counts_a_scan_of_the_invite_but_sends_no_code_scanned(app, shop) -> None:
    """code.scanned is about printed codes: an invite link's open is a scan attributed to its invite, no event."""
    from feedback.qr.models import Scan
    from feedback.referrals.models import Invite

    workspace, _owner, code = shop
    referrer = app.test_client()
    link = take_invite(referrer, answer(referrer, f"/t/{code.code}")).replace("https://fb.example", "")
    _endpoint(workspace, "https://crm.example.com/scans", events=("code.scanned",))
    services.forget_subscribers(workspace.id)
    app.test_client().get(link, headers=PHONE)
    invite = db.session.scalar(sa.select(Invite))
    opened = db.session.scalar(sa.select(Scan).where(Scan.invite_id == invite.id))
    assert opened is not None and opened.touchpoint_id == code.touchpoint_id and opened.code_id == code.id
    assert count(WebhookDelivery) == 0


def test_paused_endpoints_get_nothing_new(app, shop) -> None:
    workspace, _owner, code = shop
    endpoint = _endpoint(workspace, "https://crm.example.com/hook")
    services.set_paused(endpoint, True, utcnow())
    db.session.commit()
    answer(app.test_client(), f"/t/{code.code}")
    assert count(WebhookDelivery) == 0


def test_a_change_that_names_one_setting_leaves_the_others(app, shop) -> None:
    workspace, _owner, _code = shop
    endpoint = _endpoint(workspace, "https://crm.example.com/hook")
    services.change_endpoint(workspace.id, endpoint.id, services.EndpointChanges(description="Vertrieb"), utcnow())
    assert (endpoint.url, endpoint.events, endpoint.description, endpoint.paused_at) == (
        "https://crm.example.com/hook",
        "response.completed invite.accepted",
        "Vertrieb",
        None,
    )
    now = utcnow()
    changes = services.EndpointChanges(url=None, events=["lead.qualified"], paused=True)
    services.change_endpoint(workspace.id, endpoint.id, changes, now)
    assert (endpoint.url, endpoint.events, endpoint.paused_at) == (
        "https://crm.example.com/hook",
        "lead.qualified",
        now,
    )


def test_a_change_checks_the_kept_url_again_and_finds_no_other_workspaces_endpoint(app, shop, make_workspace) -> None:
    workspace, _owner, _code = shop
    endpoint = _endpoint(workspace, "http://127.0.0.1:9/hook")  # allowed by this module's app
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    with pytest.raises(services.InvalidEndpoint):
        services.change_endpoint(workspace.id, endpoint.id, services.EndpointChanges(paused=True), utcnow())
    with pytest.raises(NotFound):
        services.change_endpoint(make_workspace().id, endpoint.id, services.EndpointChanges(paused=True), utcnow())
    assert endpoint.paused_at is None


# --- the dashboard ----------------------------------------------------------------------------------------------


def test_owners_add_webhooks_and_see_the_log_and_secret(app, client, auth, shop, receiver) -> None:
    workspace, owner, _code = shop
    auth.login(owner)
    base = f"/w/{workspace.slug}/webhooks"
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    bad = client.post(f"{base}/", data={"url": "http://localhost/x", "events": ["response.completed"]})
    assert bad.status_code == 422 and count(WebhookEndpoint) == 0
    assert "Webhooks cannot go to local or private addresses." in bad.get_data(as_text=True)
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    none = client.post(f"{base}/", data={"url": receiver.url})
    assert "Choose at least one event." in none.get_data(as_text=True) and count(WebhookEndpoint) == 0
    created = client.post(
        f"{base}/",
        data={
            "url": receiver.url,
            "description": "<script>alert(1)</script>",
            "events": ["response.completed", "code.scanned"],
        },
    )
    assert created.status_code == 302
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    assert endpoint.events == "response.completed code.scanned" and endpoint.secret.startswith("whsec_")
    page = client.get(created.headers["Location"])
    html = page.get_data(as_text=True)
    assert endpoint.secret in html and page.headers["Cache-Control"] == "no-store"
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    checked = set(re.findall(r'<input checked id="events-\d" name="events" type="checkbox" value="([a-z.]+)"', html))
    assert checked == {"response.completed", "code.scanned"}  # the settings form shows what is subscribed
    assert "t=TIME,v1=SIGNATURE" in html
    client.post(f"{base}/{endpoint.id}/ping")
    delivery.run_once(app)
    html = client.get(f"{base}/{endpoint.id}").get_data(as_text=True)
    assert "ping" in html and "delivered" in html and "HTTP 204" in html
    listing = client.get(f"{base}/").get_data(as_text=True)
    assert receiver.url in listing
    old_secret = endpoint.secret
    client.post(f"{base}/{endpoint.id}/rotate")
    db.session.commit()  # a fresh snapshot: the dispatcher wrote on its own connection
    assert db.session.get(WebhookEndpoint, endpoint.id).secret != old_secret
    failed = db.session.scalar(sa.select(WebhookDelivery))
    failed.status, failed.attempts = "failed", 12
    db.session.commit()
    client.post(f"{base}/deliveries/{failed.id}/retry")
    db.session.commit()  # a fresh snapshot: the dispatcher wrote on its own connection
    assert (db.session.get(WebhookDelivery, failed.id).status, db.session.get(WebhookDelivery, failed.id).attempts) == (
        "pending",
        0,
    )
    client.post(f"{base}/{endpoint.id}/delete", data={"confirm": "1"})
    assert count(WebhookEndpoint) == 0 and count(WebhookDelivery) == 0


def test_members_who_are_not_owners_see_the_log_but_not_the_secret(app, client, auth, shop, make_user) -> None:
    workspace, _owner, _code = shop
    endpoint = _endpoint(workspace, "https://crm.example.com/hook")
    editor = make_user()
    from feedback.auth.models import Membership

    db.session.add(Membership(user=editor, workspace=workspace, role=Role.EDITOR.value))
    db.session.commit()
    auth.login(editor)
    page = client.get(f"/w/{workspace.slug}/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "crm.example.com" in page and endpoint.secret not in page
    refused = client.post(f"/w/{workspace.slug}/webhooks/", data={"url": "https://x.example.com", "events": ["ping"]})
    assert refused.status_code == 403
    for action in ("ping", "rotate", "delete", "pause"):
        assert client.post(f"/w/{workspace.slug}/webhooks/{endpoint.id}/{action}").status_code == 403
    assert count(WebhookEndpoint) == 1 and count(WebhookDelivery) == 0


def test_the_run_command_sends_what_is_due(app, runner, shop, receiver) -> None:
    workspace, _owner, _code = shop
    endpoint = _endpoint(workspace, receiver.url)
    services.ping(endpoint, utcnow())
    db.session.commit()
    result = runner.invoke(args=["webhooks", "run", "--once"])
    assert result.exit_code == 0 and "1 delivery attempt(s)" in result.output
    assert json.loads(receiver.wait_for(1)[0].body)["type"] == "ping"


def test_the_readmes_verification_snippet_accepts_our_signatures() -> None:
    """Receivers copy the README's code: it must agree with what we send."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify"]
    body = b'{"type":"response.completed"}'
    header = delivery.sign("whsec_abc", int(time.time()), body)
    assert verify("whsec_abc", header, body) is True  # type: ignore[operator]
    assert verify("whsec_abc", header, body + b"x") is False  # type: ignore[operator]
