"""Fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL."""

from __future__ import annotations

import pytest

from config import database_url_for_tests
from tests.databases import PostgresDatabase, SqliteDatabase, app_config, postgres_reachable
from tests.web import WebClient

POSTGRES_URL = database_url_for_tests()
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_report_header(config):
    if POSTGRES_URL:
        return f"databases: SQLite and PostgreSQL ({POSTGRES_URL.split('@')[-1]})"
    return "databases: SQLite only. PostgreSQL half skipped: set TEST_DATABASE_URL to run it."


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory):
    if request.param == "sqlite":
        yield SqliteDatabase.prepare(tmp_path_factory.mktemp("sqlite"))
        return
    problem = postgres_reachable(POSTGRES_URL)
    if problem:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {problem}", pytrace=False)
    prepared = PostgresDatabase.prepare(POSTGRES_URL)
    yield prepared
    prepared.drop()


@pytest.fixture
def config_overrides():
    """Tests override settings by redefining this fixture or using `make_app`."""
    return {}


@pytest.fixture
def make_app(database):
    """Build apps on a fresh copy of the migrated database; each is disposed after the test."""
    built = []

    def build(**overrides):
        from coordinator import create_app

        url = built[0][1] if built else database.fresh_url()
        app = create_app(app_config(url, **overrides))
        built.append((app, url))
        return app

    yield build
    from coordinator.extensions import db

    for app, _ in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app, config_overrides):
    app = make_app(**config_overrides)
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return WebClient(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def smtp_server():
    from tests.smtp import SmtpServer

    with SmtpServer() as server:
        yield server
