"""The cluster as a whole (scripts/cluster.py): HAProxy in front of two instances installed from the wheel, the local
PostgreSQL as primary with a streaming replica, Redis for the shared limits. Scans and survey submits through the
load balancer while one instance is killed with SIGKILL and restarted and while the replica is stopped lose and double
nothing acknowledged; the unknown-code and login limits hold across both instances; a code paused on one instance
is served paused by the other within the fast lane's bound; both instances use the day's one salt.

Runs in the PostgreSQL suite (TEST_DATABASE_URL on the local server); CI passes the wheel's venv in CLUSTER_VENV."""

from __future__ import annotations

import html
import http.client
import http.cookiejar
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from bench.load import PHONE_UA
from scripts import cluster

PRIMARY = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        not PRIMARY.startswith("postgresql") or ":5432/" not in PRIMARY,
        reason="needs the suite on the local PostgreSQL (TEST_DATABASE_URL): the cluster streams it to a replica",
    ),
]
LAYOUT = cluster.Layout(
    folder=cluster.ROOT / ".cluster" / "test", port=8200, replica_port=5433, database="feedback_cluster_test"
)
PASSWORD = "cluster-password-1"
#: A member who edits the survey, from an address of its own (the login limits test counts 127.0.0.1's attempts).
EDITOR, EDITOR_ADDRESS = "editor@example.com", "198.51.100.7"


@dataclass
class Story:
    """What the tests use: the data's ids, the API tokens and the primary's engine."""

    env: dict[str, str]
    engine: sa.Engine
    code: str
    code_id: int
    other_code: str
    other_code_id: int
    version_id: int
    write_token: str
    read_token: str
    slug: str
    survey_id: int
    extra: dict[str, Any] = field(default_factory=dict)


def _data(env: dict[str, str]) -> dict[str, Any]:
    """A workspace with a survey touchpoint and two codes, and API tokens (written through the app's services)."""
    from feedback import create_app
    from feedback.api import services as api_services
    from feedback.api.models import Scope
    from feedback.auth import services as auth
    from feedback.auth.models import Membership, Role
    from feedback.db_types import utcnow
    from feedback.extensions import db
    from feedback.qr import services as qr
    from feedback.respondent import respond
    from feedback.surveys import services as surveys
    from feedback.touchpoints import services as tp
    from feedback.touchpoints.models import Channel, Phase

    app = create_app({"ENVIRON": env})
    with app.app_context():
        user = auth.create_user("cluster@example.com", PASSWORD)
        workspace = auth.create_workspace("Cluster GmbH", user)
        campaign = tp.create_campaign(workspace.id, tp.CampaignData(name="Messe"))
        touchpoint = tp.create_touchpoint(campaign, tp.TouchpointData("Stand", Channel.TRADE_FAIR, Phase.AWARENESS))
        survey = surveys.create_survey(workspace.id, "Kurz", "nps-reason")
        surveys.attach(touchpoint, survey)
        db.session.add(Membership(user=auth.create_user(EDITOR, PASSWORD), workspace=workspace, role=Role.EDITOR.value))
        code, other = qr.create_code(touchpoint), qr.create_code(touchpoint)
        _w, write = api_services.create_token(workspace.id, "ops", Scope.WRITE, user.id, utcnow())
        _r, read = api_services.create_token(workspace.id, "bi", Scope.READ, user.id, utcnow())
        db.session.commit()
        found = {
            "code": code.code,
            "code_id": code.id,
            "other_code": other.code,
            "other_code_id": other.id,
            "version_id": respond.current_version(touchpoint).id,
            "write_token": write,
            "read_token": read,
            "slug": workspace.slug,
            "survey_id": survey.id,
        }
        db.session.remove()
        db.engine.dispose()
    return found


@pytest.fixture(scope="module")
def story() -> Iterator[Story]:
    """The cluster, up for this module, on a database of its own."""
    from feedback.config import normalise_database_url

    python, env = cluster.prepare(LAYOUT, fresh=True)
    import redis

    redis.Redis.from_url(LAYOUT.redis_url).flushdb()
    found = _data(env)
    cluster.instances_up(LAYOUT, python)
    cluster.haproxy_up(LAYOUT)
    engine = sa.create_engine(normalise_database_url(LAYOUT.primary_url))
    try:
        yield Story(env=env, engine=engine, extra={"python": python}, **found)
    finally:
        engine.dispose()
        cluster.stop_and_drop(LAYOUT)
        cluster.replica_down(LAYOUT)


