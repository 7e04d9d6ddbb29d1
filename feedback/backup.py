"""Backups while the service runs: SQLite through its online backup API (a consistent copy even while scans are
written; copying the file could catch a half-written page or miss the WAL), PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from feedback.extensions import db


class BackupError(click.ClickException):
    """A backup or restore that could not be done; the message says why."""


def _libpq_url(engine: sa.Engine) -> str:
    """The engine's URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is needed for PostgreSQL backups (Debian: apt-get install postgresql-client)")
    return found


def backup(engine: sa.Engine, target: Path) -> None:
    """Write a consistent copy of the database to `target` (SQLite file, or pg_dump's custom format)."""
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(str(engine.url.database))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)  # page by page, consistent, while others keep writing
        finally:
            copy.close()
            source.close()
        return
    done = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url(engine)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def restore(engine: sa.Engine, source: Path) -> None:
    """Replace the database's contents with a backup made by `backup`."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if engine.dialect.name == "sqlite":
        engine.dispose()
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(str(engine.url.database))
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not an intact SQLite database")
            backup_db.backup(target)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not an intact SQLite database ({error})") from error
        finally:
            target.close()
            backup_db.close()
        return
    done = subprocess.run(
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
         f"--dbname={_libpq_url(engine)}", str(source)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent backup of the database to TARGET while the service keeps running."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    backup(db.engine, target)
    click.echo(f"backup written to {target} ({target.stat().st_size:,} bytes)")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the database's current contents are replaced.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database's contents with the backup SOURCE (stop the service first)."""
    if not yes:
        raise BackupError("restore replaces everything in the database: stop the service and add --yes")
    restore(db.engine, source)
    click.echo(f"restored from {source}")
