"""wsgi.py: the module-level app gunicorn serves, which sends webhooks and keeps the roll-ups from each process that
serves requests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import os
import wsgi
from feedback.analysis import rollup_keeper
from feedback.webhooks import delivery
assert wsgi.app.name == "feedback"
assert not any(pid == os.getpid() for pid, _ in delivery._dispatchers)  # nothing runs before the first request
assert rollup_keeper.keeper_of(wsgi.app) is None
assert wsgi.app.test_client().get("/healthz").status_code == 200
assert (os.getpid(), id(wsgi.app)) in delivery._dispatchers  # the first request started this process's dispatcher
keeper = rollup_keeper.keeper_of(wsgi.app)  # and its roll-up keeper, which counted the request in and out
assert keeper is not None and keeper._thread is not None and keeper._thread.is_alive() and not keeper.busy()
print("ok")
"""


def test_wsgi_app_serves_and_starts_the_webhook_dispatcher_and_roll_up_keeper_in_its_process(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite3'}", "SECRET_KEY": "wsgi-test-" * 5}
    migrate = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:app", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr.decode()[-2000:]
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert probe.returncode == 0 and probe.stdout.strip() == "ok", probe.stderr[-2000:]