def _request(port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> tuple:
    """One request on a connection of its own: (status, headers, body text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers={"User-Agent": PHONE_UA, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def _signed_forms(story: Story, count: int) -> list[tuple[str, str]]:
    """`count` survey forms of the code, each with its own token, shown two minutes ago: (token, body)."""
    from feedback import create_app
    from feedback.respondent import respond
    from feedback.respondent.pages import sign_state

    app = create_app({"ENVIRON": story.env})
    forms = []
    with app.app_context():
        for _ in range(count):
            token = respond.new_token()
            state = respond.FormState(token, story.version_id, None, story.code_id, time.time() - 120)
            forms.append((token, urllib.parse.urlencode({"state": sign_state(state), "page": "0", "q_nps": "9"})))
        from feedback.extensions import db

        db.engine.dispose()
    return forms


class Load:
    """Clients scanning and submitting through the load balancer; what was acknowledged."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.scans: list[str] = []
        self.submits: list[str] = []
        self.errors = 0
        self.forms = _signed_forms(story, 400)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._scan) for _ in range(6)]
        self._threads += [threading.Thread(target=self._submit) for _ in range(2)]
        self.progress = threading.Condition()

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _note(self, into: list[str] | None, value: str) -> None:
        with self._lock:
            if into is None:
                self.errors += 1
            else:
                into.append(value)
        with self.progress:
            self.progress.notify_all()

    def _scan(self) -> None:
        while not self._stop.is_set():
            cookie_id = uuid.uuid4().hex
            try:
                cookie = {"Cookie": f"fb_vid={cookie_id}"}
                status, _h, _b = _request(LAYOUT.port, "GET", f"/t/{self.story.code}", headers=cookie)
            except (OSError, http.client.HTTPException):
                self._note(None, "")
                continue
            self._note(self.scans if status == 200 else None, cookie_id)

    def _submit(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not self.forms:
                    return
                token, body = self.forms.pop()
            try:
                status, headers, _b = _request(
                    LAYOUT.port,
                    "POST",
                    f"/t/{self.story.code}",
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
            except (OSError, http.client.HTTPException):
                self._note(None, "")
                continue
            self._note(self.submits if status == 303 and "/thanks" in headers.get("Location", "") else None, token)

    def wait_for_more(self, scans: int, submits: int, timeout: float = 120) -> None:
        """Until this many more scans and submits are acknowledged (an event: clients counting answers)."""
        with self._lock:
            want = (len(self.scans) + scans, len(self.submits) + submits)
        deadline = time.monotonic() + timeout
        with self.progress:
            while len(self.scans) < want[0] or (len(self.submits) < want[1] and self.forms):
                left = deadline - time.monotonic()
                assert left > 0, f"acknowledged {len(self.scans)} scans, {len(self.submits)} submits; wanted {want}"
                self.progress.wait(left)


def test_sigkill_of_an_instance_and_a_stopped_replica_lose_no_acknowledged_write(story: Story) -> None:
    from feedback.qr.visitors import visitor_key_for_cookie

    api_read = {"Authorization": f"Bearer {story.read_token}"}
    with Load(story) as load:
        load.wait_for_more(30, 10)
        cluster.instance_kill(LAYOUT, 1, signal.SIGKILL)  # the whole instance, master and workers, as a crash
        load.wait_for_more(30, 10)  # served by the other instance meanwhile
        cluster.instance_up(LAYOUT, 1, story.extra["python"])
        cluster.replica_down(LAYOUT)
        load.wait_for_more(30, 10)
        status, _h, body = _request(LAYOUT.port, "GET", "/api/v1/campaigns", headers=api_read)
        assert status == 200, body  # reads fall back to the primary
        cluster.replica_up(LAYOUT)
        load.wait_for_more(30, 10)
    secret = story.env["SECRET_KEY"]
    wanted = {visitor_key_for_cookie(cookie_id, secret) for cookie_id in load.scans}
    with story.engine.connect() as connection:
        stored = dict(
            connection.execute(
                sa.text("SELECT visitor_key, count(*) FROM scan WHERE code_id = :code GROUP BY visitor_key"),
                {"code": story.code_id},
            ).all()
        )
        completed = dict(
            connection.execute(
                sa.text("SELECT token, count(*) FROM response WHERE completed_at IS NOT NULL GROUP BY token")
            ).all()
        )
    assert wanted - stored.keys() == set(), "acknowledged scans missing"
    assert all(stored[key] == 1 for key in wanted), "an acknowledged scan stored twice"
    assert set(load.submits) <= completed.keys(), "acknowledged survey submits missing"
    assert all(n == 1 for n in completed.values())


def test_unknown_code_and_login_limits_hold_across_both_instances(story: Story) -> None:
    statuses = [_request(LAYOUT.port, "GET", f"/t/NOSUCH{i:03d}")[0] for i in range(70)]
    assert statuses.count(404) == 60 and statuses.count(429) == 10  # UNKNOWN_CODE_LIMIT: 60 per minute
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{LAYOUT.port}"
    answers = []
    for _ in range(12):
        page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, page[:500]
        data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": "cluster@example.com", "password": "no"})
        try:
            answers.append(opener.open(f"{base}/login", data=data.encode()).status)
        except urllib.error.HTTPError as refused:
            answers.append(refused.code)
    assert answers.count(429) == 2 and len([a for a in answers if a != 429]) == 10  # LOGIN_RATE_LIMIT: 10 per minute


def test_a_code_paused_on_one_instance_is_served_paused_by_the_other_within_the_bound(story: Story) -> None:
    from feedback.qr.fastpath import MAX_AGE_SECONDS

    one, two = LAYOUT.instance_ports
    path = f"/t/{story.other_code}"
    assert 'name="state"' in _request(two, "GET", path, headers={"Cookie": "fb_vid=" + uuid.uuid4().hex})[2]
    status, _h, body = _request(
        one,
        "PATCH",
        f"/api/v1/codes/{story.other_code_id}",
        '{"paused": true}',
        {"Authorization": f"Bearer {story.write_token}", "Content-Type": "application/json"},
    )
    assert status == 200, body
    time.sleep(MAX_AGE_SECONDS)  # the documented bound itself: after it, no instance may serve the old answer
    status, _h, body = _request(two, "GET", path, headers={"Cookie": "fb_vid=" + uuid.uuid4().hex})
    assert status == 200 and 'name="state"' not in body


def test_a_survey_edited_on_one_instance_is_served_by_the_other_within_the_bound(story: Story) -> None:
    one, two = LAYOUT.instance_ports
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("X-Forwarded-For", EDITOR_ADDRESS), ("Accept-Language", "de")]
    base = f"http://127.0.0.1:{one}"

    def token(path: str) -> str:
        page = opener.open(base + path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())
        assert found and page.url.endswith(path), f"{path} led to {page.url}"  # not sent to the login
        return found.group(1)

    login = {"csrf_token": token("/login"), "email": EDITOR, "password": PASSWORD}
    assert opener.open(f"{base}/login", data=urllib.parse.urlencode(login).encode()).status == 200
    edit = f"/w/{story.slug}/surveys/{story.survey_id}/questions/nps/edit"
    text = "Würden Sie uns auch im Cluster empfehlen?"
    form = {"csrf_token": token(edit), "key": "nps", "type": "nps", "required": "y", "text-de": text,
            "text-en": "Would you recommend us in the cluster too?"}  # fmt: skip
    saved = opener.open(base + edit, data=urllib.parse.urlencode(form).encode())
    assert saved.status == 200 and edit not in saved.url  # saved, and sent on to the survey
    # survey pages read the survey afresh (only completions keep a setup, for SETUP_SECONDS): the very next page of
    # the other instance shows the edit, no waiting
    headers = {"Cookie": "fb_vid=" + uuid.uuid4().hex, "Accept-Language": "de"}
    status, _h, body = _request(two, "GET", f"/t/{story.code}", headers=headers)
    assert status == 200 and html.escape(text, quote=False) in body


def test_both_instances_give_one_visitor_one_key(story: Story) -> None:
    one, two = LAYOUT.instance_ports
    for port in (one, two):  # no cookie: the key comes from the network, the device and the day's salt
        _request(port, "GET", f"/t/{story.code}", headers={"User-Agent": PHONE_UA + " salt-check"})
    with story.engine.connect() as connection:
        keys = connection.execute(
            sa.text("SELECT visitor_key FROM scan WHERE code_id = :code ORDER BY id DESC LIMIT 2"),
            {"code": story.code_id},
        ).scalars().all()
    assert len(keys) == 2 and keys[0] == keys[1]
