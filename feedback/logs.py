"""What gunicorn's logs may hold: no client address, no secret from a link.

The access log shows the request line, and links carry secrets: a colleague's invitation (`/join/<token>`) and a
respondent's response token (`?r=…` on the thank-you, coupon and invite pages, which lets its holder read the
answers and take the coupon). The error log quotes client addresses ("Invalid request from ip=…"). Both are
written here without them, by gunicorn's own logger with two changes.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

from gunicorn import glogging

#: Query parameters whose values are secrets.
SECRET_PARAMETERS = frozenset({"r", "token", "state"})
#: Paths whose last part is a secret.
SECRET_PATH = re.compile(r"(/join/)[^/?#\s]+")
HIDDEN = "…"
_SECRET_QUERY = re.compile(r"([?&](?:" + "|".join(sorted(SECRET_PARAMETERS)) + r")=)[^&#\s]+")
#: Anything that could be an IPv4 or IPv6 address (checked with ipaddress before it is hidden).
_ADDRESS = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*[0-9A-Fa-f][:.][0-9A-Fa-f:.]*(?![\w:])")


def redact_target(target: str) -> str:
    """A request target (path and query, or a whole URL) without the secrets it may carry."""
    target = SECRET_PATH.sub(lambda m: m.group(1) + HIDDEN, target)
    return _SECRET_QUERY.sub(lambda m: m.group(1) + HIDDEN, target)


def redact_request_line(line: str) -> str:
    """`GET /t/ABC/thanks?r=secret HTTP/1.1` → `GET /t/ABC/thanks?r=… HTTP/1.1`."""
    parts = line.split(" ")
    if len(parts) == 3:
        parts[1] = redact_target(parts[1])
        return " ".join(parts)
    return redact_target(line)


def _hide_address(match: re.Match[str]) -> str:
    text = match.group(0)
    candidate = text.rstrip(".:")
    address, port = _address(candidate), ""
    if address is None:
        host, _, port = candidate.rpartition(":")  # 203.0.113.7:51234
        address = _address(host)
        if address is None:
            return text
        candidate = host
    if address.is_loopback or address.is_unspecified:  # the server's own (and a proxy's on the same machine)
        return text
    return text.replace(candidate, "[client]", 1)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def redact_addresses(message: str) -> str:
    """A log message with every IP address replaced by [client]."""
    return _ADDRESS.sub(_hide_address, message)


def redact_message(message: str) -> str:
    """A log message without IP addresses and without secrets of links it quotes ("Error handling request …")."""
    return redact_addresses(redact_target(message))


class NoClientAddresses(logging.Filter):
    """Rewrites each record's message without IP addresses and link secrets (the arguments merged into it first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_message(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class PrivateLogger(glogging.Logger):
    """gunicorn's logger: the access log's request line, path, query and referrer without secrets, and no IP
    address in the error log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(NoClientAddresses())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = redact_request_line(atoms["r"])
        atoms["U"] = redact_target(atoms["U"])
        atoms["q"] = redact_target("?" + atoms["q"])[1:] if atoms["q"] else ""
        atoms["f"] = redact_target(atoms["f"]) if atoms["f"] != "-" else "-"
        return atoms
