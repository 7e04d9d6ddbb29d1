"""Who scanned, without storing who: visitor keys from an anonymised address under a daily salt, device classes.

The salt for a UTC day lives in the database (shared by every instance) and is deleted when the day is over, so
yesterday's keys can no longer be linked to an address. Each process caches today's salt.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import crawleruseragents
import sqlalchemy as sa
from flask import Flask, Request, current_app
from sqlalchemy.dialects import postgresql, sqlite
from ua_parser import parse as parse_user_agent
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from feedback.extensions import db
from feedback.qr.automated import likely_automated_request, supplement_class
from feedback.qr.models import DailySalt

log = logging.getLogger(__name__)
VISITOR_COOKIE = "fb_vid"
SALT_RETRY_SECONDS = 60.0
MAX_USER_AGENT = 512
MAX_HEADER = 1024
_COOKIE_ID = re.compile(r"^[0-9a-f]{32}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_TABLET_HINTS = ("ipad", "tablet", "kindle", "silk", "playbook", "nexus 7", "nexus 9", "nexus 10")


@dataclass(frozen=True)
class Visit:
    """What a scan row records about the visitor."""

    visitor_key: str
    from_cookie: bool
    device_class: str
    os: str
    browser: str
    language: str
    is_bot: bool


@lru_cache(maxsize=8192)
def classify_user_agent(user_agent: str) -> tuple[str, str, str, bool]:
    """(device class, OS family, browser family, is a bot) for a User-Agent; cached, as phones repeat a lot. Bots are
    what the maintained crawler list names plus the supplement of `feedback.qr.automated` (mail link checkers,
    HTTP client libraries)."""
    if not user_agent.strip() or crawleruseragents.is_crawler(user_agent) or supplement_class(user_agent):
        parsed = parse_user_agent(user_agent) if user_agent.strip() else None
        browser = parsed.user_agent.family if parsed and parsed.user_agent else "bot"
        return "bot", "", browser[:40], True
    parsed = parse_user_agent(user_agent)
    os_family = parsed.os.family if parsed.os else "Other"
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    device = (parsed.device.family if parsed.device else "") or ""
    brand = (parsed.device.brand if parsed.device else "") or ""
    lowered = f"{device} {brand} {user_agent}".lower()
    if any(hint in lowered for hint in _TABLET_HINTS) or (os_family == "Android" and "mobile" not in lowered):
        device_class = "tablet"
    elif os_family in ("iOS", "Android") or "mobile" in lowered:
        device_class = "mobile"
    elif os_family in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "FreeBSD", "macOS"):
        device_class = "desktop"
    else:
        device_class = "other"
    return device_class, os_family[:40], browser[:40], False


@lru_cache(maxsize=4096)
def anonymise_ip(address: str | None) -> str:
    """Drop the host part before hashing: IPv4 to its /24, IPv6 to its /48; unknown text to ''."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


@lru_cache(maxsize=1024)
def _first_language(header: str) -> str:
    """The first entry of an Accept-Language header as a short code; cached, as the same headers repeat."""
    for value, _quality in parse_accept_header(header[:MAX_HEADER], LanguageAccept):
        primary = value.split("-")[0].split("_")[0].lower()
        if _LANGUAGE.fullmatch(primary):
            return primary
    return ""


class SaltKeeper:
    """Today's salt for visitor keys, fetched once per process and day; older salts are deleted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: date | None = None
        self._salt = b""
        #: While the database refuses the salt, a salt of this process only, and when to ask the database again.
        self._retry_at = 0.0

    def cached(self, day: date) -> bytes | None:
        """The salt of `day` if this process has it from the database already (no database access)."""
        return self._salt if self._day == day and not self._retry_at else None

    def salt_for(self, day: date) -> bytes:
        """The salt of `day`, created by whichever instance asks first."""
        if self._day == day and not self._retry_at:
            return self._salt
        with self._lock:
            if self._day != day or (self._retry_at and time.monotonic() >= self._retry_at):
                try:
                    self._salt, self._retry_at = self._load(day), 0.0
                except sa.exc.SQLAlchemyError:
                    # A read-only or unreachable database must not stop printed codes from working: keys stay
                    # keyed hashes, only not shared with other processes until the database takes the salt again.
                    log.exception("the day's salt could not be stored; using one of this process for now")
                    if self._day != day or not self._retry_at:
                        self._salt = secrets.token_bytes(32)
                    self._retry_at = time.monotonic() + SALT_RETRY_SECONDS
                self._day = day
        return self._salt

    @staticmethod
    def _load(day: date) -> bytes:
        """Get or create the day's salt in the database and destroy older ones (own short transaction)."""
        with db.engine.begin() as conn:
            insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(DailySalt)
            conn.execute(insert.values(day=day, salt=secrets.token_hex(32)).on_conflict_do_nothing())
            conn.execute(sa.delete(DailySalt).where(DailySalt.day < day))
            salt = conn.execute(sa.select(DailySalt.salt).where(DailySalt.day == day)).scalar_one()
        return bytes.fromhex(salt)


