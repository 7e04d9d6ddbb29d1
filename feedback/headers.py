"""Security headers on every response: a Content-Security-Policy without inline scripts, no framing, no sniffing,
no referrer to other sites, and no caching of anything that belongs to a workspace."""

from __future__ import annotations

from flask import Flask, Response, request

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


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy())
    framed = "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # thank-you pages carry the response token in their URL: it must not leave with a click to another site
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if request.path.startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    app.after_request(_secure)
