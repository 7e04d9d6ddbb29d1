"""Crashes under load: clients scan one code while workers are killed with SIGKILL again and again and the master
once (then started again); afterwards every acknowledged scan must be stored exactly once and SQLite's file intact.

Each request carries a first-party cookie id of its own, so its row can be found again: the scan's visitor key is
the keyed hash of that id. `python -m bench.crash [--seconds N]` runs it on SQLite and PostgreSQL and prints the
figures RELIABILITY.md quotes; the test suite runs a short version.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.load import PHONE_UA, ROOT, THREADS, free_port
from bench.scan_path import SECRET, _prepare, fresh_postgres

CLIENTS = 16
#: A kill every this many seconds, alternating between the two workers.
KILL_EVERY = 1.0


@dataclass
class Figures:
    """What one crash run did and found."""

    database: str
    seconds: float
    clients: int
    requests: int = 0
    acknowledged: int = 0
    client_errors: int = 0
    worker_kills: int = 0
    master_kills: int = 0
    #: From the master's SIGKILL to the first /healthz answer of the restarted server (printed, never asserted).
    longest_outage_seconds: float = 0.0
    #: Scans acknowledged by the restarted server: it came back and served again.
    acknowledged_after_master_kill: int = 0
    stored: int = 0
    acknowledged_missing: int = 0
    stored_twice: int = 0
    integrity_check: str = "not run (PostgreSQL)"
    graceful_sigterm_requests: int = 0
    #: Connections reset while still queued in the kernel (the server never read them; nothing was stored).
    graceful_sigterm_reset_in_queue: int = 0
    #: Requests the server had taken up but did not answer before it stopped (must be 0).
    graceful_sigterm_cut_in_flight: int = 0
    notes: list[str] = field(default_factory=list)


class Server:
    """gunicorn on a fixed port, started again after its master was killed."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", str(THREADS),
                   "--worker-class", "gthread", "--bind", f"127.0.0.1:{self.port}", "--reuse-port",
                   "--graceful-timeout", "30", "--log-level", "critical", "wsgi:app"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **self.env}, start_new_session=True)

    def workers(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in found.split()]

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds until a scan is answered."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return time.monotonic() - started
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
            finally:
                connection.close()
        raise RuntimeError("the server did not come back")

    def kill_all(self) -> None:
        """SIGKILL the master and, as a power cut would, its workers."""
        assert self.process is not None
        pids = [self.process.pid, *self.workers()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _scan(port: int, code: str, cookie_id: str, timeout: float = 10) -> int:
    """One scan on a connection of its own; the status, or raises OSError/HTTPException."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "GET",
            f"/t/{code}",
            headers={"User-Agent": PHONE_UA, "Cookie": f"fb_vid={cookie_id}", "Connection": "close"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _clients(port: int, code: str, stop: threading.Event, acknowledged: list[str], counts: dict[str, int]) -> None:
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            cookie_id = uuid.uuid4().hex
            try:
                status = _scan(port, code, cookie_id)
            except (OSError, http.client.HTTPException):
                with lock:
                    counts["errors"] += 1
                    counts["requests"] += 1
                time.sleep(0.01)
                continue
            with lock:
                counts["requests"] += 1
                if status == 302:
                    acknowledged.append(cookie_id)
                else:
                    counts["errors"] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join()


def _check(database_url: str, acknowledged: list[str], figures: Figures, cut: list[str]) -> None:
    """Every acknowledged scan stored once; nothing stored twice; SQLite's file intact; no request cut off by
    SIGTERM after its scan was stored."""
    import sqlalchemy as sa

    from feedback.config import normalise_database_url
    from feedback.qr.visitors import visitor_key_for_cookie

    wanted = {visitor_key_for_cookie(cookie_id, SECRET) for cookie_id in acknowledged}
    engine = sa.create_engine(normalise_database_url(database_url))
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT visitor_key, count(*) FROM scan GROUP BY visitor_key")).all()
        if engine.dialect.name == "sqlite":
            figures.integrity_check = str(connection.exec_driver_sql("PRAGMA integrity_check").scalar())
    engine.dispose()
    stored = {key: n for key, n in rows}
    figures.stored = sum(stored.values())
    figures.acknowledged_missing = len(wanted - stored.keys())
    figures.stored_twice = sum(1 for n in stored.values() if n > 1)
    figures.graceful_sigterm_cut_in_flight = len({visitor_key_for_cookie(c, SECRET) for c in cut} & stored.keys())


def _graceful(server: Server, code: str, figures: Figures) -> list[str]:
    """SIGTERM while clients keep scanning: every request the server took up is finished; connections still
    waiting in the kernel's queue when it closes are reset, which the caller tells apart by whether their scan was
    stored (a scan stored but not answered would be an in-flight request cut off). The cut requests' cookie ids."""
    results: list[str] = []
    cut: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            cookie_id = uuid.uuid4().hex
            try:
                # waits longer than the server's graceful timeout: a slow answer is not mistaken for a cut one
                _scan(server.port, code, cookie_id, timeout=60)
                results.append("ok")
            except ConnectionRefusedError:
                results.append("refused")
                time.sleep(0.01)
            except (OSError, http.client.HTTPException):
                results.append("cut")
                cut.append(cookie_id)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=90)
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join()
    figures.graceful_sigterm_requests = len(results)
    figures.graceful_sigterm_reset_in_queue = len(cut)
    return cut


