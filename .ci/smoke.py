"""Smoke test of a running service as a user meets it, with the standard library only (no test extras installed).

    python3 .ci/smoke.py demo FOLDER COMMAND
        runs COMMAND (the README's first command, verbatim) with bash in FOLDER, reads the URL and the login it
        prints, and checks the service over HTTP.
    python3 .ci/smoke.py production FOLDER
        runs FOLDER/.venv/bin/feedback as the README's production section describes (FEEDBACK_ENV=production,
        SECRET_KEY, PUBLIC_BASE_URL, PROXY_HOPS=1 behind a proxy that speaks HTTPS) and checks it the same way.
    python3 .ci/smoke.py wheel FOLDER
        FOLDER/.venv holds the wheel, installed (not editable); from FOLDER, outside the checkout, runs `feedback db
        upgrade` and `feedback demo`, checks that the database went to FOLDER/instance and that templates, static
        files and migrations come from the installed package, then serves and checks it the same way.

Checks: /healthz answers, a real form login with the CSRF token, the campaigns page, one scan of a demo code that
`feedback codes` then counts, and a SIGTERM after which the server exits with 0. Any failure prints the server's
output and exits with 1.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

#: How long the first command may take to install and start (pip downloads on a fresh machine).
START_TIMEOUT = 900
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


class SmokeFailure(Exception):
    """A check failed."""


class Output:
    """The server's combined output, read in a thread so the pipe never fills."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append("")  # end of output
            self.changed.notify_all()

    def wait_for(self, pattern: str, process: subprocess.Popen[str], timeout: float) -> re.Match[str]:
        """The first line matching `pattern`, once it has been printed."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    found = re.search(pattern, line)
                    if found:
                        return found
                if process.poll() is not None and not self.thread.is_alive():
                    raise SmokeFailure(f"the server ended (exit {process.returncode}) before printing {pattern!r}")
                if time.monotonic() > deadline:
                    raise SmokeFailure(f"nothing matching {pattern!r} within {timeout:.0f} s")
                self.changed.wait(timeout=1)

    def text(self) -> str:
        with self.changed:
            return "\n".join(self.lines)


class Form(HTMLParser):
    """The hidden inputs of a page's first POST form (the CSRF token among them)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.inside = self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post" and not self.done:
            self.inside = True
        elif tag == "input" and self.inside and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"] or ""] = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


