"""A cluster on one machine, as several instances run in production: HAProxy on one port in front of two
`feedback serve` instances (installed from the wheel built from this checkout), the local PostgreSQL as primary, a
streaming replica made with pg_basebackup in a second cluster on another port, and Redis for the shared rate limits.

    scripts/cluster up        # installs what is missing (Debian packages), builds and starts everything
    scripts/cluster status    # each part, the replica's lag, the instances behind the load balancer
    scripts/cluster down      # stops the instances, HAProxy and the replica (the primary keeps running)

Settings (environment): CLUSTER_PORT (8100; the instances take the next two), CLUSTER_REPLICA_PORT (5433),
CLUSTER_DATABASE (feedback_cluster), CLUSTER_VENV (a venv with feedback installed; else one is made from the wheel),
CLUSTER_DIR (.cluster in the checkout: wheel, venv, configuration, logs, pid files), CLUSTER_NO_REPLICA=1 (the
instances read from the primary only).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql")
PRIMARY_PORT = 5432
REPLICA_DATA = Path(os.environ.get("CLUSTER_REPLICA_DATA", "/var/lib/postgresql/feedback-replica"))
#: How long a started replica may take to replay up to where the primary was when it started.
CATCH_UP_SECONDS = 30.0


@dataclass(frozen=True)
class Layout:
    """Where everything lives and listens."""

    folder: Path
    port: int
    replica_port: int
    database: str

    @property
    def instance_ports(self) -> tuple[int, int]:
        return self.port + 1, self.port + 2

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{PRIMARY_PORT}/{self.database}"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.replica_port}/{self.database}"

    @property
    def redis_url(self) -> str:
        return "redis://127.0.0.1:6379/7"

    def pid_file(self, name: str) -> Path:
        return self.folder / "run" / f"{name}.pid"


def layout() -> Layout:
    """The layout from the environment."""
    return Layout(
        folder=Path(os.environ.get("CLUSTER_DIR", ROOT / ".cluster")).resolve(),
        port=int(os.environ.get("CLUSTER_PORT", "8100")),
        replica_port=int(os.environ.get("CLUSTER_REPLICA_PORT", "5433")),
        database=os.environ.get("CLUSTER_DATABASE", "feedback_cluster"),
    )


def say(text: str) -> None:
    print(f"cluster: {text}", flush=True)


def run(command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    """Run a command, failing loudly."""
    return subprocess.run(command, check=True, text=True, capture_output=True, **options)  # type: ignore[call-overload]


def as_postgres(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool as the postgres user (the server refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return run([*prefix, *command], cwd="/")


def psql(port: int, sql: str, database: str = "postgres") -> str:
    """One statement through psql; its unaligned output."""
    return run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-qAtc", sql]).stdout


def ready(port: int) -> bool:
    """Whether a PostgreSQL server accepts connections on the port."""
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"]).returncode == 0


def wait_for(check: object, what: str, timeout: float = 60.0) -> None:
    """Poll `check` until it is true (or fail after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise SystemExit(f"cluster: {what} did not come up within {timeout:.0f} s")


def apt_install(*packages: str) -> None:
    """Install Debian packages that are missing."""
    say(f"installing {', '.join(packages)} from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL)


# --- PostgreSQL: primary and streaming replica -------------------------------------------------------------------


def pg_version() -> str:
    """The installed PostgreSQL major version (the newest under /usr/lib/postgresql)."""
    return sorted((p.name for p in PG_BIN.iterdir() if (p / "bin" / "postgres").exists()), key=int)[-1]


def ensure_primary(lay: Layout) -> None:
    """The local PostgreSQL runs, lets 127.0.0.1 stream WAL, and has the cluster's database."""
    if not ready(PRIMARY_PORT):
        clusters = sorted(Path("/etc/postgresql").iterdir())
        run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main", "start"])
        wait_for(lambda: ready(PRIMARY_PORT), "the primary")
    hba = Path(psql(PRIMARY_PORT, "SHOW hba_file").strip())
    if "host replication all 127.0.0.1/32" not in hba.read_text():
        with hba.open("a") as file:
            file.write("host replication all 127.0.0.1/32 trust\n")
        psql(PRIMARY_PORT, "SELECT pg_reload_conf()")
    if psql(PRIMARY_PORT, f"SELECT 1 FROM pg_database WHERE datname = '{lay.database}'").strip() != "1":
        psql(PRIMARY_PORT, f"CREATE DATABASE {lay.database}")


def _make_replica(lay: Layout) -> None:
    """A fresh copy of the primary in REPLICA_DATA, set up to stream from it (pg_basebackup -R)."""
    if REPLICA_DATA.exists():
        shutil.rmtree(REPLICA_DATA)
    say(f"making the replica in {REPLICA_DATA} with pg_basebackup")
    base = ["pg_basebackup", "-h", "127.0.0.1", "-p", str(PRIMARY_PORT), "-U", "postgres", "-D"]
    as_postgres([*base, str(REPLICA_DATA), "-R", "-X", "stream", "-c", "fast"])
    settings = (
        f"port = {lay.replica_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '/tmp'\n"
        "hot_standby = on\nhot_standby_feedback = on\n"
    )
    for name, text in {
        "postgresql.conf": settings,
        "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        "pg_ident.conf": "",
    }.items():
        (REPLICA_DATA / name).write_text(text)
        shutil.chown(REPLICA_DATA / name, "postgres", "postgres")


def _start_replica(lay: Layout) -> None:
    pg_ctl = str(PG_BIN / pg_version() / "bin" / "pg_ctl")
    as_postgres([pg_ctl, "-D", str(REPLICA_DATA), "-l", str(REPLICA_DATA / "server.log"), "-w", "start"])
    wait_for(lambda: ready(lay.replica_port), "the replica")


def _catches_up(lay: Layout, timeout: float = CATCH_UP_SECONDS) -> bool:
    """Whether the replica replays the primary's WAL up to where the primary is now (it cannot once the WAL it
    needs was recycled while it was down: it streams without a replication slot, so nothing piles up on the
    primary)."""
    target = psql(PRIMARY_PORT, "SELECT pg_current_wal_lsn()").strip()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psql(lay.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn").strip() == "t":
                return True
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.2)
    return False


def replica_up(lay: Layout) -> None:
    """A streaming replica of the primary on its own port: made with pg_basebackup the first time, and made again
    when it cannot catch up."""
    if ready(lay.replica_port) and _catches_up(lay):
        return
    if ready(lay.replica_port):
        say("the replica cannot catch up (the WAL it needs is gone): making it again")
        replica_down(lay)
        _make_replica(lay)
    elif not (REPLICA_DATA / "standby.signal").exists():
        _make_replica(lay)
    _start_replica(lay)
    if not _catches_up(lay):
        say("the replica cannot catch up (the WAL it needs is gone): making it again")
        replica_down(lay)
        _make_replica(lay)
        _start_replica(lay)
        if not _catches_up(lay):
            raise SystemExit("the replica does not catch up with the primary; see " + str(REPLICA_DATA / "server.log"))


def replica_down(lay: Layout) -> None:
    """Stop the replica (its data stays for the next start)."""
    if REPLICA_DATA.exists() and ready(lay.replica_port):
        pg_ctl = str(PG_BIN / pg_version() / "bin" / "pg_ctl")
        as_postgres([pg_ctl, "-D", str(REPLICA_DATA), "-m", "fast", "-w", "stop"])


def replica_lag(lay: Layout) -> str:
    """How far the replica is behind, in words."""
    if not ready(lay.replica_port):
        return "down"
    replayed = psql(lay.replica_port, "SELECT pg_last_wal_replay_lsn()").strip()
    behind = psql(PRIMARY_PORT, f"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{replayed}')").strip()
    return f"streaming, {behind} bytes of WAL behind"


# --- Redis -------------------------------------------------------------------------------------------------------


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis() -> None:
    """Redis on 6379 (installed and started when missing)."""
    if redis_answers():
        return
    if shutil.which("redis-server") is None:
        apt_install("redis-server")
    run(["redis-server", "--port", "6379", "--bind", "127.0.0.1", "--daemonize", "yes", "--save", ""])
    wait_for(redis_answers, "Redis")


# --- the instances, from the wheel -------------------------------------------------------------------------------


def venv(lay: Layout) -> Path:
    """A venv with feedback installed from the wheel of this checkout (CLUSTER_VENV: one made already)."""
    given = os.environ.get("CLUSTER_VENV")
    if given:
        return Path(given)
    target = lay.folder / "venv"
    wheels = lay.folder / "wheel"
    if wheels.exists():
        shutil.rmtree(wheels)
    say("building the wheel")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)])
    wheel = next(wheels.glob("feedback-*.whl"))
    if not (target / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(target)])
    say("installing the wheel into its venv")
    run([str(target / "bin" / "pip"), "install", "-q", "--no-compile", "--force-reinstall", "--no-deps", str(wheel)])
    run([str(target / "bin" / "pip"), "install", "-q", "--no-compile", str(wheel)])
    return target


