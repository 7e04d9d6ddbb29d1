"""Configuration comes from the environment and is refused when unusable."""

from __future__ import annotations

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
        ("PROXY_HOPS", "two", "whole number"),
        ("PROXY_HOPS", "-1", "at least 0"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "time zone"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({name: value}, tmp_path)


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
