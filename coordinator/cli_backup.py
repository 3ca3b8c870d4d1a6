"""`flask --app wsgi backup [--output FILE]` and `flask --app wsgi restore FILE`: the host's snapshot and its return.

The mechanics live in coordinator/backups.py (pg_dump / pg_restore for PostgreSQL, the online backup API
for SQLite). Here: where the file goes (written under a temporary name, readable by its owner only,
renamed when complete), refusing to overwrite a file or a database that holds something unless --force,
and the lines a host reads: what is being done, to which (masked) database, and a summary at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from coordinator.backups import (
    BackupError,
    backup_kind,
    masked_url,
    pg_backup_tables,
    pg_dump,
    pg_restore,
    sqlite_copy,
    sqlite_path,
    table_counts,
)
from coordinator.extensions import db

SUFFIXES = {"postgresql": "pgdump", "sqlite": "sqlite3"}


@click.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the backup. Default: coordinator-<UTC time>.pgdump (or .sqlite3) here.",
)
@click.option("--force", is_flag=True, help="Replace FILE if it already exists.")
@with_appcontext
def backup_command(output: Path | None, force: bool) -> None:
    """Write a consistent snapshot of the whole database to a file, while the service runs.

    PostgreSQL: pg_dump's custom format (pg_dump must be at least the server's version). SQLite: a copy made
    with SQLite's online backup API. The file holds every person's details: keep it as safe as the database.
    Bring it back with `flask --app wsgi restore FILE`.
    """
    engine = db.engine
    kind = engine.dialect.name
    output = output or Path(f"coordinator-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{SUFFIXES[kind]}")
    _refuse_existing_file(output, force)
    click.echo(f"Backing up {masked_url(engine)} to {output} ...", err=True)
    handle, partial = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent or ".")
    os.close(handle)  # mkstemp made it 0600: the backup is readable by its owner only
    try:
        with _plainly(engine):
            summary = _write_backup(engine, kind, Path(partial))
        _refuse_existing_file(output, force)
        os.replace(partial, output)
    finally:
        Path(partial).unlink(missing_ok=True)
    click.echo(f"Wrote {output} ({output.stat().st_size:,} bytes; {summary}).")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore even though the database already has tables (they are replaced).")
@with_appcontext
def restore_command(backup_file: Path, force: bool) -> None:
    """Bring BACKUP_FILE (written by `flask --app wsgi backup`) back into the database at DATABASE_URL.

    The database should be empty (a new one: createdb, or a new SQLite path); one that has tables is refused
    unless --force, which replaces every table the backup holds. Stop the web servers and schedulers first.
    """
    engine = db.engine
    with _plainly(engine):
        _check_restorable(engine, backup_file, force)
        click.echo(f"Restoring {backup_file} into {masked_url(engine)} ...", err=True)
        db.session.remove()
        engine.dispose()
        if engine.dialect.name == "postgresql":
            pg_restore(engine, backup_file)
        else:
            sqlite_copy(backup_file, sqlite_path(engine))
        engine.dispose()
        counts = table_counts(engine)
    click.echo(f"Restored {len(counts)} tables, {sum(count.rows for count in counts):,} rows. {_revision_note(engine)}")


@contextmanager
def _plainly(engine: sa.Engine) -> Iterator[None]:
    """A refusal or an unreachable database as one clear line and exit code 1, not a traceback."""
    try:
        yield
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]  # the driver's words: host and port, never the password
        raise click.ClickException(f"Could not use the database at {masked_url(engine)}: {reason}") from None


def _write_backup(engine: sa.Engine, kind: str, partial: Path) -> str:
    if kind == "postgresql":
        pg_dump(engine, partial)
        return f"{pg_backup_tables(partial)} tables"
    sqlite_copy(sqlite_path(engine), partial)
    copy = sa.create_engine(f"sqlite:///{partial}")
    try:
        counts = table_counts(copy)
    finally:
        copy.dispose()
    return f"{len(counts)} tables, {sum(count.rows for count in counts):,} rows"


def _check_restorable(engine: sa.Engine, backup_file: Path, force: bool) -> None:
    kind = backup_kind(backup_file)
    if kind != engine.dialect.name:
        raise BackupError(f"{backup_file} is a {kind} backup, but DATABASE_URL is {engine.dialect.name}.")
    counts = table_counts(engine)
    if counts and not force:
        rows = sum(count.rows for count in counts)
        raise BackupError(
            f"{masked_url(engine)} is not empty: it has {len(counts)} tables ({rows:,} rows). Restore into an "
            "empty database (createdb a new one, or point DATABASE_URL at a new SQLite file), or add --force "
            "to replace what it holds."
        )


def _revision_note(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        restored = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    config = AlembicConfig()
    config.set_main_option("script_location", str(current_app.extensions["migrate"].directory))
    head = ScriptDirectory.from_config(config).get_current_head()
    if restored == head:
        return f"The schema is at the current revision ({head})."
    return f"The schema is at revision {restored}; run `flask --app wsgi db upgrade` to bring it to {head}."


def _refuse_existing_file(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise click.ClickException(f"{output} already exists. Choose another name, or add --force to replace it.")