def environment(lay: Layout, number: int) -> dict[str, str]:
    """What each instance is started with: the same database, replica, limits and secret, its own data folder."""
    secret = lay.folder / "secret_key"
    if not secret.exists():
        secret.write_text(secrets.token_hex(32))
    replica = {} if os.environ.get("CLUSTER_NO_REPLICA") else {"DATABASE_REPLICA_URL": lay.replica_url}
    return {
        **os.environ,
        **replica,
        "DATABASE_URL": lay.primary_url,
        "RATELIMIT_STORAGE_URI": lay.redis_url,
        "SECRET_KEY": secret.read_text().strip(),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{lay.port}",
        "PROXY_HOPS": "1",  # HAProxy adds X-Forwarded-For
        "FEEDBACK_DATA_DIR": str(lay.folder / f"instance-{number}"),
    }


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def alive(pid_file: Path) -> int | None:
    """The pid in the file if that process runs."""
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


#: Instances started by this process, so that stopping one can wait for it (and it is not left a zombie).
_started: dict[int, subprocess.Popen[bytes]] = {}


def instances_up(lay: Layout, python: Path) -> None:
    """Start both instances at once, then wait for both."""
    for number in (1, 2):
        instance_up(lay, number, python, wait=False)
    for port in lay.instance_ports:
        wait_for(lambda port=port: healthy(port), f"the instance on {port}", timeout=180)


