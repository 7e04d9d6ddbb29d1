"""Small helpers for tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from feedback.extensions import db
from feedback.qr.models import Code
from feedback.touchpoints.models import Touchpoint

#: The moment the builders date scans and responses at unless told otherwise (a Tuesday noon, UTC).
WHEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def csrf_token_from(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def count(model: type) -> int:
    """Number of rows of a model."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def first_code(touchpoint: Touchpoint) -> Code | None:
    """The touchpoint's first printed code, if any."""
    return db.session.scalar(sa.select(Code).where(Code.touchpoint_id == touchpoint.id).order_by(Code.id))
