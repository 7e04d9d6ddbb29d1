"""Bare WSGI baselines for the load benchmarks: what the machine does without any framework or database."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_LANDING = Path(os.environ["BENCH_LANDING_FILE"]).read_bytes() if os.environ.get("BENCH_LANDING_FILE") else b""


def redirect(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A 302 to a fixed destination: the floor of any redirecting scan."""
    start_response("302 Found", [("Location", "https://example.com/?utm_source=qr"), ("Content-Length", "0")])
    return [b""]


def landing(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The same bytes as our landing page, from memory: the floor of any scan that shows a page."""
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(_LANDING)))])
    return [_LANDING]