def instance_up(lay: Layout, number: int, python: Path, wait: bool = True) -> None:
    """Start instance 1 or 2 (`feedback serve` with gunicorn) unless it runs; `wait` until it answers."""
    pid_file = lay.pid_file(f"instance-{number}")
    if alive(pid_file):
        return
    port = lay.instance_ports[number - 1]
    command = [str(python / "bin" / "feedback"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with (lay.folder / "log" / f"instance-{number}.log").open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            command, env=environment(lay, number), cwd=lay.folder, stdout=log, stderr=log, start_new_session=True
        )
    pid_file.write_text(str(process.pid))
    _started[process.pid] = process
    if wait:
        wait_for(lambda: healthy(port), f"instance {number}", timeout=180)


def instance_kill(lay: Layout, number: int, sig: int = signal.SIGTERM) -> None:
    """Send a signal to an instance's whole process group (SIGKILL: as a crash would)."""
    pid = alive(lay.pid_file(f"instance-{number}"))
    if pid is None:
        return
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    process = _started.pop(pid, None)
    if process is not None:
        process.wait(timeout=60)
    else:  # started by another run of this script: wait until it is gone
        wait_for(lambda: alive(lay.pid_file(f"instance-{number}")) is None, f"instance {number}'s stop", timeout=60)
    lay.pid_file(f"instance-{number}").unlink(missing_ok=True)


# --- HAProxy -----------------------------------------------------------------------------------------------------

HAPROXY = """global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    # only a request that never reached an instance is sent again: a scan or an answer is not idempotent
    retry-on conn-failure
    option redispatch
    option forwardfor
frontend feedback
    bind 127.0.0.1:{port}
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 500ms fall 2 rise 1
    server one 127.0.0.1:{one} check
    server two 127.0.0.1:{two} check
"""


def haproxy_up(lay: Layout) -> None:
    """HAProxy on the cluster's port in front of both instances."""
    if shutil.which("haproxy") is None:
        apt_install("haproxy")
    pid_file = lay.pid_file("haproxy")
    if alive(pid_file):
        return
    config = lay.folder / "haproxy.cfg"
    one, two = lay.instance_ports
    config.write_text(HAPROXY.format(port=lay.port, one=one, two=two))
    run(["haproxy", "-c", "-q", "-f", str(config)])
    run(["haproxy", "-D", "-f", str(config), "-p", str(pid_file)])
    wait_for(lambda: healthy(lay.port), "HAProxy")


def haproxy_down(lay: Layout) -> None:
    pid = alive(lay.pid_file("haproxy"))
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: alive(lay.pid_file("haproxy")) is None, "HAProxy's stop", timeout=10)
    lay.pid_file("haproxy").unlink(missing_ok=True)


