"""Installable as a package: the wheel carries what the app reads at run time, and data goes outside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from flask import Flask

from feedback import PROJECT_ROOT, create_app, shipped_folder
from feedback.config import instance_folder
from feedback.extensions import db
from tests.conftest import PUBLIC_BASE_URL

SHIPPED = ("templates", "static", "migrations")


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The file names inside a wheel built from the checkout, as `pip install .` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(PROJECT_ROOT)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("feedback-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _checkout_files(folder: str) -> set[str]:
    """The files of a top-level folder of the checkout, as the package's paths (bytecode left out)."""
    root = PROJECT_ROOT / folder
    return {
        f"feedback/{path.relative_to(PROJECT_ROOT).as_posix()}"
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.mark.wheel
@pytest.mark.parametrize("folder", SHIPPED)
def test_the_wheel_carries_every_template_static_file_and_migration_inside_the_package(
    wheel_files: set[str], folder: str
) -> None:
    expected = _checkout_files(folder)
    assert expected and expected <= wheel_files, sorted(expected - wheel_files)


@pytest.mark.wheel
def test_the_wheel_carries_the_migration_environment_the_revisions_and_the_compiled_translations(
    wheel_files: set[str],
) -> None:
    assert {"feedback/migrations/env.py", "feedback/migrations/alembic.ini", "feedback/migrations/script.py.mako"} <= (
        wheel_files
    )
    revisions = {name for name in wheel_files if name.startswith("feedback/migrations/versions/")}
    assert len(revisions) == len(list((PROJECT_ROOT / "migrations" / "versions").glob("*.py"))) > 0
    languages = {path.name for path in (PROJECT_ROOT / "feedback" / "translations").iterdir() if path.is_dir()}
    assert languages >= {"de", "fr"}
    assert {f"feedback/translations/{lang}/LC_MESSAGES/messages.mo" for lang in languages} <= wheel_files


@pytest.mark.wheel
def test_the_wheel_installs_nothing_but_the_package_and_no_bytecode(wheel_files: set[str]) -> None:
    outside = {name for name in wheel_files if not name.startswith(("feedback/", "feedback-"))}
    assert not outside
    assert not [name for name in wheel_files if "__pycache__" in name or name.endswith(".pyc")]
    assert "feedback/wsgi.py" not in wheel_files and not any(name.startswith("feedback/tests/") for name in wheel_files)


def test_a_checkout_serves_its_top_level_templates_static_files_and_migrations(app: Flask) -> None:
    for name in SHIPPED:
        assert shipped_folder(name) == PROJECT_ROOT / name
    assert Path(app.template_folder or "") == PROJECT_ROOT / "templates"
    assert Path(app.static_folder or "") == PROJECT_ROOT / "static"
    assert Path(app.extensions["migrate"].directory) == PROJECT_ROOT / "migrations"


def test_the_data_folder_is_feedback_data_dir_when_set(tmp_path: Path) -> None:
    assert instance_folder({"FEEDBACK_DATA_DIR": str(tmp_path / "data")}) == tmp_path / "data"


def test_a_relative_feedback_data_dir_is_taken_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert instance_folder({"FEEDBACK_DATA_DIR": "var/feedback"}) == tmp_path / "var" / "feedback"


def test_the_data_folder_defaults_to_instance_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert instance_folder({}) == tmp_path / "instance"
    assert instance_folder({"FEEDBACK_DATA_DIR": " "}) == tmp_path / "instance"


def test_the_app_keeps_its_database_and_secret_key_in_feedback_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    environ = {"FEEDBACK_ENV": "development", "FEEDBACK_DATA_DIR": str(data), "PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    app = create_app({"ENVIRON": environ})
    assert Path(app.instance_path) == data
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{data / 'feedback.sqlite3'}"
    assert app.config["RATELIMIT_STORAGE_URI"] == f"sqlite:///{data / 'ratelimits.sqlite3'}"
    assert (data / "secret_key").read_text().strip() == app.config["SECRET_KEY"]
    with app.app_context():
        db.engine.dispose()
