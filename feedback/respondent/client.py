"""What a phone's request says about where it comes from, worked out in one place for both ways a survey form can be
answered (the Flask views of `respondent.views` and the lane of `respondent.lane`): whether another website sent
it, which visitor sent it, and under which key the rate limits count it.

Plain values in, plain values out: no request object, so the lane, which runs before Flask, decides exactly as
the views do.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from feedback.qr.visitors import signature, visitor_key_for_cookie

#: How long the first-party visitor cookie is kept (it prevents answering twice).
VISITOR_COOKIE_AGE = 365 * 24 * 3600
#: The length of a first-party visitor cookie id (hex).
COOKIE_ID_LENGTH = 32
_HEX = frozenset("0123456789abcdef")


def sent_from_another_site(fetch_site: str | None, origin: str | None, host: str) -> bool:
    """A form sent from another website or another subdomain: Sec-Fetch-Site says so, else the Origin names another
    host; every browser sends one of them with a cross-site POST. (The Origin's host alone is compared: behind a
    proxy that ends TLS the scheme the app sees may differ from the browser's.)"""
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    if not origin:
        return False
    try:
        return urlsplit(origin).netloc != host
    except ValueError:  # no address at all ("http://["): not ours either
        return True


def respondent_key(cookie: str, token: str, kiosk: bool, secret: str) -> tuple[str, str | None]:
    """The visitor key for responses, and a first-party cookie id to set when the visitor has none.

    The new id is derived from the form token, so requests of one form that overlap (answers saved as they are
    given) all set the same cookie and the response's visitor key matches it. On a kiosk every form is another
    person: the key comes from the form token alone, whatever cookie the screen has, and no cookie is set.
    """
    if not kiosk and len(cookie) == COOKIE_ID_LENGTH and _HEX.issuperset(cookie):
        return visitor_key_for_cookie(cookie, secret), None
    fresh = hmac.new(secret.encode(), f"visitor-cookie:{token}".encode(), hashlib.sha256).hexdigest()[:32]
    return visitor_key_for_cookie(fresh, secret), None if kiosk else fresh


def limit_key(address: str | None, user_agent: str, secret: str) -> str:
    """The key the phone's rate limits count under: the anonymised network + device signature, never a cookie (a
    client chooses its cookies, or clears them, not its network and device)."""
    return "signature:" + signature(address, user_agent, secret)
