"""The survey submit's lane: a form that completes a new response on its one page is answered before Flask.

Most survey submits are one page sent once by a phone that has no dashboard session: a new response with its
answers and nothing else to set off. For that case Flask's request handling (request and session objects, the URL
map, the before- and after-request hooks, Flask-Limiter's bookkeeping, Babel's locale selection, Werkzeug's form
parser) costs more than the work itself. This WSGI layer, in front of the Flask app like the scan path's fast lane
(`feedback.qr.fastpath`), answers that case with the very checks and writes the view makes:

- the same refusal of forms sent from another site (`client.sent_from_another_site`),
- the same signed form state (`pages.unsign_state`), survey setup (`quick.setup_of`) and page check
  (`quick.completion_of`),
- the same answer limit, counted once in Flask-Limiter's storage under the same key and scope (`answer`, shared
  with the single-answer saves) before anything is written,
- the same group commit (`quick.store`), which answers only after the commit holding the response and its answers,
- the same answer: 303 to the thank-you page, the visitor cookie when the phone had none, `no-store`, the
  rate-limit headers (written as plain WSGI status, headers and body: no response object is built).

Everything else goes to Flask untouched (the body it read is handed on): another method or path, a query string, a
body that is not a plain urlencoded form or is large, a dashboard session, remember or team cookie (a member's
browser, a team device), a form sent from another site (Flask refuses it), NUL characters (Flask refuses them), an
unreadable or changed form state, an invite, a form whose answers the script saved, an unknown code or one without
a survey, a form the page check sends back, a completion that would set something off, a response that exists or a
visitor who answered already (the writer says so), a reached answer limit (Flask refuses it), a failed write, and
any error. A request the lane counted against the answer limit and then handed to Flask is not counted again
(`COUNTED`): one request, one count. docs/RELIABILITY.md argues why the protection is the same.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from flask_limiter.constants import HeaderNames
from limits import RateLimitItem, parse_many
from markupsafe import escape
from werkzeug.exceptions import SecurityError
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.urls import iri_to_uri
from werkzeug.wsgi import get_host

from feedback.analysis.rollup_keeper import keeper_of
from feedback.bounds import page_number
from feedback.db_types import utcnow
from feedback.extensions import limiter
from feedback.qr.fastpath import code_of, layer_of, own_cookies, phone_language
from feedback.qr.visitors import VISITOR_COOKIE, device_signature
from feedback.respondent import client, pages, quick
from feedback.respondent.respond import FormState

log = logging.getLogger(__name__)

#: Set in the WSGI environ when the lane counted the request against the answer limit before handing it to Flask.
COUNTED = "feedback.lane.counted"
#: The largest form the lane reads (a one-page survey's answers are far smaller; larger ones go to Flask).
MAX_BODY = 64 * 1024
#: At most this many fields, as Werkzeug's MAX_FORM_PARTS would allow.
MAX_FIELDS = 1000
FORM = "application/x-www-form-urlencoded"
#: The limit scope the view's answer limit counts in (`@limiter.shared_limit(…, "answer", …)`).
SCOPE = "answer"

SEE_OTHER = "303 SEE OTHER"
#: What a browser that does not follow the redirect shows (as Werkzeug's redirect says it).
_REDIRECT_BODY = (
    "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
    '<p>You should be redirected automatically to the target URL: <a href="{location}">{location}</a>. If not, click '
    "the link.\n"
)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@lru_cache(maxsize=32)
def _limits(text: str) -> tuple[RateLimitItem, ...]:
    """The limits of a limit string, shortest window first (the order Flask-Limiter checks them in)."""
    return tuple(sorted(parse_many(text)))


class SubmitLane:
    """WSGI middleware in front of the Flask app that answers one-page survey completions."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._own_cookies = own_cookies(app)
        #: Submits this process answered in the lane (for tests and the benchmark's notes).
        self.served = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            code = self._candidate(environ)
        except Exception:  # e.g. an Origin that is no URL: Flask answers it
            code = None
        if code is None:
            return self.wsgi_app(environ, start_response)
        length = int(environ["CONTENT_LENGTH"])
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # whoever answers in the end reads the same body
        keeper = keeper_of(self.app)
        if keeper is not None:
            keeper.request_started()
        try:
            answered = self._answer(code, body, environ, start_response) if len(body) == length else None
        except Exception:  # the full path decides, and finds the response if it was stored after all
            log.exception("survey submit handed to the full path after an error")
            answered = None
        finally:
            if keeper is not None:
                keeper.request_ended()
        if answered is not None:
            self.served += 1
            return answered
        return self.wsgi_app(environ, start_response)  # the body it reads is the one read here

    def _candidate(self, environ: dict[str, Any]) -> str | None:
        """The code of a POST the lane may try to answer, or None for anything else."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING"):
            return None
        code = code_of(environ.get("PATH_INFO", ""))
        if code is None:
            return None
        if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != FORM:
            return None
        length = environ.get("CONTENT_LENGTH", "")
        limit = min(MAX_BODY, int(self.app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY))
        if not (length.isascii() and length.isdigit()) or not 0 < int(length) <= limit:
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", "")) if environ.get("HTTP_COOKIE") else {}
        if any(name in cookies for name in self._own_cookies):  # a member's browser or a team device
            return None
        try:
            host = get_host(environ, self.app.config.get("TRUSTED_HOSTS"))
        except SecurityError:
            return None
        if client.sent_from_another_site(environ.get("HTTP_SEC_FETCH_SITE"), environ.get("HTTP_ORIGIN"), host):
            return None  # Flask refuses it, in the visitor's language
        environ["feedback.lane.cookies"] = cookies
        return code

    def _answer(
        self, code: str, body: bytes, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes] | None:
        """Complete the response and answer; None (nothing written, nothing counted but what COUNTED says) when
        Flask must take the request."""
        try:
            pairs = parse_qsl(
                body.decode(), keep_blank_values=True, errors="werkzeug.url_quote", max_num_fields=MAX_FIELDS
            )  # as Werkzeug parses a form
        except (UnicodeDecodeError, ValueError):
            return None
        form: dict[str, list[str]] = {}
        for name, value in pairs:
            if "\x00" in value:  # Flask refuses text with NUL characters
                return None
            form.setdefault(name, []).append(value)
        if form.get("saved", [""])[0]:  # the script saved answers one by one: the response exists
            return None
        with self.app.app_context():
            state = pages.unsign_state(form.get("state", [""])[0])
            if state is None or state.invite_id is not None:
                return None
            return self._complete(code, state, form, environ, start_response)

    def _complete(
        self,
        code: str,
        state: FormState,
        form: dict[str, list[str]],
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes] | None:
        setup = quick.setup_of(code)
        if setup is None or setup.code_id != state.code_id:
            return None
        secret = str(self.app.config["SECRET_KEY"])
        cookies: dict[str, str] = environ["feedback.lane.cookies"]
        visitor_key, fresh = client.respondent_key(cookies.get(VISITOR_COOKIE, ""), state.token, setup.kiosk, secret)
        address, user_agent = environ.get("REMOTE_ADDR"), environ.get("HTTP_USER_AGENT", "")
        language = phone_language(cookies, environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        device = device_signature(address, user_agent, secret)
        page = page_number(form.get("page", [None])[0], 0, 1000)
        completion = quick.completion_of(setup, state, page, form, visitor_key, language, utcnow(), device)
        if completion is None:
            return None
        counted = self._count(client.limit_key(address, user_agent, secret), environ)
        if counted is None:  # a limit is reached: Flask counts and refuses it as ever
            return None
        if not quick.store(completion):  # the response exists, the visitor answered already, or the write failed
            return None
        # as url_for builds it: the mount point without its trailing slash, the address in URI form
        script = environ.get("SCRIPT_NAME", "").rstrip("/")
        location = iri_to_uri(f"{script}/t/{code}/thanks?r={state.token}")
        body = _REDIRECT_BODY.format(location=escape(location)).encode()
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Location", location),
            ("Cache-Control", "no-store"),
            ("Vary", "Cookie"),  # as Flask says of every answer that looked at the session
            *counted,
        ]
        if fresh:
            secure = environ.get("wsgi.url_scheme") == "https"
            cookie = dump_cookie(
                VISITOR_COOKIE, fresh, max_age=client.VISITOR_COOKIE_AGE, httponly=True, samesite="Lax", secure=secure
            )
            headers.append(("Set-Cookie", cookie))
        start_response(SEE_OTHER, headers)
        return [body]

    def _count(self, key: str, environ: dict[str, Any]) -> list[tuple[str, str]] | None:
        """Count the request against the answer limits as Flask-Limiter counts the view's: one hit per limit of
        ANSWER_RATE_LIMIT ("10 per minute;50 per hour"), shortest window first, in its storage under the same key and
        scope, stopping at the first one reached. The rate-limit headers of the answer (of the shortest window, as
        Flask-Limiter picks them); None when a limit is reached (Flask then counts and refuses the request, as it
        refuses every request past a limit: a refused request may count twice in the shorter windows before the one
        reached, which refuses it anyway)."""
        if not limiter.enabled:
            return []
        items = _limits(str(self.app.config["ANSWER_RATE_LIMIT"]))
        prefix = self.app.config.get("RATELIMIT_KEY_PREFIX", "")
        identifiers = [prefix, key, SCOPE] if prefix else [key, SCOPE]
        for item in items:
            if not limiter.limiter.hit(item, *identifiers):
                return None
        environ[COUNTED] = True  # counted: whatever happens next, the view does not count it again
        item = items[0]
        reset_time, remaining = limiter.limiter.get_window_stats(item, *identifiers)
        reset_at = int(reset_time + 1)
        return [
            (HeaderNames.LIMIT.value, str(item.amount)),
            (HeaderNames.REMAINING.value, str(remaining)),
            (HeaderNames.RESET.value, str(reset_at)),
            (HeaderNames.RETRY_AFTER.value, str(int(reset_at - time.time()))),
        ]


def install(app: Flask) -> None:
    """Put the lane in front of the app (inside any proxy fix, so REMOTE_ADDR is already the client's)."""
    app.wsgi_app = SubmitLane(app, app.wsgi_app)  # type: ignore[method-assign]


def lane_of(app: Flask) -> SubmitLane:
    """The app's submit lane."""
    return layer_of(app, SubmitLane)
