"""Security headers on every response: a Content-Security-Policy without inline scripts, no framing, no sniffing,
no referrer to other sites, and no caching of anything that belongs to a workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

#: Scripts only from our own files (static/*.js); inline styles are allowed (the respondent page inlines its CSS
#: to stay one request), images from us or data: URIs, forms only to us, and no one may frame us.
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
#: Paths whose answers hold a workspace's data: never kept by a browser or proxy cache.
PRIVATE_PREFIXES = ("/w/", "/api/", "/account", "/login", "/join")


def policy(**overrides: str) -> str:
    """The CSP header value, with some directives replaced (e.g. the survey preview, framed by our own page)."""
    return "; ".join(f"{name} {value}" for name, value in {**POLICY, **overrides}.items())


#: The header value of every answer that sets no policy of its own (joined once, not on every scan).
DEFAULT_POLICY = policy()


class SecureHeaders:
    """WSGI middleware, outermost: every answer carries the headers, also one no Flask hook finished (an error in
    another after-request hook, the error page that follows it, Werkzeug's own 500, a replay of the fast lane).
    Headers a view set itself (e.g. the survey preview's framing policy) stay."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        private = environ.get("PATH_INFO", "").startswith(PRIVATE_PREFIXES)

        def secured(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, with_security_headers(headers, private), exc_info)

        return self.wsgi_app(environ, secured)


def with_security_headers(headers: list[tuple[str, str]], private: bool) -> list[tuple[str, str]]:
    """The answer's headers with every missing security header added (and no caching when `private`)."""
    present = {name.lower(): value for name, value in headers}
    csp = present.get("content-security-policy") or DEFAULT_POLICY
    wanted = {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "SAMEORIGIN" if "frame-ancestors 'self'" in csp else "DENY",
        "X-Content-Type-Options": "nosniff",
        # thank-you pages carry the response token in their URL: it must not leave with a click to another site
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    }
    if private:
        headers = [(name, value) for name, value in headers if name.lower() != "cache-control"]
        headers.append(("Cache-Control", "no-store"))
    return headers + [(name, value) for name, value in wanted.items() if name.lower() not in present]


def install(app: Flask) -> None:
    """Wrap the whole application (call it last, around the fast lane and the proxy fix)."""
    app.wsgi_app = SecureHeaders(app.wsgi_app)  # type: ignore[method-assign]
