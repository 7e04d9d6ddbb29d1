"""Fixtures of the webhook tests: an app that may reach loopback receivers, and a receiver."""

from __future__ import annotations

import pytest

from feedback.webhooks import delivery
from tests.webhooks.receiver import start_receiver


@pytest.fixture
def app(make_app):  # noqa: ANN001, ANN201
    """Receivers run on loopback, which only an operator setting allows; tests answer surveys at once."""
    application = make_app(WEBHOOKS_ALLOW_PRIVATE=True, SURVEY_MIN_FILL_SECONDS=0)
    with application.app_context():
        yield application
    delivery.stop_dispatchers()


@pytest.fixture
def receiver():  # noqa: ANN201
    """A receiver on loopback that answers 204 unless told otherwise."""
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()
