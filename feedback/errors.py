"""Domain exceptions and how they reach users: an HTML page in their language, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, InternalError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from feedback.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A domain rule refused an operation; `message` is shown to the user, `status` is the HTTP status."""

    status = 400
    message = _l("The request could not be carried out.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(self.message))
        if message is not None:
            self.message = message


class NotFound(DomainError):
    """The object does not exist, or belongs to a workspace the user cannot see."""

    status = 404
    message = _l("This page does not exist or you have no access to it.")


class Conflict(DomainError):
    """A write collided with a concurrent one (a unique key was taken in the meantime); nothing was saved."""

    status = 409
    message = _l("Someone changed this at the same moment, so nothing was saved. Please try again.")


class Forbidden(DomainError):
    """The user's role does not allow the operation."""

    status = 403
    message = _l("Your role in this workspace does not allow this.")


HTTP_MESSAGES = {
    400: _l("The request was not understood. Please check your input and try again."),
    401: _l("Please authenticate."),
    403: _l("You are not allowed to do this."),
    404: _l("This page does not exist or you have no access to it."),
    405: _l("This action is not available here."),
    409: _l("This conflicts with what already exists."),
    410: _l("This page is no longer available."),
    413: _l("What you sent is too large."),
    415: _l("This kind of content is not accepted here."),
    422: _l("Some values are not valid."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    503: _l("This page cannot be shown at the moment. Please try again in a minute."),
    500: _l("Something went wrong on our side. Your last action may not have been saved; please try again."),
}

TITLES = {
    400: _l("Bad request"),
    401: _l("Not authenticated"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not available"),
    409: _l("Conflict"),
    410: _l("Gone"),
    413: _l("Too large"),
    415: _l("Unsupported content"),
    422: _l("Invalid values"),
    429: _l("Slow down"),
    503: _l("Back in a moment"),
    500: _l("Error"),
}


#: Set in the WSGI environ when a request failed because the database could not be reached (or refused the
#: statement): the fast lane (feedback.qr.fastpath) then answers a scan from the code's last good answer instead.
DATABASE_DOWN = "feedback.database_down"
#: How long a client should wait before asking again while the database is unreachable.
RETRY_AFTER_SECONDS = 30

#: Blueprints whose visitors are customers, not dashboard users: their errors use the respondent layout.
PUBLIC_BLUEPRINTS = frozenset({"respondent", "health"})


#: What a form's sender reads when the database could not take it.
UNSAVED = _l("This could not be saved just now. Please try again in a minute.")


def _sqlstate(error: Exception) -> str:
    return str(getattr(getattr(error, "orig", None), "sqlstate", "") or "")


def _collided(error: Exception) -> bool:
    """A deadlock or a serialization failure (PostgreSQL class 40): the transaction may simply be tried again."""
    return _sqlstate(error).startswith("40")


def _read_only(error: Exception) -> bool:
    """PostgreSQL refusing a write in a read-only transaction (a replica, a full disk set read-only): class 25."""
    return _sqlstate(error) == "25006"


def _unreachable(error: Exception) -> bool:
    """No connection at all (refused, timed out, dropped, pool exhausted), as opposed to a statement refused."""
    if isinstance(error, PoolTimeout):
        return True
    return getattr(error, "statement", None) is None or bool(getattr(error, "connection_invalidated", False))


def _route() -> str:
    """The request's route pattern (never the path: paths can carry secrets such as /join/<token>)."""
    return request.url_rule.rule if request.url_rule is not None else "(no route)"


def _layout() -> str:
    """Dashboard layout for logged-in users on dashboard pages, the tiny respondent layout otherwise."""
    try:
        dashboard = current_user.is_authenticated and request.blueprint not in PUBLIC_BLUEPRINTS
    except Exception:  # noqa: BLE001 - the user store may be what failed; fall back to the plain page
        dashboard = False
    return "base_dashboard.html" if dashboard else "respondent/base.html"


def problem(status: int, detail: str | None = None, **extra: object) -> Response:
    """An RFC 9457 problem+json response (the API's errors)."""
    body = {
        "type": "about:blank",
        "title": str(TITLES.get(status, TITLES[500])),
        "status": status,
        "detail": detail or str(HTTP_MESSAGES.get(status, HTTP_MESSAGES[500])),
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, message: str | None = None):
    """Render the error page for a status, in the visitor's language (problem+json on the API)."""
    if _is_api():
        return problem(status, message), status
    text = message or str(HTTP_MESSAGES.get(status, HTTP_MESSAGES[500]))
    title = str(TITLES.get(status, TITLES[500]))
    return render_template("errors/error.html", status=status, title=title, message=text, layout=_layout()), status


def register_errorhandlers(app: Flask) -> None:
    """Map domain exceptions and HTTP errors to friendly pages."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        # the API answers a rule the values break (end before start, a name in use …) as 422 / 409, not 400
        status = 422 if error.status == 400 and _is_api() else error.status
        return render_error(status, str(error.message))

    @app.errorhandler(IntegrityError)
    def _collision(_error: IntegrityError):
        # a unique key taken by a concurrent request in the meantime, at a flush or at the commit: nothing is saved
        db.session.rollback()
        return render_error(Conflict.status, str(Conflict.message))

    @app.errorhandler(DataError)
    def _value_the_database_refused(_error: DataError):
        # a value out of a column's range that slipped past the checks at the edge: bad input, nothing saved
        db.session.rollback()
        log.warning("the database refused a value on %s %s", request.method, _route())
        return render_error(400)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(InternalError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(error: Exception):
        # unreachable, restarting, out of connections or refusing writes: a polite "back in a moment", no trace
        route = _route()
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the session is discarded at teardown
            db.session.close()
        if _collided(error):  # a deadlock or serialization failure: nothing was saved, try again (409)
            return render_error(Conflict.status, str(Conflict.message))
        if isinstance(error, InternalError) and not _read_only(error):
            log.exception("unhandled database error on %s %s", request.method, route)
            return render_error(500)
        log.error("database unavailable on %s %s: %s", request.method, route, str(error).splitlines()[0][:300])
        if _unreachable(error):
            request.environ[DATABASE_DOWN] = True
        message = UNSAVED if request.method not in ("GET", "HEAD") else None
        body, status = render_error(503, str(message) if message else None)
        return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError):
        return render_error(400, str(_l("The form expired. Please go back, reload the page and try again.")))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        body, status = render_error(status)
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if status == 405 and allowed else {}
        return body, status, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, _route())
        return render_error(500)
