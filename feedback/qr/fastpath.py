"""The scan path's fast lane: repeat scans of an active code are answered from a per-process snapshot of what the
full Flask path answered last time, without Flask, the ORM or a template.

A TV spot sends thousands of people to one code in the same minute; they all get the same redirect or the same
landing page. The first scan of a code (per language) goes through the full path (`qr.views.scan`), which offers
its answer here when it may be replayed: active code, redirect or landing page without a survey form, no cookie
set, no `code.scanned` webhook. Later scans of that code only describe the visit, hand the scan row to the group
commit (`scanwriter`, acknowledged only after the commit) and send the same status, headers and body.

Anything else goes to Flask: unknown, paused or expired codes, HEAD, a query string (`?lang=`), a dashboard
session cookie, survey pages (their form carries a per-visitor signed state), and every snapshot older than
`TTL_SECONDS` — so a change made by another process or instance (pause, expiry, new destination) is seen within
that time (`MAX_AGE_SECONDS` at most, while one request is looking at the code again and the others still get
the snapshot instead of all crowding into the full path). A change committed through the app in this process
(counted on the app: `Changes`) drops every snapshot at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from feedback.db_types import utcnow

#: How long a snapshot is replayed before the full path looks at the code again ...
TTL_SECONDS = 1.0
#: ... and the most it is replayed while one request is doing that.
MAX_AGE_SECONDS = 2.0
#: Where the full path leaves its offer for the fast lane in the WSGI environ.
OFFER_KEY = "feedback.fastpath.offer"
#: The most snapshots one process keeps (codes × languages); beyond that, the oldest half is dropped.
MAX_SNAPSHOTS = 4096
#: What scan answers and survey completions (`feedback.respondent.quick`) depend on.
_WATCHED_TABLES = {
    "code",
    "touchpoint",
    "campaign",
    "workspace",
    "survey",
    "survey_version",
    "question",
    "offer",
    "webhook_endpoint",
}
#: Headers that belong to the first visitor's answer only (rate-limit state) or are set anew for every answer.
_SKIPPED_HEADERS = {"content-length", "date", "server", "retry-after"}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Key = tuple[str, str, str]
Layer = TypeVar("Layer")


@dataclass(frozen=True)
class Offer:
    """What the full path says about an answer it may let the fast lane replay."""

    workspace_id: int
    touchpoint_id: int
    code_id: int
    expires_at: datetime | None
    language: str
    #: A personalised mailing code: its scans arrive as `personal_mailing`, not by symbol or typed address.
    personal: bool = False


@dataclass(frozen=True)
class Snapshot:
    """One replayable answer for one code in one language."""

    offer: Offer
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    taken_at: float
    generation: int


#: Where create_app keeps the app's count of changes (app.extensions).
CHANGES = "feedback.fastpath.changes"


class Changes:
    """How many changes the app's sessions made in this process to what snapshots depend on: a snapshot (and a
    survey setup of `feedback.respondent.quick`) is good while the count is what it was when it was taken."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        """One more change: no snapshot taken before it is replayed."""
        with self._lock:
            self.count += 1


def init_app(app: Flask) -> None:
    """Give the app its count of changes, at 0."""
    app.extensions[CHANGES] = Changes()


def changed() -> None:
    """Something a scan answer depends on was changed through the current app: no snapshot taken before is
    replayed. Outside an app context there is no app to tell (feedback/ makes no such change); a change made there
    is seen like another process's, within TTL_SECONDS."""
    if has_app_context():
        changes: Changes | None = current_app.extensions.get(CHANGES)
        if changes is not None:
            changes.bump()


def generation() -> int:
    """The count of changes the current app made to what snapshots depend on (a snapshot is good while it stays)."""
    changes: Changes = current_app.extensions[CHANGES]
    return changes.count


def offer(environ: dict[str, Any], offered: Offer) -> None:
    """Let the fast lane replay the answer the full path is about to send for this scan."""
    environ[OFFER_KEY] = offered


def own_cookies(app: Flask) -> tuple[str, ...]:
    """The cookies of a member's browser or a team device (dashboard session, remember-me, team mark): a request that
    carries one is answered by Flask, never by a lane before it."""
    from feedback.auth.devices import TEAM_COOKIE

    return (
        str(app.config["SESSION_COOKIE_NAME"]),
        str(app.config.get("REMEMBER_COOKIE_NAME", "remember_token")),
        TEAM_COOKIE,
    )


