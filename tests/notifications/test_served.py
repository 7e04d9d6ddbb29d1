"""The web workers send mail themselves: `feedback serve` with SMTP_URL set sends an alert that is due, with no
other process running."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import environ_for
from tests.helpers import wait_until_ready
from tests.notifications.conftest import SmtpServer, free_port


def test_feedback_serve_sends_due_alerts_from_its_workers(tmp_path: Path, smtp: SmtpServer) -> None:
    port = free_port()
    database = tmp_path / "serve.sqlite3"
    env = {
        **os.environ,
        **environ_for(f"sqlite:///{database}"),
        "FEEDBACK_ENV": "development",
        "SMTP_URL": smtp.url,
        "MAIL_POLL_SECONDS": "1",
    }
    command = [sys.executable, "-m", "feedback", "serve", "--demo", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_until_ready(port, process) == 200
        # an alert that another process wrote (as `feedback notify run` would): a worker picks it up and sends it
        with sqlite3.connect(database, timeout=60) as connection:  # the workers write too
            user_id, workspace_id = connection.execute(
                "SELECT user.id, membership.workspace_id FROM user JOIN membership ON membership.user_id = user.id "
                "WHERE user.email = 'demo@example.com'"
            ).fetchone()
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
            data = {
                "kind": "webhook",
                "endpoint_id": 0,
                "target": "https://crm.example.com/hook",
                "count": 3,
                "since": datetime.now(UTC).isoformat(),
                "error": "HTTP 503",
            }
            connection.execute(
                "INSERT INTO mail_alert (workspace_id, user_id, topic, about, data, created_at, due_at) "
                "VALUES (?, ?, 'delivery_failing', 'webhook:0', ?, ?, ?)",
                (workspace_id, user_id, json.dumps(data), now, now),
            )
        # the demo's own alerts (its detractors and sales-ready leads) go out too: one mail per kind
        messages = smtp.inbox.wait_for(3)
        assert {m["To"] for m in messages} == {"demo@example.com"}
        failing = [m for m in messages if "HTTP 503" in m.get_body(("plain",)).get_content()]
        assert len(failing) == 1 and failing[0]["Subject"].startswith("Zustellungen von")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output[-2000:]
