"""Load on loopback: gunicorn servers started for a benchmark, and wrk (Debian's package) driving them.

Every figure is taken in the same run as its baseline, so the ratios say something on any machine.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from feedback.cli import DEFAULT_THREADS

ROOT = Path(__file__).resolve().parent.parent
THREADS = DEFAULT_THREADS  # what `feedback serve` runs with
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
WORKERS, CONNECTIONS = 2, 32


def wrk_path() -> str:
    """wrk, installed from Debian's packages when missing (the benchmark needs a real load generator)."""
    found = shutil.which("wrk")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True, env=env)
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str] | None = None, workers: int = WORKERS) -> Iterator[str]:
    """Serve a WSGI app ("module:callable" or "module:factory()") on loopback; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(THREADS),
               "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "--backlog", "2048", app]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start: {app}") from None
                time.sleep(0.1)
        time.sleep(1.0)  # the workers boot after the master listens
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@dataclass(frozen=True)
class Load:
    """What wrk measured."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int
    #: Warm-up requests sent before wrk started (all answered; counted as acknowledged).
    warmup: int = 0

    @property
    def acknowledged(self) -> int:
        """Answers the clients got with a success or redirect status, warm-up included."""
        return self.requests - self.non_2xx_3xx + self.warmup


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


WARMUP = 20
WARMUP_SECONDS = 2


def warm(url: str, requests: int = WARMUP) -> None:
    """A few requests first, so every worker has loaded what the first request loads (not a cold start)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    for _ in range(requests):
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        try:
            connection.request("GET", parts.path, headers={"User-Agent": PHONE_UA})
            connection.getresponse().read()
        finally:
            connection.close()


def run_wrk(
    url: str,
    seconds: int,
    connections: int = CONNECTIONS,
    threads: int = 2,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
    headers: tuple[str, ...] = (),
) -> Load:
    """wrk against one URL for `seconds`, with a phone's User-Agent; warmed up first unless a Lua `script` makes
    the requests (each of its requests is one of a kind, e.g. a survey form, and must not be spent on warming):
    a few single requests, then WARMUP_SECONDS of the same load, so every server is measured warm (a fresh SQLite
    file grows its WAL and first pages during the first second)."""
    warmed = 0
    if script is None:
        if not headers:
            warm(url)
        warmed = WARMUP + _wrk(url, WARMUP_SECONDS, connections, threads, script, script_args, headers).acknowledged
    load = _wrk(url, seconds, connections, threads, script, script_args, headers)
    return replace(load, warmup=warmed)


def _wrk(
    url: str,
    seconds: int,
    connections: int,
    threads: int,
    script: Path | None,
    script_args: tuple[str, ...],
    headers: tuple[str, ...] = (),
) -> Load:
    command = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "-H", f"User-Agent: {PHONE_UA}", "-H", "Accept-Language: de-DE"]  # fmt: skip
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script), url, "--", *script_args]
    else:
        command.append(url)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    assert total, out
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    assert "99" in latency, out
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    duration = float(total.group(2)) * (60 if total.group(3) == "m" else 1)
    return Load(
        requests=int(total.group(1)),
        seconds=duration,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        non_2xx_3xx=int(non_ok.group(1)) if non_ok else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def figures(prefix: str, load: Load) -> dict[str, object]:
    """Throughput, latency and errors of one load, under keys that say what was measured."""
    return {
        f"{prefix}_rps": round(load.rps, 1),
        f"{prefix}_p50_ms": round(load.p50_ms, 2),
        f"{prefix}_p99_ms": round(load.p99_ms, 2),
        f"{prefix}_errors": load.non_2xx_3xx + load.socket_errors,
    }
