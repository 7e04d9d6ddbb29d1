"""A database of the suite's kind for tests that start gunicorn: a fresh SQLite file, or a fresh PostgreSQL
database when the suite runs on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.scan_path import fresh_postgres


@pytest.fixture
def server_database(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of an empty database for one test's server."""
    if os.environ.get("TEST_DATABASE_URL"):
        url = fresh_postgres(f"feedback_test_{request.node.name.split('[')[0][5:40]}")
        if url is None:
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
        return url
    return f"sqlite:///{tmp_path / 'server.sqlite3'}"