# --- commands ----------------------------------------------------------------------------------------------------


def prepare(lay: Layout, fresh: bool = False) -> tuple[Path, dict[str, str]]:
    """Everything the instances need, in the order it depends on: folders, the primary with the layout's database
    (dropped first when `fresh`: the test's and the benchmark's own), the replica, Redis, the wheel's venv and the
    migrations. The venv's folder and instance 1's environment."""
    for name in ("run", "log"):
        (lay.folder / name).mkdir(parents=True, exist_ok=True)
    if fresh:
        ensure_primary(Layout(lay.folder, lay.port, lay.replica_port, "postgres"))
        psql(PRIMARY_PORT, f"DROP DATABASE IF EXISTS {lay.database} WITH (FORCE)")
    ensure_primary(lay)
    replica_up(lay)
    ensure_redis()
    python = venv(lay)
    env = environment(lay, 1)
    say("applying migrations on the primary")
    run([str(python / "bin" / "feedback"), "db", "upgrade"], env=env, cwd=lay.folder)
    return python, env


def stop_and_drop(lay: Layout) -> None:
    """Stop the load balancer and both instances and drop the layout's own database (the test's, the benchmark's)."""
    haproxy_down(lay)
    for number in (1, 2):
        instance_kill(lay, number)
    psql(PRIMARY_PORT, f"DROP DATABASE IF EXISTS {lay.database} WITH (FORCE)")


def up(lay: Layout) -> None:
    """Everything, in the order it depends on."""
    python, _env = prepare(lay)
    instances_up(lay, python)
    haproxy_up(lay)
    say(f"up: http://127.0.0.1:{lay.port}/ (instances on {lay.instance_ports[0]} and {lay.instance_ports[1]})")


def down(lay: Layout) -> None:
    haproxy_down(lay)
    for number in (1, 2):
        instance_kill(lay, number)
    replica_down(lay)
    say("down (the primary PostgreSQL and Redis keep running)")


def status(lay: Layout) -> dict[str, str]:
    """Each part's state."""
    found = {
        "primary": "up" if ready(PRIMARY_PORT) else "down",
        "replica": replica_lag(lay),
        "redis": "up" if redis_answers() else "down",
        "load balancer": ("up" if healthy(lay.port) else "down") + f" on {lay.port}",
    }
    for number, port in enumerate(lay.instance_ports, start=1):
        found[f"instance {number}"] = ("up" if healthy(port) else "down") + f" on {port}"
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("up", "down", "status"):
        print(__doc__)
        return 2
    lay = layout()
    if argv[0] == "up":
        up(lay)
    elif argv[0] == "down":
        down(lay)
    print(json.dumps(status(lay), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
