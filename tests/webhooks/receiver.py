"""A webhook receiver on loopback for tests: records each request and answers with scripted status codes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Requests so far and the statuses to answer with (the last one repeats)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [204])
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def record(self, request: Received) -> int:
        """Keep a request and tell waiters; the index of the status to answer it with."""
        with self.arrived:
            self.requests.append(request)
            self.arrived.notify_all()
            return min(len(self.requests), len(self.statuses)) - 1

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        """The first `count` requests, as soon as they have arrived (`timeout` only ends a wait that failed)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            assert len(self.requests) >= count, f"{len(self.requests)} of {count} webhook requests arrived"
            return self.requests[:count]


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    """A running receiver; shut the server down when done."""
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            index = receiver.record(Received(self.path, dict(self.headers.items()), body))
            self.send_response(receiver.statuses[index])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/feedback"
    return receiver, server