def _keyed_hash(key: bytes, message: str) -> str:
    """32 hex characters of HMAC-SHA256."""
    return hmac.new(key, message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def visitor_key_for_cookie(cookie_id: str, secret: str | None = None) -> str:
    """The visitor key of a first-party cookie id (stable across days; the id itself is not stored)."""
    return _keyed_hash((secret or current_app.config["SECRET_KEY"]).encode(), f"cookie:{cookie_id}")


def signature(address: str | None, user_agent: str, secret: str) -> str:
    """The anonymised network + device signature of a request: a keyed hash of the network (IPv4 /24, IPv6 /48)
    and the User-Agent's class (device class, OS and browser family). Rate limits of anonymous writes count against
    it, so clearing cookies or opening a private tab does not reset them, while other networks and other kinds of
    device are not affected. Neither the address nor the full User-Agent is in it."""
    device_class, os_family, browser, _is_bot = classify_user_agent(user_agent[:MAX_USER_AGENT])
    return _keyed_hash(secret.encode(), f"signature:{anonymise_ip(address)}|{device_class}|{os_family}|{browser}")


def device_signature(address: str | None, user_agent: str, secret: str) -> str:
    """The anonymised network + device of a completion for the repeat rules: a keyed hash of the network (IPv4
    /24, IPv6 /48) and the whole User-Agent, so a private tab of the same phone is the same device while other
    phones on the same Wi-Fi (another model, system or browser version) are not. Neither part is stored; the
    hash lives in the repeat rules' claims for a day at most."""
    return _keyed_hash(secret.encode(), f"device:{anonymise_ip(address)}|{user_agent[:MAX_USER_AGENT]}")


def visit_of(
    *,
    user_agent: str,
    cookie: str,
    address: str | None,
    accept_language: str,
    method: str,
    salt: bytes,
    secret: str,
    accept: str,
) -> Visit:
    """Everything a scan row records about the visitor, from the request's parts (the fast lane has no Flask
    request); `salt` is the day's salt, `secret` the app's secret key. A HEAD or a request without Accept and
    Accept-Language is taken as automated (`feedback.qr.automated`)."""
    user_agent = user_agent[:MAX_USER_AGENT]
    device_class, os_family, browser, is_bot = classify_user_agent(user_agent)
    if likely_automated_request(method, accept[:MAX_HEADER], accept_language[:MAX_HEADER]):
        is_bot, device_class = True, "bot"
    if _COOKIE_ID.fullmatch(cookie):
        key, from_cookie = visitor_key_for_cookie(cookie, secret), True
    else:
        key, from_cookie = _keyed_hash(salt, f"{anonymise_ip(address)}|{user_agent}"), False
    return Visit(key, from_cookie, device_class, os_family, browser, _first_language(accept_language), is_bot)


def describe_visit(request: Request, day: date) -> Visit:
    """Everything a scan row records about the visitor, from the request alone."""
    return visit_of(
        user_agent=request.headers.get("User-Agent", ""),
        cookie=request.cookies.get(VISITOR_COOKIE, ""),
        address=request.remote_addr,
        accept_language=request.headers.get("Accept-Language", ""),
        accept=request.headers.get("Accept", ""),
        method=request.method,
        salt=current_app.extensions["feedback_salts"].salt_for(day),
        secret=current_app.config["SECRET_KEY"],
    )


def init_app(app: Flask) -> None:
    """Give the app its per-process salt cache, and compile the user-agent patterns now, not on the first scan."""
    app.extensions["feedback_salts"] = SaltKeeper()
    classify_user_agent("Mozilla/5.0 (start-up)")