def phone_language(cookies: dict[str, str], accept_language: str) -> str:
    """The language of a phone's page: the one chosen with the switch (its cookie), else the Accept-Language's."""
    from feedback.i18n import LANG_COOKIE, RESPONDENT_LANGUAGES

    chosen = cookies.get(LANG_COOKIE)
    return chosen if chosen in RESPONDENT_LANGUAGES else page_language(accept_language)


@lru_cache(maxsize=1024)
def page_language(accept_language: str) -> str:
    """The page language for an Accept-Language header, as `feedback.i18n.select_locale` picks it."""
    from feedback.i18n import FALLBACK, RESPONDENT_LANGUAGES

    accepted = parse_accept_header(accept_language[:1024], LanguageAccept)
    return accepted.best_match(tuple(RESPONDENT_LANGUAGES)) or FALLBACK


def code_of(path: str) -> str | None:
    """The code of a `/t/<code>` or `/T/<code>` path in its canonical form, or None."""
    from feedback.qr.codes import InvalidCode, normalise_code

    if len(path) < 4 or path[0] != "/" or path[1] not in "tT" or path[2] != "/" or "/" in path[3:]:
        return None
    try:
        return normalise_code(path[3:])
    except InvalidCode:
        return None


class FastPath:
    """WSGI middleware in front of the Flask app that replays snapshots of scan answers."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.clock = clock
        #: Read on every scan without an app context, so the middleware holds the app's counter itself.
        self.changes: Changes = app.extensions[CHANGES]
        self.snapshots: dict[Key, Snapshot] = {}
        self.refreshing: set[Key] = set()
        #: Scans this process answered in the fast lane (for tests and the benchmark's notes).
        self.served = 0
        self._engine: sa.Engine | None = None
        self._secret = str(app.config["SECRET_KEY"])
        self._own_cookies = own_cookies(app)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        snapshot = self.snapshots.get(key)
        if snapshot is not None and snapshot.generation == self.changes.count:
            age = self.clock() - snapshot.taken_at
            # one request at a time looks at the code again; meanwhile the others keep the snapshot a little longer
            if age <= TTL_SECONDS or (key in self.refreshing and age <= MAX_AGE_SECONDS):
                answered = self._replay(snapshot, environ, start_response)
                if answered is not None:
                    return answered
        self.refreshing.add(key)
        try:
            return self._learn(key, environ, start_response)
        finally:
            self.refreshing.discard(key)

    def _key(self, environ: dict[str, Any]) -> Key | None:
        """(code, page language, mount point) of a scan the fast lane may answer, or None for anything else (the
        mount point is in the page's links when a proxy serves us under a prefix)."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        code = code_of(environ.get("PATH_INFO", ""))
        if code is None:
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", "")) if environ.get("HTTP_COOKIE") else {}
        # a logged-in marketer sees their own language, and a team device's scans are recorded as the team's
        if any(name in cookies for name in self._own_cookies):
            return None
        language = phone_language(cookies, environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        environ["feedback.fastpath.cookies"] = cookies
        return code, language, environ.get("SCRIPT_NAME", "")

    def _replay(
        self, snapshot: Snapshot, environ: dict[str, Any], start_response: StartResponse, outage: bool = False
    ) -> Iterable[bytes] | None:
        """Record the scan and send the snapshot's answer; None when the snapshot may not be used (any more). In an
        `outage` of the database the day's salt may be one of this process (the scan is not stored anyway)."""
        from feedback.qr.models import Arrival
        from feedback.qr.services import LOST_SCANS, record_replayed_scan
        from feedback.qr.visitors import VISITOR_COOKIE, visit_of

        now = utcnow()
        offered = snapshot.offer
        if offered.expires_at is not None and offered.expires_at <= now:
            return None
        salts = self.app.extensions["feedback_salts"]
        salt = salts.salt_for(now.date()) if outage else salts.cached(now.date())
        if salt is None:  # a new day: the full path fetches its salt
            return None
        visit = visit_of(
            user_agent=environ.get("HTTP_USER_AGENT", ""),
            cookie=environ["feedback.fastpath.cookies"].get(VISITOR_COOKIE, ""),
            address=environ.get("REMOTE_ADDR"),
            accept_language=environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            accept=environ.get("HTTP_ACCEPT", ""),
            method="GET",
            salt=salt,
            secret=self._secret,
        )
        if offered.personal:
            arrival = Arrival.PERSONAL_MAILING
        else:  # what the symbol encodes, or the printed address typed by hand
            arrival = Arrival.SYMBOL if environ.get("PATH_INFO", "")[1:2] == "T" else Arrival.TYPED_URL
        if outage:  # the database cannot be reached: no write to wait for, the scan is counted as lost
            self.app.extensions[LOST_SCANS].add()
        else:
            record_replayed_scan(
                self.app, self._engine_for_scans(), offered.workspace_id, offered.touchpoint_id, offered.code_id,
                visit, now, arrival,
            )  # fmt: skip
        self.served += 1
        start_response(snapshot.status, [*snapshot.headers, ("Content-Length", str(len(snapshot.body)))])
        return [snapshot.body]

    def _learn(self, key: Key, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Let Flask answer, and keep its answer when the full path offered it. When the database could not be
        reached, the code's last good answer is sent instead (at any age), and the scan counted as not stored."""
        from feedback.errors import DATABASE_DOWN

        generation = self.changes.count
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            """Hold the answer's status and headers until it is clear whether they are sent (Flask calls this
            before it returns its body, and never uses the write callable)."""
            seen["status"], seen["headers"] = status, headers
            if exc_info is not None:  # an error after the start: nothing to hold back any more
                seen["sent"] = True
                return start_response(status, headers, exc_info)
            return _no_write

        answer = self.wsgi_app(environ, capture)
        last = self.snapshots.get(key)  # (another thread may drop it meanwhile)
        if environ.get(DATABASE_DOWN) and last is not None and last.generation == generation and not seen.get("sent"):
            last_good = self._replay(last, environ, start_response, outage=True)
            if last_good is not None:
                _close(answer)
                return last_good
        if not seen.get("sent"):
            start_response(seen["status"], seen["headers"])
        offered = environ.get(OFFER_KEY)
        if not isinstance(offered, Offer) or offered.language != key[1]:
            return answer
        try:
            body = b"".join(answer)
        finally:
            _close(answer)
        headers = [
            (name, value)
            for name, value in seen["headers"]
            if name.lower() not in _SKIPPED_HEADERS and not name.lower().startswith("x-ratelimit")
        ]
        if seen["status"][:3] in ("200", "302") and not any(name.lower() == "set-cookie" for name, _ in headers):
            if len(self.snapshots) >= MAX_SNAPSHOTS:
                for old in list(self.snapshots)[: MAX_SNAPSHOTS // 2]:
                    self.snapshots.pop(old, None)
            self.snapshots[key] = Snapshot(offered, seen["status"], headers, body, self.clock(), generation)
        return [body]

    def _engine_for_scans(self) -> sa.Engine:
        if self._engine is None:
            from feedback.extensions import db

            with self.app.app_context():
                self._engine = db.engine
        return self._engine


def _no_write(_data: bytes) -> None:
    raise RuntimeError("the full path answers with its body, not with write()")


def _close(answer: Iterable[bytes]) -> None:
    close = getattr(answer, "close", None)
    if close is not None:
        close()


def _watch_changes(session: sa.orm.Session, *_args: Any) -> None:
    """After a flush: did it touch anything a scan answer depends on? Then no snapshot is replayed, now and again
    after the commit (a request that read the old rows in between must not keep them)."""
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(getattr(obj, "__table__", None), "name", "") in _WATCHED_TABLES for obj in touched):
        session.info["fastpath_changed"] = True
        changed()


def _after_commit(session: sa.orm.Session) -> None:
    if session.info.pop("fastpath_changed", False):
        changed()


def _watch_bulk(execute_state: sa.orm.ORMExecuteState) -> None:
    """ORM-enabled UPDATE/DELETE statements on watched tables count as changes too."""
    if execute_state.is_update or execute_state.is_delete:
        table = getattr(execute_state.statement, "table", None)
        if getattr(table, "name", "") in _WATCHED_TABLES:
            execute_state.session.info["fastpath_changed"] = True
            changed()


def install(app: Flask) -> None:
    """Put the fast lane in front of the app (inside any proxy fix, so REMOTE_ADDR is already the client's)."""
    if not sa.event.contains(sa.orm.Session, "after_flush", _watch_changes):
        sa.event.listen(sa.orm.Session, "after_flush", _watch_changes)
        sa.event.listen(sa.orm.Session, "after_commit", _after_commit)
        sa.event.listen(sa.orm.Session, "do_orm_execute", _watch_bulk)
    app.wsgi_app = FastPath(app, app.wsgi_app)  # type: ignore[method-assign]


def layer_of(app: Flask, kind: type[Layer]) -> Layer:
    """The app's WSGI layer of this kind (the fast lane, the submit lane), under whatever middleware wraps it."""
    layer: Any = app.wsgi_app
    while not isinstance(layer, kind):
        layer = layer.wsgi_app if hasattr(layer, "wsgi_app") else layer.app
    return layer


def lane_of(app: Flask) -> FastPath:
    """The app's fast lane."""
    return layer_of(app, FastPath)