class Browser:
    """Requests with a cookie jar that also keeps Secure cookies (TLS ends at the proxy this plays)."""

    def __init__(self, base: str, behind_https_proxy: bool) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.base, self.https = base, behind_https_proxy
        self.cookies: dict[str, str] = {}
        self.flags: dict[str, set[str]] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None, *, follow: bool = True,
                headers: dict[str, str] | None = None) -> tuple[int, str, str]:  # fmt: skip
        """Status, final path and body text; redirects followed within the site."""
        for _ in range(10):
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            sent = {"User-Agent": "feedback-ci-smoke", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            if self.https:
                sent["X-Forwarded-Proto"] = "https"
            data = None
            if body is not None:
                data = urlencode(body)
                sent["Content-Type"] = "application/x-www-form-urlencoded"
                sent["Referer"] = f"{'https' if self.https else 'http'}://{self.host}:{self.port}{path}"
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
                    self.flags[name.strip()] = {part.strip().lower() for part in rest.split(";")[1:]}
            connection.close()
            location = response.getheader("Location")
            if not follow or response.status not in (301, 302, 303) or not location:
                return response.status, path, text
            target = urlsplit(urljoin(f"http://{self.host}:{self.port}{path}", location))
            path = target.path + (f"?{target.query}" if target.query else "")
            method, body = "GET", None
        raise SmokeFailure(f"too many redirects at {path}")


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def wait_healthy(browser: Browser, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        check(process.poll() is None, f"the server ended with exit {process.returncode}")
        try:
            status, _, body = browser.request("GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SmokeFailure("/healthz did not answer 200")


def codes(feedback: Path, env: dict[str, str], cwd: Path) -> list[dict[str, object]]:
    done = subprocess.run([str(feedback), "codes", "--format", "json"], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    check(done.returncode == 0, f"feedback codes failed: {done.stderr}")
    return json.loads(done.stdout)


def walk(browser: Browser, login: tuple[str, str], server: subprocess.Popen[str], feedback: Path,
         env: dict[str, str], cwd: Path) -> None:  # fmt: skip
    """Log in, open the campaigns page, scan one code and see it counted."""
    email, password = login
    wait_healthy(browser, server)
    status, _, page = browser.request("GET", "/login")
    check(status == 200, f"GET /login answered {status}")
    form = Form()
    form.feed(page)
    check("csrf_token" in form.fields, "the login form has no CSRF token")
    status, _, _ = browser.request("POST", "/login", {**form.fields, "email": email, "password": "wrong"}, follow=False)
    check(status == 401, f"a wrong password answered {status}, not 401")
    status, landed, page = browser.request("POST", "/login", {**form.fields, "email": email, "password": password})
    check(status == 200 and re.fullmatch(r"/w/[\w-]+/", landed) is not None, f"login ended at {landed} ({status})")
    if browser.https:
        session = browser.flags.get("feedback_session", set())
        check({"secure", "httponly"} <= session, f"the session cookie lacks Secure/HttpOnly: {session}")
    before = codes(feedback, env, cwd)
    check(bool(before), "no codes to scan")
    first = before[0]
    check(re.search(r"<h1>\s*(Campaigns|Kampagnen)\s*</h1>", page) is not None, "the campaigns page is not shown")
    listed = set(re.findall(rf'href="{re.escape(landed)}campaigns/(\d+)"', page))
    active = {row["campaign"] for row in before}
    check(len(listed) == len(active), f"the campaigns page links {len(listed)} campaigns, the codes name {active}")
    print(f"smoke: logged in as {email}; the campaigns page {landed} lists {len(listed)} campaigns")
    # a customer's phone: no cookie of the logged-in marketer (whose browser counts as the team's, not counted)
    phone = Browser(browser.base, browser.https)
    phone_headers = {"User-Agent": PHONE, "Accept": "text/html,*/*;q=0.8", "Accept-Language": "de-DE,de;q=0.9"}
    status, _, _ = phone.request("GET", f"/t/{first['code']}", follow=False, headers=phone_headers)
    check(status in (200, 302), f"scanning /t/{first['code']} answered {status}")
    after = {row["code"]: row for row in codes(feedback, env, cwd)}
    check(after[first["code"]]["scans"] == int(first["scans"]) + 1, "the scan was not counted")  # type: ignore[call-overload]
    print(f"smoke: scanned /t/{first['code']} ({status}); feedback codes counts {after[first['code']]['scans']}")


def stop(process: subprocess.Popen[str], server_pid: int) -> None:
    """SIGTERM the server process and require a clean exit 0 of it (and so of the command that ran it)."""
    os.kill(server_pid, signal.SIGTERM)
    try:
        code = process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        raise SmokeFailure("the server did not stop within 120 s of SIGTERM") from None
    check(code == 0, f"the server exited with {code} after SIGTERM")
    print("smoke: SIGTERM, exit 0")


def server_pid(process: subprocess.Popen[str]) -> int:
    """The `feedback serve` process (gunicorn's master): bash itself if it exec'd the command, else its child."""
    if "feedback serve" in Path(f"/proc/{process.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode():
        return process.pid
    found = subprocess.run(["pgrep", "-P", str(process.pid), "-f", r"bin/feedback serve"], capture_output=True,
                           text=True, check=False).stdout.split()  # fmt: skip
    check(len(found) == 1, f"expected one 'feedback serve' child of the command, found {found}")
    return int(found[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(mode: str, folder: Path, argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Start the server as `mode` says; the process and, in production, the output of `feedback demo`."""
    feedback = folder / ".venv" / "bin" / "feedback"
    if mode == "demo":
        command = argv[2]
        readme = (folder / "README.md").read_text(encoding="utf-8")
        check(re.findall(r"```sh\n(.+?)\n```", readme)[0] == command, "the command is not the README's first one")
        return subprocess.Popen(["bash", "-c", command], cwd=folder, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True), ""  # fmt: skip
    if mode == "wheel":
        return start_installed(folder, env)
    env |= {
        "FEEDBACK_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PUBLIC_BASE_URL": "https://feedback.example.com",
        "PROXY_HOPS": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'instance' / 'production-smoke.sqlite3'}",
    }
    owner = subprocess.run([str(feedback), "create-user", "ops@example.com", "--workspace", "Smoke GmbH",
                            "--password", secrets.token_urlsafe(12)], cwd=folder, env=env, capture_output=True,
                           text=True, check=False)  # fmt: skip
    check(owner.returncode == 0, f"feedback create-user failed in production: {owner.stdout}{owner.stderr}")
    demo = subprocess.run([str(feedback), "demo"], cwd=folder, env=env, capture_output=True, text=True, check=False)
    check(demo.returncode == 0, f"feedback demo failed in production: {demo.stdout}{demo.stderr}")
    command = [str(feedback), "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--workers", "2"]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True), demo.stdout  # fmt: skip


def start_installed(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Set up and start the installed wheel from `folder`, a directory outside the checkout; the demo's output."""
    python = folder / ".venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", SHIPPED_FOLDERS], cwd=folder, env=env, capture_output=True, text=True,
                           check=False)  # fmt: skip
    check(where.returncode == 0, f"the installed package does not import: {where.stderr}")
    site = json.loads(where.stdout)
    for name, path in site["folders"].items():
        check(Path(path).is_dir() and Path(path).is_relative_to(site["package"]),
              f"{name} is not the installed package's ({path}, package at {site['package']})")  # fmt: skip
    print(f"smoke: wheel: templates, static files and migrations come from {site['package']}", flush=True)
    feedback = folder / ".venv" / "bin" / "feedback"
    for step in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([str(feedback), *step], cwd=folder, env=env, capture_output=True, text=True, check=False)
        check(done.returncode == 0, f"feedback {' '.join(step)} failed: {done.stdout}{done.stderr}")
    database = folder / "instance" / "feedback.sqlite3"
    check(database.is_file(), f"the database is not in ./instance of the working directory ({database})")
    check(not (Path(site["package"]) / "instance").exists(), "an instance folder was made inside the installed package")
    print(f"smoke: wheel: feedback db upgrade and feedback demo wrote {database}", flush=True)
    command = [str(feedback), "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--workers", "1"]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True), done.stdout  # fmt: skip


#: Run by the wheel's venv: where the app takes its templates, static files and migrations from.
SHIPPED_FOLDERS = """
import json
from pathlib import Path
import feedback
app = feedback.create_app()
folders = {"templates": app.template_folder, "static": app.static_folder,
           "migrations": app.extensions["migrate"].directory}
print(json.dumps({"package": str(Path(feedback.__file__).parent), "folders": folders}))
"""


def run(argv: list[str]) -> int:
    mode, folder = argv[0], Path(argv[1]).resolve()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FEEDBACK_", "DATABASE_URL"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)  # the installed package, never the checkout
    feedback = folder / ".venv" / "bin" / "feedback"
    process: subprocess.Popen[str] | None = None
    output: Output | None = None
    try:
        process, printed = start(mode, folder, argv, env)
        output = Output(process)
        url = output.wait_for(r"feedback is starting at (http://\S+)", process, START_TIMEOUT).group(1)
        if mode == "demo":
            printed = output.wait_for(r"Log in as \S+ with password \S+", process, 10).group(0)
        login = re.search(r"Log in as (\S+) with password (\S+)", printed)
        check(login is not None, "no login was printed")
        email, password = login.group(1), login.group(2)  # type: ignore[union-attr]
        print(f"smoke: {mode}: the command printed {url} and a login for {email}", flush=True)
        walk(Browser(url, behind_https_proxy=mode == "production"), (email, password), process, feedback, env, folder)
        stop(process, server_pid(process) if mode == "demo" else process.pid)
        output.thread.join(timeout=10)
        return 0
    except (SmokeFailure, OSError, KeyError, ValueError) as error:
        print(f"smoke: FAILED ({mode}): {error}", file=sys.stderr)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if output is not None:
            output.thread.join(timeout=10)
            print("---- server output ----", file=sys.stderr)
            print(output.text(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
