"""The database pool is a setting: each process holds at most SQLALCHEMY_POOL_SIZE + SQLALCHEMY_MAX_OVERFLOW
PostgreSQL connections, and a request that finds none free waits SQLALCHEMY_POOL_TIMEOUT, then fails.

That is what keeps hosts x workers x connections under PostgreSQL's max_connections (README, "Database
connections"). SQLite keeps SQLAlchemy's own pool for it.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from coordinator.extensions import db


def _hold_connections(engine, count: int, release: threading.Event) -> list[threading.Thread]:
    """`count` threads, each holding one checked-out connection until `release` is set."""
    holding = threading.Semaphore(0)

    def hold():
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            holding.release()
            release.wait(60)

    threads = [threading.Thread(target=hold, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert holding.acquire(timeout=30), "a thread never got its connection"
    return threads


def test_a_third_request_waits_pool_timeout_then_fails_when_two_connections_are_all_there_are(make_app, database):
    if database.name != "postgresql":
        pytest.skip("the pool settings apply to PostgreSQL; set TEST_DATABASE_URL to run this")
    app = make_app(SQLALCHEMY_POOL_SIZE=2, SQLALCHEMY_MAX_OVERFLOW=0, SQLALCHEMY_POOL_TIMEOUT=1)
    with app.app_context():
        engine = db.engine
        assert engine.pool.size() == 2 and engine.pool._max_overflow == 0 and engine.pool._recycle == 1800
        assert engine.pool._pre_ping is True and engine.hide_parameters is True  # the options stay
        release = threading.Event()
        threads = _hold_connections(engine, 2, release)
        try:
            started = time.monotonic()
            with pytest.raises(sa.exc.TimeoutError), engine.connect():
                pass
            waited = time.monotonic() - started
            assert engine.pool.checkedout() == 2
        finally:
            release.set()
            for thread in threads:
                thread.join(30)
        assert waited >= 1, f"gave up after {waited:.2f}s, before SQLALCHEMY_POOL_TIMEOUT"
        with engine.connect() as connection:  # once one is given back, the next request gets it
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1


def test_overflow_connections_are_allowed_above_the_pool_size(make_app, database):
    if database.name != "postgresql":
        pytest.skip("the pool settings apply to PostgreSQL; set TEST_DATABASE_URL to run this")
    app = make_app(SQLALCHEMY_POOL_SIZE=1, SQLALCHEMY_MAX_OVERFLOW=2, SQLALCHEMY_POOL_TIMEOUT=1)
    with app.app_context():
        release = threading.Event()
        threads = _hold_connections(db.engine, 3, release)
        try:
            assert db.engine.pool.checkedout() == 3
            with pytest.raises(sa.exc.TimeoutError), db.engine.connect():
                pass
        finally:
            release.set()
            for thread in threads:
                thread.join(30)


def test_sqlite_keeps_its_own_pool(make_app, database):
    if database.name != "sqlite":
        pytest.skip("this one is about SQLite")
    app = make_app(SQLALCHEMY_POOL_SIZE=1, SQLALCHEMY_MAX_OVERFLOW=0)
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "pool_size" not in options and "max_overflow" not in options
    assert options["pool_pre_ping"] is True and options["hide_parameters"] is True
    with app.app_context():
        connections = [db.engine.connect() for _ in range(3)]  # more than POOL_SIZE + MAX_OVERFLOW: no limit here
        for connection in connections:
            connection.close()
