"""The schema only changes through migrations: models and the migration head agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from feedback.extensions import db


def test_models_and_migration_head_agree(app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_database_is_at_the_single_migration_head(app: Flask) -> None:
    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, "migrations must form one line; merge branches"
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_revisions_do_not_import_application_code() -> None:
    from pathlib import Path

    for path in (Path(__file__).parent.parent / "migrations" / "versions").glob("*.py"):
        text = path.read_text()
        assert "feedback." not in text and "import feedback" not in text, path.name
