"""Reads that go to a PostgreSQL streaming replica (feedback/replica.py), against a real replica made with
pg_basebackup (scripts/cluster.py): dashboard analysis and API reads use it while it is close; when it is stopped or
behind, the same pages answer from the primary with the same numbers and say so; access checks and writes always
use the primary. Runs in the PostgreSQL suite (TEST_DATABASE_URL on the local server)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Membership
from feedback.config import normalise_database_url
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.replica import Replica
from scripts import cluster

PRIMARY = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not PRIMARY.startswith("postgresql") or ":5432/" not in PRIMARY,
    reason="needs the suite on the local PostgreSQL (TEST_DATABASE_URL), whose replica it starts",
)
LAYOUT = cluster.Layout(folder=cluster.ROOT / ".cluster", port=8100, replica_port=5433, database="")


def _replica_url() -> str:
    return normalise_database_url(PRIMARY.replace(":5432/", f":{LAYOUT.replica_port}/"))


@pytest.fixture(scope="module")
def replica_server() -> Iterator[None]:
    """The local PostgreSQL streams to a replica on another port for this module."""
    cluster.ensure_primary(cluster.Layout(LAYOUT.folder, LAYOUT.port, LAYOUT.replica_port, "postgres"))
    cluster.replica_up(LAYOUT)
    yield
    cluster.replica_down(LAYOUT)


@pytest.fixture
def replicated(replica_server: None, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An app whose analysis may read from the replica (at most 2 s behind)."""
    app = make_app(DATABASE_REPLICA_URL=_replica_url(), REPLICA_MAX_LAG_SECONDS=2)
    with app.app_context():
        yield app


def _replica(app: Flask) -> Replica:
    return app.extensions["feedback_replica"]


def _wait_for_state(app: Flask, used: bool, reason: str = "", timeout: float = 60) -> None:
    """Until the replica's check says what is wanted (the check is cached for a second: waiting is polling it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _replica(app).state(db.engine)
        if found.used == used and found.reason == reason:
            return
        time.sleep(0.1)
    raise AssertionError(f"replica state never became used={used} reason={reason!r}: {found}")


def _statements_on(engine: sa.Engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


@pytest.fixture
def story(replicated: Flask, seeded_factory: Any) -> dict[str, Any]:
    return seeded_factory()


@pytest.fixture
def seeded_factory(replicated, make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_scans,
                   make_response) -> Callable[[], dict[str, Any]]:  # noqa: ANN001  # fmt: skip
    def build() -> dict[str, Any]:
        owner = make_user(locale="en")
        workspace = make_workspace(owner=owner, name="Rösterei")
        campaign = make_campaign(workspace=workspace, name="Frühjahr")
        booth = with_survey(make_touchpoint(campaign, "Messestand"))
        make_scans(booth, 12)
        for value in (10, 9, 9, 7, 3, 10, 8, 6, 10, 9, 10, 2):
            make_response(booth, nps=value)
        _token, secret = api_services.create_token(workspace.id, "BI", Scope.READ, owner.id, utcnow())
        db.session.commit()
        return {"owner": owner, "workspace": workspace, "campaign": campaign, "booth": booth, "secret": secret}

    return build


def _ratings(client: Any, story: dict[str, Any]) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/campaigns/{story['campaign'].id}/ratings",
        headers={"Authorization": f"Bearer {story['secret']}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    found = response.get_json()
    found.pop("generated_at")
    return found


def _scans(found: Any) -> int:
    """The sum of every "scans" figure in a JSON document (one touchpoint here)."""
    if isinstance(found, dict):
        return sum(v if k == "scans" and isinstance(v, int) else _scans(v) for k, v in found.items())
    if isinstance(found, list):
        return sum(_scans(v) for v in found)
    return 0


def _page(client: Any, story: dict[str, Any]) -> str:
    response = client.get(f"/w/{story['workspace'].slug}/campaigns/{story['campaign'].id}/ratings")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_analysis_and_api_reads_go_to_the_replica_while_it_keeps_up(
    replicated: Flask, story, make_app: Callable[..., Flask]
) -> None:  # noqa: ANN001
    client = replicated.test_client()
    client.post("/login", data={"email": story["owner"].email, "password": "correct horse battery"})
    _wait_for_state(replicated, used=True)
    on_replica = _statements_on(_replica(replicated).engine)
    page = _page(client, story)
    assert "Figures read from the replica" in page
    assert any("daily_count" in s or "response" in s for s in on_replica), "no analysis read reached the replica"
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in on_replica)
    read_there = _ratings(client, story)
    # the same numbers as an instance without a replica reads from the primary
    assert _ratings(make_app().test_client(), story) == read_there
    assert "Figures read from the replica" not in make_app().test_client().get("/login").get_data(as_text=True)


def test_a_lagging_replica_is_left_for_the_primary_and_the_page_says_so(replicated: Flask, story, make_scans) -> None:  # noqa: ANN001
    client = replicated.test_client()
    client.post("/login", data={"email": story["owner"].email, "password": "correct horse battery"})
    _wait_for_state(replicated, used=True)
    before = _ratings(client, story)
    with _replica(replicated).engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_wal_replay_pause()"))
    try:
        make_scans(story["booth"], 5)  # on the primary; the paused replica does not see them
        db.session.commit()
        _wait_for_state(replicated, used=False, reason="behind")
        assert "more than 2 s behind: figures read from the primary" in _page(client, story)
        after = _ratings(client, story)
        # the five new scans are counted: read from the primary
        assert _scans(after) == _scans(before) + 5 == 17, (_scans(before), _scans(after))
        # an access check never trusts the replica: a member removed on the primary is out at once
        db.session.execute(sa.delete(Membership).where(Membership.user_id == story["owner"].id))
        db.session.commit()
        assert client.get(f"/w/{story['workspace'].slug}/campaigns/{story['campaign'].id}/ratings").status_code in (
            302,
            404,
        )
    finally:
        with _replica(replicated).engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_wal_replay_resume()"))
    _wait_for_state(replicated, used=True)


def test_a_stopped_replica_costs_no_error_page(replicated: Flask, story) -> None:  # noqa: ANN001
    client = replicated.test_client()
    client.post("/login", data={"email": story["owner"].email, "password": "correct horse battery"})
    _wait_for_state(replicated, used=True)
    before = _ratings(client, story)
    cluster.replica_down(LAYOUT)
    try:
        _wait_for_state(replicated, used=False, reason="down")
        assert "The replica does not answer: figures read from the primary." in _page(client, story)
        assert _ratings(client, story) == before
    finally:
        cluster.replica_up(LAYOUT)
    _wait_for_state(replicated, used=True)


def test_writes_of_the_analysis_pages_go_to_the_primary(replicated: Flask, story) -> None:  # noqa: ANN001
    """Saving a segment (a POST of an analysis blueprint) while the replica is used: stored on the primary."""
    from feedback.analysis.models import SavedSegment

    client = replicated.test_client()
    client.post("/login", data={"email": story["owner"].email, "password": "correct horse battery"})
    _wait_for_state(replicated, used=True)
    response = client.post(
        f"/w/{story['workspace'].slug}/campaigns/{story['campaign'].id}/segments?page=ratings&nps=detractors",
        data={"name": "Detraktoren"},
    )
    assert response.status_code == 302
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSegment)) == 1
