"""Small helpers for tests."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback.extensions import db


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
