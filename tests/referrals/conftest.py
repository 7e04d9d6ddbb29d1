"""Referral tests answer surveys instantly; the too-fast check (tested in tests/surveys) is switched off here."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """The app with no minimum fill time, so instant test answers are not flagged as bots."""
    application = make_app(SURVEY_MIN_FILL_SECONDS=0)
    with application.app_context():
        yield application
