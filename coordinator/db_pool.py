"""How a request uses its PostgreSQL connection: no ping it doesn't need, and a read-only request ends with COMMIT.

**Ping only when idle.**

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` each time a request borrows a connection: on a busy server,
a round trip per request (plus the switch to autocommit and back) for a connection that worked a millisecond
ago. This pings only a connection that has sat unused for more than PING_AFTER_IDLE_SECONDS, the way
HikariCP's "alive bypass window" does: a connection idle that long may have been closed by a server restart,
a failover or a firewall; one given back within the last second worked then. A dead connection the ping finds
is replaced before the request sees it. In the one-second window after a restart a request may still meet a
dead connection: SQLAlchemy then marks every older connection in the pool invalid, so only that request fails.

**A request that only read ends with COMMIT, not ROLLBACK.** psycopg forgets every prepared statement at a
ROLLBACK, and Flask-SQLAlchemy ends each request's transaction with one, so PostgreSQL planned every statement
of every page afresh: the session-and-membership query that opens each page took 0.7 ms to plan and 0.3 ms to run
(bench/PROFILE.md). When a request ran nothing but SELECTs and holds no unsaved change, committing is the same as
rolling back for the data, and psycopg keeps the statements it has prepared (after five uses on a connection), so
the plans are reused. Any other statement, an error, or an unsaved change: the usual rollback, untouched.

SQLite keeps `pool_pre_ping` (no network, nothing to save) and its rollback.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

PING_AFTER_IDLE_SECONDS = 1.0
_GIVEN_BACK = "coordinator.given_back_at"  # in each pooled connection's `info`: when it was last checked in
_ONLY_READ = "coordinator.only_read"  # in the same `info`: this transaction has run nothing but SELECTs


def ping_when_idle(engine: Engine, *, after_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """On `engine`'s pool: ping a borrowed connection if it was idle longer than `after_seconds` (or never used)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def given_back(dbapi_connection, record) -> None:
        if record is not None:
            record.info[_GIVEN_BACK] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def borrowed(dbapi_connection, record, proxy) -> None:
        given_back_at = record.info.get(_GIVEN_BACK)
        if given_back_at is not None and time.monotonic() - given_back_at <= after_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:  # gone: the pool replaces it and tries again
            raise exc.DisconnectionError("the database closed an idle connection") from error


def commit_read_only_requests(app: Flask, engine: Engine, session: scoped_session) -> None:
    """End a request that only read with COMMIT, keeping psycopg's prepared statements (see above).

    Registered after Flask-SQLAlchemy's own teardown, so it runs before it (Flask runs them in reverse);
    Flask-SQLAlchemy's `session.remove()` then has nothing left to roll back.
    """

    @event.listens_for(engine, "begin")
    def began(connection) -> None:
        connection.info[_ONLY_READ] = True

    @event.listens_for(engine, "before_cursor_execute")
    def statement(connection, cursor, text, parameters, context, executemany) -> None:
        if not text.lstrip()[:6].upper() == "SELECT":
            connection.info[_ONLY_READ] = False

    @app.teardown_appcontext
    def end(error: BaseException | None) -> None:
        if error is not None or not session.registry.has():
            return
        current = session()
        transaction = current.get_transaction()
        if transaction is None or current.new or current.dirty or current.deleted:
            return
        connection = transaction.connection(None) if transaction.is_active else None
        if connection is not None and connection.info.get(_ONLY_READ) is True:
            # As the rollback it replaces: the objects keep what they hold (the session is closed next, and
            # anything still holding one, such as a test's app context, must not find it expired and detached).
            current.expire_on_commit = False
            try:
                current.commit()
            finally:
                current.expire_on_commit = True
