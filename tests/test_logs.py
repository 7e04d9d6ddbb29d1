"""gunicorn's logs hold no client address and no secret from a link (hardening, item 9)."""

from __future__ import annotations

import logging

import pytest

from feedback.logs import NoClientAddresses, redact_message, redact_request_line, redact_target


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /join/Zq3-secret_token HTTP/1.1", "GET /join/… HTTP/1.1"),
        ("GET /t/ABCD2345/thanks?r=secret-response&lang=en HTTP/1.1", "GET /t/ABCD2345/thanks?r=…&lang=en HTTP/1.1"),
        ("POST /t/ABCD2345/invite HTTP/1.1", "POST /t/ABCD2345/invite HTTP/1.1"),
        ("GET /t/ABCD2345/coupon?r=s3cr3t HTTP/1.1", "GET /t/ABCD2345/coupon?r=… HTTP/1.1"),
        ("GET /w/shop/leads/?stage=new HTTP/1.1", "GET /w/shop/leads/?stage=new HTTP/1.1"),
    ],
)
def test_the_request_line_keeps_no_secret(line: str, expected: str) -> None:
    assert redact_request_line(line) == expected


def test_referrers_and_error_messages_keep_no_secret_and_no_address() -> None:
    assert redact_target("https://fb.example/t/AB/thanks?r=tok") == "https://fb.example/t/AB/thanks?r=…"
    assert redact_message("Invalid request from ip=203.0.113.7: Invalid HTTP request line") == (
        "Invalid request from ip=[client]: Invalid HTTP request line"
    )
    assert redact_message("from 2001:db8::7 and ::ffff:198.51.100.9 on 203.0.113.7:51234") == (
        "from [client] and [client] on [client]:51234"
    )
    assert redact_message("Error handling request /join/tok?r=x") == "Error handling request /join/…?r=…"
    assert redact_message("Listening at: http://127.0.0.1:8000 and [::1]:8000, 0.0.0.0") == (
        "Listening at: http://127.0.0.1:8000 and [::1]:8000, 0.0.0.0"
    )
    assert redact_message("Booting worker with pid: 4711, version 23.0.0") == (
        "Booting worker with pid: 4711, version 23.0.0"
    )
    record = logging.LogRecord(
        "gunicorn.error", logging.WARNING, "", 0, "Invalid request from ip=%s", ("10.1.2.3",), None
    )
    assert NoClientAddresses().filter(record) and record.getMessage() == "Invalid request from ip=[client]"


def test_gunicorn_started_from_the_project_folder_logs_like_feedback_serve() -> None:
    """`gunicorn wsgi:app` reads gunicorn.conf.py from the project folder: the same logger and access log format."""
    import runpy
    from pathlib import Path

    from feedback.cli import gunicorn_settings

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    served = gunicorn_settings("127.0.0.1", 8000, 2, 32)
    assert conf["logger_class"] == served["logger_class"] == "feedback.logs.PrivateLogger"
    assert conf["access_log_format"] == served["access_log_format"]
