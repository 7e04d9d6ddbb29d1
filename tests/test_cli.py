"""The command line: demo data, users, and `feedback serve` with gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from feedback.auth.models import Membership, User, Workspace
from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.nurture import steps as nurture_steps
from feedback.nurture.models import NurtureMail
from feedback.offers.models import Coupon
from feedback.qr.models import Code, Scan
from feedback.surveys.models import Response
from feedback.touchpoints.models import Campaign, Phase, Touchpoint
from feedback.winback import services as winback_services
from feedback.winback.models import WinbackBatch
from tests.conftest import environ_for
from tests.helpers import count, wait_until_ready


def test_demo_creates_a_realistic_workspace_and_is_idempotent(runner) -> None:
    first = runner.invoke(args=["demo", "--password", "demo-password-1"])
    assert first.exit_code == 0, first.output
    db.session.rollback()  # end this session's read snapshot; the command wrote through its own
    assert "Log in as demo@example.com with password demo-password-1" in first.output
    counts = (count(Workspace), count(Campaign), count(Touchpoint), count(User))
    assert counts[:2] == (1, 2)
    assert counts[2] >= 12
    phases = set(db.session.scalars(sa.select(Touchpoint.phase)))
    assert phases == {p.value for p in Phase}
    assert len(set(db.session.scalars(sa.select(Touchpoint.channel)))) >= 6
    assert count(Code) >= 15 and count(Scan) >= 2000
    assert 0 < db.session.scalar(sa.select(sa.func.count()).where(Scan.is_bot.is_(True))) < count(Scan) / 10
    counts = (*counts, count(Code), count(Scan))
    personal_answers = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Response)
        .join(Code, Code.id == Response.code_id)
        .where(Code.reference.is_not(None), Response.completed_at.is_not(None))
    )
    assert db.session.scalar(sa.select(sa.func.count()).where(Code.reference.like("KK-%"))) == 400
    assert personal_answers >= 10  # the loyalty-card mailing shows answers tied to customer numbers
    redeemed = db.session.scalar(sa.select(sa.func.count()).select_from(Coupon).where(Coupon.redeemed_at.is_not(None)))
    assert count(Coupon) >= 50 and 0.2 < redeemed / count(Coupon) < 0.5
    assert count(Contact) >= 5 and db.session.scalar(sa.select(sa.func.max(Contact.score))) >= 15
    friends_with_references = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Response)
        .join(Code, Code.id == Response.code_id)
        .where(Response.invite_id.is_not(None), Code.reference.is_not(None))
    )
    assert friends_with_references == 0  # invited friends never answer under a recipient's reference
    workspace = db.session.scalar(sa.select(Workspace))
    for step in nurture_steps.step_stats(workspace.id):  # the nurture page opens with its history
        assert step.sent >= 10 and 0 < step.reacted.k < step.sent
    letter = db.session.scalar(sa.select(Touchpoint).where(Touchpoint.name == "Rückgewinnungs-Brief"))
    (winback,) = winback_services.winbacks_of(letter)  # and the win-back page with its letter
    found = winback_services.reactivation(winback)
    assert found.sent >= 10 and 0 < found.redeemed.k <= found.responded.k < found.sent
    assert found.reasons["left_reason"][0] == found.responded.k and found.themes
    counts = (*counts, count(NurtureMail), count(WinbackBatch))

    second = runner.invoke(args=["demo", "--password", "another-password"])
    assert second.exit_code == 0, second.output
    db.session.rollback()
    again = (count(Workspace), count(Campaign), count(Touchpoint), count(User), count(Code), count(Scan))
    assert (*again, count(NurtureMail), count(WinbackBatch)) == counts


def test_demo_login_works_in_the_browser_flow(runner, client) -> None:
    runner.invoke(args=["demo", "--password", "demo-password-1"])
    response = client.post("/login", data={"email": "demo@example.com", "password": "demo-password-1"})
    assert response.status_code == 302
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Frühjahr 2026: Neue Röstung" in html and "Messe &amp; Events 2026" in html


def test_create_user_with_a_workspace(runner) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "Chef@Example.com",
            "--workspace",
            "Bäckerei Schmidt",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created workspace 'backerei-schmidt'" in result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "chef@example.com"
    assert db.session.scalar(sa.select(Membership.role)) == "owner"


def test_create_user_refuses_bad_input_and_changes_nothing(runner) -> None:
    bad_email = runner.invoke(args=["create-user", "not-an-email", "--password", "long enough pw"])
    assert bad_email.exit_code != 0 and "EMAIL" in bad_email.output
    short = runner.invoke(args=["create-user", "a@example.com", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    runner.invoke(args=["create-user", "b@example.com", "--password", "long enough pw"])
    taken = runner.invoke(args=["create-user", "B@example.com", "--password", "long enough pw"])
    assert taken.exit_code != 0 and "already exists" in taken.output
    assert count(User) == 1


def test_create_user_on_a_fresh_database_creates_its_tables_first(tmp_path: Path) -> None:
    """As the README's production section does it: create-user before the first serve."""
    env = {**os.environ, **environ_for(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", FEEDBACK_ENV="development")}
    command = [sys.executable, "-m", "feedback", "create-user", "ops@example.com", "--workspace", "Ops GmbH",
               "--password", "long enough pw"]  # fmt: skip
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Created workspace 'ops-gmbh' owned by ops@example.com." in done.stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT email FROM user")) == "ops@example.com"
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_migrates_loads_demo_and_answers_through_gunicorn(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        **environ_for(f"sqlite:///{tmp_path / 'serve.sqlite3'}"),
        "FEEDBACK_ENV": "development",
    }
    command = [sys.executable, "-m", "feedback", "serve", "--demo", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = wait_until_ready(port, process)
        assert status == 200
        # links with secrets: a colleague's invitation and a respondent's response token
        for path in ("/join/SECRETJOINTOKEN42", "/t/ABCD2345/thanks?r=SECRETRESPONSETOKEN&lang=en"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).close()
            except urllib.error.HTTPError:
                pass
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=120)
    assert "SECRETJOINTOKEN42" not in output and "SECRETRESPONSETOKEN" not in output
    assert '"GET /join/… HTTP/1.1"' in output and '"GET /t/ABCD2345/thanks?r=…&lang=en HTTP/1.1"' in output
    assert f"feedback is starting at http://localhost:{port}/" in output
    assert "Log in as demo@example.com with password" in output
    assert "Booting worker" in output
    assert process.returncode == 0


def test_demo_refuses_a_workspace_of_the_same_slug_that_others_own(runner, make_user, make_workspace) -> None:
    """`feedback demo` never makes the demo login an owner of somebody's workspace that happens to have its slug."""
    from feedback.auth.models import Role
    from feedback.demo import DEMO_WORKSPACE_SLUG

    owner = make_user(email="owner@roesterei.example")
    workspace = make_workspace(name="Echte Rösterei", owner=owner)
    workspace.slug = DEMO_WORKSPACE_SLUG
    db.session.commit()
    result = runner.invoke(args=["demo", "--password", "a-demo-password"])
    assert result.exit_code != 0 and "belongs to other people" in result.output
    db.session.expire_all()
    members = db.session.scalars(sa.select(Membership).where(Membership.workspace_id == workspace.id)).all()
    assert [(m.user_id, m.role) for m in members] == [(owner.id, Role.OWNER.value)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Workspace)) == 1
