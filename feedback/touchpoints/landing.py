"""The landing page of a touchpoint: texts, calls to action, redirect target; validated when saved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from feedback.errors import DomainError
from feedback.texts import Texts
from feedback.touchpoints.models import Channel, Touchpoint

MAX_URL_LENGTH = 2000
_PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{4,38}$")
EVENT_CHANNELS = frozenset({Channel.TRADE_FAIR.value, Channel.EVENT.value})


class LandingError(DomainError):
    """A landing-page value the service refuses; `field` names the form field it belongs to."""

    def __init__(self, field: str) -> None:
        super().__init__()
        self.field = field


class UnsafeUrl(LandingError):
    """Links on printed material must be https, without credentials, and never script or data URLs."""

    message = _l("Enter a full https:// address without user name or password.")


class InvalidPhone(LandingError):
    """A phone number people can dial."""

    message = _l("Enter a phone number with digits only, e.g. +49 40 123456.")


class InvalidEvent(LandingError):
    """Event dates belong to trade-fair and event touchpoints, and end after they start."""

    message = _l("An event needs a start before its end, and only trade-fair and event touchpoints have one.")


def is_public_url(url: str) -> bool:
    """True for a plain https link with a host name: no credentials, no script, data or other schemes."""
    if len(url) > MAX_URL_LENGTH or any(ord(c) < 33 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
    except ValueError:
        return False
    return bool(parts.scheme == "https" and hostname and "." in hostname and not parts.username and not parts.password)


@dataclass(frozen=True)
class LandingData:
    """What a marketer enters for the landing page."""

    headline: Texts = Texts()
    body: Texts = Texts()
    destination_url: str = ""
    cta_url: str = ""
    #: The button's text in each language (a visitor reads it in theirs).
    cta_label: Texts = Texts()
    phone: str = ""
    social_url: str = ""
    event_starts_at: datetime | None = None
    event_ends_at: datetime | None = None


def update_landing(touchpoint: Touchpoint, data: LandingData) -> Touchpoint:
    """Save the landing page of a touchpoint; the caller commits.

    :raises UnsafeUrl: a link is not a plain https address.
    :raises InvalidPhone: the phone number has letters or is too short.
    :raises InvalidEvent: event dates on a non-event touchpoint, or an end before the start.
    """
    checked = {name: getattr(data, name).strip() or None for name in ("destination_url", "cta_url", "social_url")}
    for name, url in checked.items():
        if url is not None and not is_public_url(url):
            raise UnsafeUrl(name)
    phone = data.phone.strip()
    if phone and not _PHONE.fullmatch(phone):
        raise InvalidPhone("phone")
    if data.event_starts_at or data.event_ends_at:
        if touchpoint.channel not in EVENT_CHANNELS or data.event_starts_at is None:
            raise InvalidEvent("event_starts_at")
        if data.event_ends_at is not None and data.event_ends_at <= data.event_starts_at:
            raise InvalidEvent("event_ends_at")
    touchpoint.headline_texts = data.headline.stripped(160).as_dict()
    touchpoint.body_texts = data.body.stripped(4000).as_dict()
    touchpoint.destination_url = checked["destination_url"]
    touchpoint.cta_url = checked["cta_url"]
    touchpoint.cta_label = data.cta_label.stripped(60).as_dict()
    touchpoint.phone = phone
    touchpoint.social_url = checked["social_url"]
    touchpoint.event_starts_at = data.event_starts_at
    touchpoint.event_ends_at = data.event_ends_at
    return touchpoint