def run(seconds: float, database_url: str, label: str) -> Figures:
    """Load, kills and the checks on one database."""
    env, code, _landing, _body = _prepare(database_url)
    figures = Figures(database=label, seconds=seconds, clients=CLIENTS)
    server = Server(env, free_port())
    server.start()
    server.wait_ready()
    acknowledged: list[str] = []
    counts = {"requests": 0, "errors": 0}
    stop = threading.Event()
    load = threading.Thread(target=_clients, args=(server.port, code, stop, acknowledged, counts))
    load.start()
    try:
        started = time.monotonic()
        master_killed = False
        acknowledged_before_restart = None
        while time.monotonic() - started < seconds:
            time.sleep(KILL_EVERY)
            if not master_killed and time.monotonic() - started > seconds / 2:
                server.kill_all()
                figures.master_kills += 1
                master_killed = True
                outage = time.monotonic()
                server.start()
                server.wait_ready()
                figures.longest_outage_seconds = max(figures.longest_outage_seconds, time.monotonic() - outage)
                acknowledged_before_restart = len(acknowledged)
                continue
            workers = server.workers()
            if workers:
                os.kill(random.choice(workers), signal.SIGKILL)
                figures.worker_kills += 1
        if acknowledged_before_restart is not None:  # the clients see the restarted server answer before they stop
            deadline = time.monotonic() + 120
            while len(acknowledged) <= acknowledged_before_restart + CLIENTS and time.monotonic() < deadline:
                time.sleep(0.05)
        stop.set()
        load.join()
        figures.requests, figures.client_errors = counts["requests"], counts["errors"]
        figures.acknowledged = len(acknowledged)
        if acknowledged_before_restart is not None:
            figures.acknowledged_after_master_kill = figures.acknowledged - acknowledged_before_restart
        server.wait_ready()
        cut = _graceful(server, code, figures)
    finally:
        stop.set()
        server.stop()
    _check(database_url, acknowledged, figures, cut)
    return figures


def main() -> None:
    """Entry point of `python -m bench.crash`."""
    parser = argparse.ArgumentParser(prog="python -m bench.crash")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(run(args.seconds, f"sqlite:///{Path(folder) / 'crash.sqlite3'}", "sqlite"))
    postgres = fresh_postgres("feedback_crash")
    if postgres is not None:
        results.append(run(args.seconds, postgres, "postgresql"))
    for figures in results:
        print(json.dumps(asdict(figures), indent=2))
    (Path(__file__).parent / "crash_results.json").write_text(json.dumps([asdict(f) for f in results], indent=2))


if __name__ == "__main__":
    main()
