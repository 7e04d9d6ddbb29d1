"""Roll-ups built in the background: every serving process rolls up the closed days of every workspace in its idle
time (no request of its own in flight), one day per short transaction, so that a page view rarely finds a day to
roll up itself (`feedback rollup` does the same from cron)."""

from __future__ import annotations

import logging
import os
import threading

import sqlalchemy as sa
from flask import Flask, Response, g, make_response, render_template, request

from feedback.analysis import rollups
from feedback.auth.models import Workspace
from feedback.extensions import db

log = logging.getLogger(__name__)
#: A new process waits this long (or for `wake`) before its first round.
FIRST_ROUND_SECONDS = 30.0
#: Pause between two days of a round, so that writers waiting for the lock (SQLite) get it.
BETWEEN_DAYS_SECONDS = 0.05
#: After a round that a request cut short, the next starts this soon (or when woken).
RESUME_SECONDS = 1.0
#: What a page still being counted asks the browser to wait before trying again.
RETRY_AFTER_SECONDS = 30


class Keeper:
    """A thread per process: a round FIRST_ROUND_SECONDS after start and then every `poll_seconds`; a round rolls up
    day by day, pausing between days, and stops as soon as the process has a request in flight (the rest waits for
    the next idle round)."""

    def __init__(self, app: Flask, poll_seconds: float) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        #: Rounds finished so far, and an event set after each (tests wait for it, never for time).
        self.rounds = 0
        self.round_done = threading.Event()
        #: Whether the last round stopped for a request with days left to roll up.
        self.interrupted = False
        #: A page said it is still counting: roll up even while requests are served (each day is one short
        #: transaction, with a pause after it), since a busy process may never be idle.
        self.urgent = False
        self._urgent_again = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="rollup-keeper", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wake(self, urgent: bool = False) -> None:
        """Start a round now (after a bulk import, or in tests); `urgent` (a page is waiting for its figures): that
        round and the next ones roll up even while the process serves requests, until nothing is left."""
        if urgent:
            self.urgent = self._urgent_again = True
        self._wake.set()

    def request_started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def request_ended(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def busy(self) -> bool:
        """Whether the process serves a request now (unless a page waits for figures), or is stopping."""
        with self._lock:
            return (self._in_flight > 0 and not self.urgent) or self._stop.is_set()

    def _pause_then_busy(self) -> bool:
        """Between two days: leave the write lock to others for a moment, then ask whether to go on."""
        self._stop.wait(BETWEEN_DAYS_SECONDS)
        self.interrupted = self.busy()
        return self.interrupted

    def _loop(self) -> None:
        # not at once: a fresh worker (and whatever started it, e.g. a demo load or a migration) goes first
        self._wake.wait(FIRST_ROUND_SECONDS)
        while not self._stop.is_set():
            self._wake.clear()
            self._urgent_again = False
            try:
                self.run_round()
            except Exception:  # the thread must survive a database hiccup; the next round tries again
                log.exception("roll-up round failed")
            if not self.interrupted and not self._urgent_again:
                self.urgent = False  # a round ran to its end since the last page asked: nothing is left for it
            self.rounds += 1
            self.round_done.set()
            # a round a request cut short goes on soon, not after the whole poll interval
            self._wake.wait(RESUME_SECONDS if self.interrupted else self.poll_seconds)

    def run_round(self) -> int:
        """Roll up what is pending while the process is idle; the days rolled up over all workspaces."""
        self.interrupted = self.busy()
        if self.interrupted:
            return 0
        total = 0
        with self.app.app_context():
            workspaces = db.session.execute(sa.select(Workspace.id, Workspace.timezone).order_by(Workspace.id)).all()
            db.session.remove()
            for workspace_id, timezone in workspaces:
                if self.busy():
                    self.interrupted = True
                    break
                before = len(rollups.pending_days(workspace_id, timezone))
                if before:
                    rollups.build(workspace_id, timezone, should_stop=self._pause_then_busy)
                    total += before - len(rollups.pending_days(workspace_id, timezone))
        return total


_keepers: dict[tuple[int, int], Keeper] = {}
#: Downloads and API reads wait for their roll-ups (their figures must be whole); pages answer at once.
_DOWNLOADS = (".csv", ".xlsx", ".json", ".pdf")
#: The API waits for whole figures; a phone's scan and survey pages read no counts (and are the hot path).
_NOT_PAGES = ("api", "respondent")


def _is_page() -> bool:
    """Whether this request is the GET of a dashboard page: it reads what is rolled up and counts a few missing days
    live (`rollups.begin_at_once`) instead of rolling them up while the user waits."""
    rule = request.url_rule
    if request.method != "GET" or rule is None or request.blueprint in _NOT_PAGES:
        return False
    return "fmt" not in (request.view_args or {}) and not rule.rule.endswith(_DOWNLOADS)


def keeper_of(app: Flask) -> Keeper | None:
    """The roll-up thread this process runs for the app, if any (a request answered before Flask, e.g. by the
    survey submit's lane, counts itself in flight with it)."""
    return _keepers.get((os.getpid(), id(app)))


def keep_rolled_up(app: Flask, start_now: bool = True) -> Keeper | None:
    """Count this process's requests and run (once per app and process) the roll-up thread; none when
    ROLLUP_POLL_SECONDS is 0. With the thread running, dashboard pages answer at once from what is rolled up (a
    few missing days counted live); with more missing they say which days are still being counted (503) and wake
    the thread. Without it a page rolls up what it needs itself.

    `start_now`: start this process's thread now (`feedback serve`, in each worker) and return it; else each
    process that serves the app starts its own with its first request (`gunicorn wsgi:app`, after any fork, so
    `--preload` works too) and None is returned."""
    seconds = float(app.config.get("ROLLUP_POLL_SECONDS", 0))
    if seconds <= 0:
        return None
    if not app.extensions.get(_HOOKED):
        app.extensions[_HOOKED] = True
        _count_requests(app)
    return _here(app, seconds) if start_now else None


#: app.extensions: the app counts its requests for its keepers.
_HOOKED = "feedback.rollup_keeper"
_starting = threading.Lock()


def _here(app: Flask, seconds: float) -> Keeper:
    """This process's keeper of the app, started the first time it is asked for."""
    key = (os.getpid(), id(app))
    keeper = _keepers.get(key)
    if keeper is None:
        with _starting:
            keeper = _keepers.get(key)
            if keeper is None:
                keeper = Keeper(app, seconds)
                keeper.start()
                _keepers[key] = keeper
    return keeper


def _count_requests(app: Flask) -> None:
    """Every request counts itself in flight with this process's keeper; dashboard pages read at once."""
    seconds = float(app.config["ROLLUP_POLL_SECONDS"])

    def _started() -> None:
        keeper = g.rollup_keeper = _here(app, seconds)
        keeper.request_started()
        if _is_page():
            _left_out, g.rollups_token = rollups.begin_at_once()

    def _ended(_error: BaseException | None = None) -> None:
        keeper = g.pop("rollup_keeper", None)
        if keeper is None:  # an earlier before_request answered already
            return
        keeper.request_ended()
        token = g.pop("rollups_token", None)
        if token is not None:
            rollups.end_at_once(token)
        if g.pop("rollups_wanted", False):
            keeper.wake(urgent=True)  # the days the page needs come first, busy or not

    def _still_counting(error: rollups.StillCounting) -> Response:
        g.rollups_wanted = True
        response = make_response(render_template("analysis/still_counting.html", days=error.days), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response

    app.before_request(_started)
    app.teardown_request(_ended)
    app.register_error_handler(rollups.StillCounting, _still_counting)
