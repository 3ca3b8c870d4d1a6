"""Migrations are the only way the schema is made, so they are tested like code."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from config import BASE_DIR
from coordinator import create_app
from coordinator.extensions import db, migrate
from coordinator.models import Base
from tests.conftest import POSTGRES_URL
from tests.databases import app_config, postgres_reachable


def _script_directory(app) -> ScriptDirectory:
    with app.app_context():
        return ScriptDirectory.from_config(migrate.get_config(str(BASE_DIR / "migrations")))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A brand-new empty database of each kind (PostgreSQL: a throwaway database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL half skipped: TEST_DATABASE_URL is not set")
    assert postgres_reachable(POSTGRES_URL) is None, "TEST_DATABASE_URL is set but PostgreSQL is unreachable"
    name = f"coordinator_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_there_is_exactly_one_head():
    app = create_app(app_config("sqlite://"))
    assert len(_script_directory(app).get_heads()) == 1


def _schema_diff(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_empty_database_upgrades_to_head_and_matches_the_models(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert _schema_diff(empty_database) == []


def test_migrations_downgrade_to_nothing_and_back(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
    assert _schema_diff(empty_database) == []
