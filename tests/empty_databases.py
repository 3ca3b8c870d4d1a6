"""An empty database (no tables at all) on each backend, for tests of `db upgrade` and `restore`.

SQLite: a file path in the test's directory that doesn't exist yet. PostgreSQL: a database of its
own, created on the TEST_DATABASE_URL server beside this run's database, and dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


@contextmanager
def empty_database(database, directory: Path) -> Iterator[str]:
    """A URL of an empty database on the same backend as the `database` fixture."""
    if database.name == "sqlite":
        yield f"sqlite:///{directory / f'empty-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    base = database.url.rpartition("/")[0]
    name = f"{database.url.rpartition('/')[2]}_empty_{uuid.uuid4().hex[:8]}"
    _admin(database, f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        _admin(database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(database, statement: str) -> None:
    engine = sa.create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()
