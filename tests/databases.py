"""Test databases: a migrated SQLite file copied per test, and a migrated PostgreSQL.

Both are made by running the real migrations once per test session, so every
test runs against the schema production gets. Between tests SQLite gets a fresh
copy of the migrated file; PostgreSQL has its tables truncated.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestingConfig


def app_config(url: str, **overrides) -> dict:
    config = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, **overrides)
    return config


def migrate_to_head(url: str) -> None:
    from coordinator import create_app

    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        from coordinator.extensions import db

        db.engine.dispose()


@dataclass
class SqliteDatabase:
    template: Path
    workdir: Path
    name = "sqlite"
    counter: int = 0

    @classmethod
    def prepare(cls, workdir: Path) -> SqliteDatabase:
        template = workdir / "template.sqlite3"
        migrate_to_head(f"sqlite:///{template}")
        return cls(template=template, workdir=workdir)

    def fresh_url(self) -> str:
        self.counter += 1
        path = self.workdir / f"test-{self.counter}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"


@dataclass
class PostgresDatabase:
    url: str
    name = "postgresql"

    @classmethod
    def prepare(cls, url: str) -> PostgresDatabase:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        migrate_to_head(url)
        return cls(url=url)

    def fresh_url(self) -> str:
        from coordinator.models import Base

        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        finally:
            engine.dispose()
        return self.url


def postgres_reachable(url: str) -> str | None:
    """None if PostgreSQL answers at `url`, else the reason it does not."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        return str(error.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None
