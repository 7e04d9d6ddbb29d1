"""Configuration comes from the environment and is refused when unusable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from feedback.config import ConfigError, load_config, normalise_database_url

STRONG = "x9!Kd0s-2jfQ83hz_Lp0aMz7Q2wErT5yUi8oP1aS"


def test_development_generates_a_secret_key_and_keeps_it(tmp_path: Path) -> None:
    first = load_config({}, tmp_path)["SECRET_KEY"]
    second = load_config({}, tmp_path)["SECRET_KEY"]
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_config({"FEEDBACK_ENV": "production", "PUBLIC_BASE_URL": "https://fb.example"}, tmp_path)


@pytest.mark.parametrize("weak", ["changeme", "short", "a" * 40, "secret"])
def test_production_refuses_weak_secret_keys(tmp_path: Path, weak: str) -> None:
    env = {"FEEDBACK_ENV": "production", "SECRET_KEY": weak, "PUBLIC_BASE_URL": "https://fb.example"}
    with pytest.raises(ConfigError, match="too weak"):
        load_config(env, tmp_path)


def test_production_requires_public_base_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config({"FEEDBACK_ENV": "production", "SECRET_KEY": STRONG}, tmp_path)


def test_production_sets_secure_cookies(tmp_path: Path) -> None:
    cfg = load_config(
        {"FEEDBACK_ENV": "production", "SECRET_KEY": STRONG, "PUBLIC_BASE_URL": "https://fb.example/"},
        tmp_path,
    )
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["REMEMBER_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["PUBLIC_BASE_URL"] == "https://fb.example"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PUBLIC_BASE_URL", "fb.example", "absolute http"),
        ("PUBLIC_BASE_URL", "javascript:alert(1)", "absolute http"),
        ("PUBLIC_BASE_URL", "https://user:pw@fb.example", "credentials"),
        ("FEEDBACK_ENV", "staging", "FEEDBACK_ENV"),
        ("FEEDBACK_DATA_DIR", "/dev/null", "must be a folder"),
        ("PROXY_HOPS", "two", "whole number"),
        ("PROXY_HOPS", "-1", "at least 0"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL"),
        ("DATABASE_REPLICA_URL", "sqlite:////tmp/replica.sqlite3", "postgresql"),
        ("DATABASE_REPLICA_URL", "postgresql://replica/db", "DATABASE_URL on PostgreSQL too"),
        ("REPLICA_MAX_LAG_SECONDS", "0", "at least 1"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "time zone"),
        ("DATABASE_URL", "sqlite:////no/such/folder/feedback.sqlite3", "folder that does not exist"),
        ("SECRET_KEY", "changeme", "too weak"),
        ("RATELIMIT_STORAGE_URI", "redis-cluster", "RATELIMIT_STORAGE_URI"),
        ("RATELIMIT_STORAGE_URI", "nosuch://host", "RATELIMIT_STORAGE_URI"),
        ("RATELIMIT_STORAGE_URI", "async+redis://localhost", "RATELIMIT_STORAGE_URI"),
        ("LOGIN_RATE_LIMIT", "ten per minute", "LOGIN_RATE_LIMIT"),
        ("LOGIN_RATE_LIMIT", "10 per fortnight", "LOGIN_RATE_LIMIT"),
        ("TYPED_CODE_RATE_LIMIT", "lots", "TYPED_CODE_RATE_LIMIT"),
        ("INVITE_RATE_LIMIT", "30 per fortnight", "INVITE_RATE_LIMIT"),
        ("ANSWER_RATE_LIMIT", "120/minute/extra", "ANSWER_RATE_LIMIT"),
        ("MAX_CONTENT_LENGTH", "1MB", "whole number"),
        ("MAX_CONTENT_LENGTH", "10", "at least 1024"),
        ("SESSION_LIFETIME_SECONDS", "8h", "whole number"),
        ("SESSION_LIFETIME_SECONDS", "5", "at least 60"),
        ("INVITATION_DAYS", "0", "at least 1"),
        ("WEBHOOKS_ALLOW_PRIVATE", "yes please", "1 or 0"),
        ("WEBHOOK_POLL_SECONDS", "0", "at least 1"),
        ("WEBHOOK_WORKERS", "0", "at least 1"),
        ("WEBHOOK_LOG_DAYS", "a month", "whole number"),
        ("SMTP_URL", "mail.example.com:25", "must look like"),
        ("SMTP_URL", "smtp://relay?timeout=600", "between 0 and 60"),
        ("MAIL_FROM", "feedback", "usable sender"),
        ("MAIL_FROM", "a@b.example\r\nBcc: x@evil.example", "usable sender"),
        ("MAIL_POLL_SECONDS", "0", "at least 1"),
        ("ROLLUP_POLL_SECONDS", "-5", "at least 0"),
        ("ROLLUP_POLL_SECONDS", "often", "whole number"),
        ("SCAN_RETENTION_DAYS", "-3", "at least 0"),
        ("SCAN_RETENTION_DAYS", "7", "at least 30"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(tmp_path: Path, name: str, value: str, message: str) -> None:
    env = {name: value}
    if name == "SECRET_KEY":  # development accepts any key; production refuses weak ones
        env |= {"FEEDBACK_ENV": "production", "PUBLIC_BASE_URL": "https://fb.example"}
    with pytest.raises(ConfigError, match=message) as refused:
        load_config(env, tmp_path)
    assert name in str(refused.value)
    assert "\n" not in str(refused.value)


def test_every_documented_setting_has_a_refused_bad_value() -> None:
    """The README's configuration table and the cases above name the same variables."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    marks = test_bad_settings_are_refused_with_a_clear_message.pytestmark  # type: ignore[attr-defined]
    tested = {case[0] for mark in marks if mark.name == "parametrize" for case in mark.args[1]}
    assert documented, "README lost its configuration table"
    assert documented == tested


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0"),
        ("LOGIN_RATE_LIMIT", "5 per minute;20 per hour"),
        ("TYPED_CODE_RATE_LIMIT", "10 per minute;100 per hour"),
        ("INVITE_RATE_LIMIT", "60 per minute"),
        ("ANSWER_RATE_LIMIT", "300 per minute"),
        ("SCAN_RETENTION_DAYS", "395"),
        ("SCAN_RETENTION_DAYS", "0"),
        ("WEBHOOKS_ALLOW_PRIVATE", "true"),
    ],
)
def test_good_settings_are_taken(tmp_path: Path, name: str, value: str) -> None:
    cfg = load_config({name: value}, tmp_path)
    assert str(cfg[name]).lower() == value.lower()


def test_the_default_sqlite_folder_is_created(tmp_path: Path) -> None:
    instance = tmp_path / "fresh" / "instance"
    load_config({}, instance)
    assert instance.is_dir()


def test_the_command_line_reports_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "FEEDBACK_ENV": "development", "SCAN_RETENTION_DAYS": "7"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", "from feedback.console import main; main()", "codes", "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "feedback: configuration error: SCAN_RETENTION_DAYS must be 0 (keep raw scans) or at least 30, got 7"
    ]


def test_the_command_line_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    done = subprocess.run(
        [sys.executable, "-c", "from feedback.console import main; main()", "codes"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("feedback: cannot use the database (DATABASE_URL): ")


def test_default_database_is_a_sqlite_file_under_instance(tmp_path: Path) -> None:
    assert load_config({}, tmp_path)["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'feedback.sqlite3'}"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_use_psycopg3(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_app_refuses_to_start_in_production_without_secret(tmp_path: Path) -> None:
    from feedback import create_app

    with pytest.raises(ConfigError):
        create_app({"ENVIRON": {"FEEDBACK_ENV": "production", "PUBLIC_BASE_URL": "https://fb.example"}})
