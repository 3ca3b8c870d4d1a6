"""`flask --app wsgi backup [--output FILE]` and `flask --app wsgi restore FILE`: the host's snapshot and its return.

The mechanics live in coordinator/backups.py (pg_dump / pg_restore for PostgreSQL, the online backup API
for SQLite) and coordinator/backup_photos.py (PHOTO_DIR as a tar beside the database file). Here: where the
files go (written under a temporary name, readable by their owner only, renamed when complete), refusing to
overwrite a file or a database that holds something unless --force, and the lines a host reads: what is being
done, to which (masked) database, and a summary at the end (counts and sizes, never a photo's file name).

The database is copied first and the photos after it: a photo posted in between is then a file no row names
(the sweep_photos job removes it an hour after a restore), never a row whose photo is missing.
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

from coordinator.backup_photos import photos_archive, photos_check, photos_file_beside, photos_restore
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
@click.option("--force", is_flag=True, help="Replace FILE, and the photos file beside it, if they already exist.")
@click.option("--no-photos", is_flag=True, help="Leave out the photos (PHOTO_DIR): write the database file only.")
@with_appcontext
def backup_command(output: Path | None, force: bool, no_photos: bool) -> None:
    """Write a consistent snapshot of the whole database to a file, while the service runs.

    PostgreSQL: pg_dump's custom format (pg_dump must be at least the server's version). SQLite: a copy made
    with SQLite's online backup API. Then the photos: every file under PHOTO_DIR in FILE's name with
    .photos.tar for its suffix, beside it. Both hold every person's details: keep them as safe as the database.
    Bring them back with `flask --app wsgi restore FILE`.
    """
    engine = db.engine
    kind = engine.dialect.name
    output = output or Path(f"coordinator-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{SUFFIXES[kind]}")
    photos = photos_file_beside(output)
    _refuse_existing_file(output, force)
    _refuse_existing_file(photos, force)  # even with --no-photos: an old one beside it would pass for this one's
    click.echo(f"Backing up {masked_url(engine)} to {output} ...", err=True)
    with _partial_beside(output) as partial:
        with _plainly(engine):
            summary = _write_backup(engine, kind, partial)
        _refuse_existing_file(output, force)
        os.replace(partial, output)
    click.echo(f"Wrote {output} ({output.stat().st_size:,} bytes; {summary}).")
    if no_photos:
        click.echo(f"Photos: left out (--no-photos){_drop_stale(photos)}.")
    else:
        _write_photos(Path(current_app.config["PHOTO_DIR"]), photos, force)


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore even though the database already has tables (they are replaced).")
@click.option(
    "--photos",
    "photos_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The photos file to bring back into PHOTO_DIR. Default: BACKUP_FILE's .photos.tar beside it, if there is one.",
)
@click.option("--no-photos", is_flag=True, help="Restore the database only; PHOTO_DIR is left as it is.")
@with_appcontext
def restore_command(backup_file: Path, force: bool, photos_file: Path | None, no_photos: bool) -> None:
    """Bring BACKUP_FILE (written by `flask --app wsgi backup`) back into the database at DATABASE_URL.

    The database should be empty (a new one: createdb, or a new SQLite path); one that has tables is refused
    unless --force, which replaces every table the backup holds. Stop the web servers and schedulers first.
    Then the photos file beside it (or --photos TAR) goes into PHOTO_DIR; photos already there are kept.
    A photos file holding anything but plain files (links, absolute or '..' paths) is refused before anything.
    """
    if photos_file and no_photos:
        raise click.UsageError("Use --photos or --no-photos, not both.")
    beside = photos_file_beside(backup_file)
    photos = None if no_photos else photos_file or (beside if beside.is_file() else None)
    photo_dir = Path(current_app.config["PHOTO_DIR"])
    engine = db.engine
    with _plainly(engine):
        _check_restorable(engine, backup_file, force)
        if photos:
            photos_check(photos, photo_dir)  # a tar to refuse is refused before the database is touched
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
    if no_photos:
        click.echo("Photos: not restored (--no-photos); PHOTO_DIR is as it was.")
    elif photos is None:
        click.echo("No photos file beside the backup; photos are not restored.")
    else:
        _restore_photos(engine, photos, photo_dir)


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


@contextmanager
def _partial_beside(output: Path) -> Iterator[Path]:
    """A temporary file beside `output`, made 0600 by mkstemp (readable by its owner only); gone unless renamed."""
    handle, partial = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    os.close(handle)
    try:
        yield Path(partial)
    finally:
        Path(partial).unlink(missing_ok=True)


def _write_photos(photo_dir: Path, photos: Path, force: bool) -> None:
    with _partial_beside(photos) as partial:
        try:
            archived = photos_archive(photo_dir, partial)
        except OSError as error:  # its words only: a file's name would be a photo's token
            raise click.ClickException(f"Could not copy the photos in {photo_dir}: {error.strerror}.") from None
        if archived.files:
            _refuse_existing_file(photos, force)
            os.replace(partial, photos)
    if archived.files:
        click.echo(f"Photos: {_files(archived.files)}, {_size_words(archived.size)} -> {photos}")
    else:
        click.echo(f"Photos: none in {photo_dir}; no photos file written{_drop_stale(photos)}.")


def _drop_stale(photos: Path) -> str:
    """With --force, a photos file beside the replaced database file that this backup doesn't replace goes."""
    if not photos.exists():
        return ""
    photos.unlink()
    return f" (removed the old {photos})"


def _restore_photos(engine: sa.Engine, photos: Path, photo_dir: Path) -> None:
    try:
        with _plainly(engine):
            restored = photos_restore(photos, photo_dir)
    except OSError as error:
        raise click.ClickException(
            f"Could not write the photos into {photo_dir}: {error.strerror}. The database is restored; fix that "
            "and run the same restore again with --force (photos already written are kept)."
        ) from None
    kept = f"; {restored.kept:,} already there were kept" if restored.kept else ""
    click.echo(f"Photos: restored {_files(restored.written)} into {photo_dir}{kept}.")


def _files(count: int) -> str:
    return f"{count:,} file" if count == 1 else f"{count:,} files"


def _size_words(count: int) -> str:
    """8808038 -> "8.4 MB", 20480 -> "20 KB"."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{max(1, round(count / 1024))} KB"


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
