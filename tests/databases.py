"""Test databases: a migrated SQLite file copied per test, and a migrated PostgreSQL.

Both are made by running the real migrations once per test session, so every
test runs against the schema production gets. Between tests SQLite gets a fresh
copy of the migrated file; PostgreSQL has its tables truncated.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestingConfig

APPLICATION_NAME = f"coordinator-tests-{os.getpid()}"


def app_config(url: str, **overrides) -> dict:
    config = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url)
    if url.startswith("postgresql"):
        # Tagged so a test run can find and close connections it leaked (see PostgresDatabase.fresh_url).
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"application_name": APPLICATION_NAME}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    for key, value in overrides.items():
        if key == "SQLALCHEMY_ENGINE_OPTIONS":
            value = {**config.get(key, {}), **value}
        config[key] = value
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
    """A database of this test run's own on the TEST_DATABASE_URL server (created, then dropped).

    Its own, so two runs on one server (a laptop, parallel jobs) never truncate each other's data.
    """

    url: str
    admin_url: str
    name = "postgresql"

    @classmethod
    def prepare(cls, url: str) -> PostgresDatabase:
        base, _, database = url.rpartition("/")
        own = f"{database}_run_{os.getpid()}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
                connection.execute(sa.text(f'CREATE DATABASE "{own}"'))
        finally:
            admin.dispose()
        prepared = cls(url=f"{base}/{own}", admin_url=url)
        migrate_to_head(prepared.url)
        return prepared

    def drop(self) -> None:
        database = self.url.rpartition("/")[2]
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            admin.dispose()

    def fresh_url(self) -> str:
        from coordinator.models import Base

        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                # A connection an earlier test leaked (say, a thread's) would block TRUNCATE forever.
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = :name"
                    ),
                    {"name": APPLICATION_NAME},
                )
                connection.execute(sa.text("SET lock_timeout = '30s'"))
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
