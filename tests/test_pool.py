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
        assert engine.hide_parameters is True  # the options stay
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


def _server_closes(url, connection_pid: int) -> None:
    """The server ends one backend, as a restart or an idle timeout would (asked on a connection of its own)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": connection_pid})
        other.commit()
    engine.dispose()


def _pid(connection) -> int:
    return connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_the_server_closed_while_idle_is_replaced_before_a_request_meets_it(make_app, database):
    if database.name != "postgresql":
        pytest.skip("about PostgreSQL's pool; set TEST_DATABASE_URL to run this")
    from coordinator.db_pool import PING_AFTER_IDLE_SECONDS

    app = make_app(SQLALCHEMY_POOL_SIZE=1, SQLALCHEMY_MAX_OVERFLOW=1)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False  # no ping on every request
    with app.app_context():
        engine = db.engine  # the app's own, as a request borrows it
        with engine.connect() as connection:
            first = _pid(connection)
        _server_closes(engine.url, first)
        time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)  # idle past the window (a busy machine only makes it longer)
        with engine.connect() as connection:  # the ping finds it dead; the pool opens another
            assert _pid(connection) != first


def test_a_connection_used_a_moment_ago_is_not_pinged_and_a_dead_one_costs_one_request_only(make_app, database):
    if database.name != "postgresql":
        pytest.skip("about PostgreSQL's pool; set TEST_DATABASE_URL to run this")
    from coordinator.db_pool import ping_when_idle

    app = make_app()
    with app.app_context():
        engine = sa.create_engine(db.engine.url, pool_size=1, max_overflow=0, pool_pre_ping=False)
        ping_when_idle(engine, after_seconds=3600)  # everything counts as used a moment ago: never pinged
        with engine.connect() as connection:
            first = _pid(connection)
        with engine.connect() as connection:
            assert _pid(connection) == first  # the same connection, borrowed again
        _server_closes(engine.url, first)
        with pytest.raises(sa.exc.OperationalError) as failed, engine.connect() as connection:
            _pid(connection)  # not pinged, so this statement is what finds it dead
        assert failed.value.connection_invalidated
        with engine.connect() as connection:  # and the pool has let it go: the next one works
            assert _pid(connection) != first
        engine.dispose()


def _read_only_app(make_app):
    """The app with three test views: one that reads, one that writes and forgets to save, one that fails."""
    from coordinator.models import Circle

    app = make_app()

    @app.get("/_test/read")
    def read():
        return {"circles": db.session.scalar(sa.select(sa.func.count(Circle.id)))}

    @app.get("/_test/unsaved")
    def unsaved():
        db.session.execute(
            sa.insert(Circle).values(name="Half written", patient_name="X", timezone="UTC", phone_region="US")
        )
        return {"saved": False}  # no commit: the request's end must throw it away

    @app.get("/_test/dirty")
    def dirty():
        circle = db.session.scalar(sa.select(Circle).limit(1))
        circle.name = "Changed but never saved"
        return {"saved": False}

    return app


def test_a_request_that_only_read_ends_with_commit_and_keeps_its_prepared_statements(make_app, database):
    if database.name != "postgresql":
        pytest.skip("about PostgreSQL's prepared statements; set TEST_DATABASE_URL to run this")
    app = _read_only_app(make_app)
    ends: list[str] = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "commit", lambda connection: ends.append("commit"))
    sa.event.listen(engine, "rollback", lambda connection: ends.append("rollback"))
    client = app.test_client()
    for _ in range(8):  # psycopg prepares a statement on its fifth use on a connection
        assert client.get("/_test/read").status_code == 200
    assert ends == ["commit"] * 8
    with app.app_context():
        with db.engine.connect() as connection:  # the pool's one idle connection: the one the requests used
            prepared = connection.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("count(circles.id)" in statement for statement in prepared), prepared
    client.get("/_test/unsaved")
    assert ends[-1] == "rollback"  # a request that wrote and did not save is rolled back as before


def test_a_request_that_wrote_without_saving_still_rolls_back_nothing_half_written(make_app, database):
    from coordinator.models import Circle

    app = _read_only_app(make_app)
    client = app.test_client()
    with app.app_context():
        db.session.add(Circle(name="Kept", patient_name="Y", timezone="UTC", phone_region="US"))
        db.session.commit()
        db.session.remove()
    assert client.get("/_test/unsaved").status_code == 200
    assert client.get("/_test/dirty").status_code == 200
    with app.app_context():
        names = db.session.scalars(sa.select(Circle.name)).all()
    assert names == ["Kept"], names


def test_an_object_read_in_an_app_context_keeps_what_it_holds_after_the_context_ends(make_app, database):
    """Ending a read-only context with COMMIT must not leave its objects expired and unreadable, as a ROLLBACK
    followed by the session's close never did (tests/test_feeds.py met it first)."""
    from coordinator.models import Circle

    app = make_app()
    with app.app_context():
        db.session.add(Circle(name="Kept", patient_name="Y", timezone="UTC", phone_region="US"))
        db.session.commit()
    with app.app_context():
        circle = db.session.scalar(sa.select(Circle).where(Circle.name == "Kept"))
    assert circle.name == "Kept" and circle.timezone == "UTC"  # read after the context closed
