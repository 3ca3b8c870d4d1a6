"""Alembic environment: migrations run against the app's own engine and models.

Autogenerate renders our UTCDateTime as a plain DateTime (it stores naive UTC),
and batch mode is on so SQLite can alter tables.

`db upgrade` is safe to run from two hosts at once (each release runs it): it first takes a lock
(PostgreSQL: a session-level advisory lock on the migration connection; SQLite: an exclusive file
lock beside the database file), so the second waits, then finds the schema at head and does nothing.
"""

import fcntl
import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import text

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Write our column types as the plain SQLAlchemy types they store."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime()"
    return False


def skip_empty_revisions(context, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


MIGRATION_LOCK_KEY = 0x636F6F72644D  # "coordM"; the scheduler's leader lock is another key (jobs/lock.py)


@contextmanager
def migration_lock(connection):
    """Hold the one migration lock for this database while the block runs; wait for it if another host has it."""
    if connection.dialect.name == "postgresql":
        with _advisory_lock(connection):
            yield
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":
        yield  # an in-memory database belongs to this process alone
        return
    with open(f"{database}.migrate.lock", "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("Another process is migrating this database; waiting for it.")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(connection):
    got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}).scalar()
    if not got:
        logger.info("Another host is migrating this database; waiting for it.")
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.commit()  # a session lock outlives this; the migrations then run in their own transaction
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()  # a failed migration's transaction, so the unlock below can run
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_revisions)
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("compare_type", True)
    with target_db.engine.connect() as connection, migration_lock(connection), foreign_keys_off(connection):
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


@contextmanager
def foreign_keys_off(connection):
    """SQLite alters a table by copying it and dropping the old one, which a foreign key pointing at it forbids.

    So on SQLite (where the app turns foreign keys on for every connection) they are off while migrations run,
    and afterwards SQLite checks every reference: a migration that left one dangling stops here, named.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            tables = sorted({row[0] for row in dangling})
            raise RuntimeError(f"The migration left rows pointing at nothing in: {', '.join(tables)}")
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `flask --app wsgi db upgrade`.")
run_migrations_online()
