"""coordinator: a support-network coordination service. `create_app` builds the app."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import BASE_DIR, BaseConfig, ConfigError, check_production_secret, engine_options, load_config

log = logging.getLogger(__name__)


def create_app(config: Any = None) -> Flask:
    """Build the app from `config` (an object or mapping), or from the environment."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    register_config(app, config)
    register_logging(app)
    register_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_web(app)
    register_commands(app)
    return app


def register_config(app: Flask, config: Any) -> None:
    if config is None:
        config = load_config()
    if isinstance(config, Mapping):
        app.config.from_object(BaseConfig)  # a mapping names what it changes; every default is in config.py
        app.config.update(config)
    else:
        app.config.from_object(config)
    if app.config["APP_ENV"] == "production":
        check_production_secret(app.config["SECRET_KEY"])
    elif not app.config["SECRET_KEY"]:
        raise ConfigError("SECRET_KEY is not set.")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)  # the pool settings, on PostgreSQL
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////:memory"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_logging(app: Flask) -> None:
    """Log lines to stderr, JSON or text, each with its request or job run id (logging_setup.py)."""
    from coordinator.logging_setup import logging_configure

    logging_configure(log_format=app.config["LOG_FORMAT"], level=app.config["LOG_LEVEL"])


def register_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, take the client address and scheme from their headers."""
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from coordinator import models  # noqa: F401  (registers every table)
    from coordinator.db_pool import commit_read_only_requests, ping_when_idle
    from coordinator.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are rows; see services/people/sessions.py

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        else:  # PostgreSQL
            if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
                ping_when_idle(db.engine)
            commit_read_only_requests(app, db.engine, db.session)

    from coordinator.web.access import user_load

    login_manager.user_loader(user_load)  # on a circle page, the membership comes in the same query


def register_blueprints(app: Flask) -> None:
    from coordinator.web import register_blueprints as register

    app.url_map.converters["int"] = RowIdConverter  # before any rule is added
    register(app)


class RowIdConverter(IntegerConverter):
    """An <int:...> in a path: a number larger than the database can store is a 404, not a crash."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_web(app: Flask) -> None:
    from coordinator.errors import register_error_handlers
    from coordinator.log_privacy import register_log_privacy
    from coordinator.web.access_route import register_access_route
    from coordinator.web.metrics import allowed_networks
    from coordinator.web.observing import register_observing
    from coordinator.web.security import register_input_cleaning, register_security_headers
    from coordinator.web.static_files import register_static_files
    from coordinator.web.templating import register_templating

    register_access_route(app)
    register_observing(app)
    allowed_networks(app.config["METRICS_ALLOWED_IPS"])  # a typo in the allow list stops the app starting
    register_error_handlers(app)
    register_log_privacy(app)
    register_input_cleaning(app)
    register_security_headers(app)
    register_static_files(app)  # hashed static URLs cached for a year, gzip; ETags on public pages
    register_templating(app)


def register_commands(app: Flask) -> None:
    from coordinator.cli import register_cli

    register_cli(app)


SQLITE_BUSY_SECONDS = 30


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on, WAL for concurrent readers, and waiting rather than failing on locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    _wal_on(cursor)
    cursor.close()


def _wal_on(cursor) -> None:
    """Turn WAL on, waiting as busy_timeout would: SQLite refuses the switch at once ("database is locked"),
    without its busy handler, while another process writes to a database still in its first journal mode (two
    hosts starting on a new database at the same moment)."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
