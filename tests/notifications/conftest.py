"""A real SMTP server for the mail tests (aiosmtpd on a free loopback port), and apps that send to it."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from tests.surveys.test_quick import writes  # noqa: F401 - the batch sizes the group commit wrote

#: How long a test waits at most for an event before it fails (it goes on as soon as the event happens).
PATIENCE = 20.0


class Inbox:
    """What the server received, and how it answers: "accept", "refuse" (550 for every recipient), "busy" (451 to
    the message), "hang" (never answers the message, until released), "sender" (550 to the sender: a setting the
    operator fixes), or addresses it refuses (550)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.mode = "accept"
        self.refused: set[str] = set()
        self.release = asyncio.Event()
        self._changed = threading.Condition()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:  # noqa: N802
        if self.mode == "sender":
            return "550 5.7.1 Sender address rejected: not owned by you"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:  # noqa: N802
        if self.mode == "refuse" or address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.mode == "busy":
            return "451 4.3.0 Mailbox busy, try again later"
        if self.mode == "hang":
            await self.release.wait()
            return "451 4.3.0 Too late"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._changed:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._changed.notify_all()
        return "250 Message accepted"

    def wait_for(self, n: int) -> list[EmailMessage]:
        """The first n messages, once they arrived (fails after PATIENCE seconds)."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.messages) >= n, timeout=PATIENCE)
        assert arrived, f"expected {n} message(s), got {len(self.messages)}"
        return self.messages[:n]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=2"

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            loop = self.controller.loop
            loop.call_soon_threadsafe(self.inbox.release.set)
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app: Callable[..., Flask], request: pytest.FixtureRequest, smtp: SmtpServer) -> Iterator[Flask]:
    """The app under test, sending to the test's SMTP server (`@pytest.mark.app_config(SMTP_URL="")`: to none)."""
    marker = request.node.get_closest_marker("app_config")
    application = make_app(**{"SMTP_URL": smtp.url, "SURVEY_MIN_FILL_SECONDS": 0, **(marker.kwargs if marker else {})})
    with application.app_context():
        yield application
