"""Migrations are the only way the schema is made, so they are tested like code."""

from __future__ import annotations

import uuid
from datetime import datetime, time

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


def _filled(table: sa.Table, **given) -> dict:
    """`given`, plus a plain value for every other NOT NULL column without a default (as that revision has it)."""
    plain = {sa.Integer: 1, sa.Boolean: False, sa.DateTime: datetime(2026, 1, 1), sa.Time: time(9), sa.JSON: {}}
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key or column.server_default is not None:
            continue
        row[column.name] = next((v for t, v in plain.items() if isinstance(column.type, t)), "x")
    return row


def test_a_database_with_people_in_it_upgrades_from_before_privacy_to_head(empty_database):
    """Real deployments upgrade with rows in them: SQLite rebuilds `users` (0006, 0007) while circles point at it,
    and quiet hours stored as the old default become 'not chosen' while ones a person chose stay."""
    app = create_app(app_config(empty_database))
    with app.app_context():
        upgrade(revision="0005")
        meta = sa.MetaData()
        meta.reflect(db.engine)
        users, circles, memberships = meta.tables["users"], meta.tables["circles"], meta.tables["memberships"]
        with db.engine.begin() as connection:
            for user_id, start, end in ((1, time(21), time(8)), (2, time(22, 30), time(7))):
                row = _filled(users, id=user_id, name=f"P{user_id}", email=f"p{user_id}@example.org")
                connection.execute(users.insert().values({**row, "quiet_start": start, "quiet_end": end}))
            connection.execute(circles.insert().values(_filled(circles, id=1, created_by_id=1, timezone="UTC")))
            for user_id, role in ((1, "patient"), (2, "supporter")):
                member = _filled(memberships, circle_id=1, user_id=user_id, role=role, status="active")
                connection.execute(memberships.insert().values(member))
        upgrade()
        with db.engine.connect() as connection:
            quiet = connection.execute(sa.text("SELECT id, quiet_start FROM users ORDER BY id")).all()
            members = connection.execute(sa.text("SELECT user_id FROM memberships ORDER BY user_id")).scalars().all()
        db.engine.dispose()
    assert quiet[0][1] is None and quiet[1][1] is not None and str(quiet[1][1]).startswith("22:30")
    assert members == [1, 2]
    assert _schema_diff(empty_database) == []
