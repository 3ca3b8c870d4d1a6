"""What a host copies from deploy/ works as shipped: gunicorn's configuration, the nginx site, the units.

Each is run or checked by the real tool: gunicorn serving the app with the shipped file, `nginx -t`
on the shipped site, systemd's own syntax where it can be read here.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from config import BASE_DIR
from tests.empty_databases import empty_database
from tests.processes import Process
from tests.servers import GUNICORN_CONF, Gunicorn, app_env
from tests.waiting import wait_until

ENV_PY = Path(BASE_DIR, "migrations", "env.py")
VERSIONS = Path(BASE_DIR, "migrations", "versions")

TOKEN = "Zq7NsecretInviteToken4821xyz"


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def _access_lines(server: Gunicorn, count: int) -> list[str]:
    assert wait_until(lambda: len(server.stdout) >= count, seconds=20), f"no access lines: {server.stdout}"
    return server.stdout


@pytest.fixture
def database_url(database):
    return database.fresh_url()


def test_the_access_log_names_the_route_never_the_token_or_the_query(database_url):
    with Gunicorn(app_env(database_url)) as server:
        status, _ = _get(f"{server.url}/i/{TOKEN}?x=secret-query-value", {"X-Request-ID": "req-from-nginx-1"})
        assert status < 500
        missing, _ = _get(f"{server.url}/no/such/{TOKEN}?x=secret-query-value", {"Referer": f"https://a/i/{TOKEN}"})
        assert missing == 404
        lines = _access_lines(server, 2)
    log = "\n".join(server.stdout + server.stderr)
    assert TOKEN not in log and "secret-query-value" not in log and "x=" not in log
    assert any("GET /i/<token> " in line and "request_id=req-from-nginx-1" in line for line in lines), lines
    assert any("GET /no/such/* 404" in line for line in lines), lines  # an unmatched path, its odd segment masked


def test_a_host_overriding_the_format_with_the_full_request_line_still_gets_no_token(database_url, tmp_path):
    conf = tmp_path / "override.conf.py"
    conf.write_text(GUNICORN_CONF.read_text() + '\naccess_log_format = \'%(h)s "%(r)s" %(q)s "%(f)s" %({cookie}i)s\'\n')
    with Gunicorn(app_env(database_url), conf=conf) as server:
        _get(f"{server.url}/i/{TOKEN}?x=secret-query-value", {"Cookie": "session=cookie-secret-value"})
        lines = _access_lines(server, 1)
    log = "\n".join(lines)
    assert '"GET /i/<token> HTTP/1.1"' in log
    assert TOKEN not in log and "secret-query-value" not in log and "cookie-secret-value" not in log
    assert "127.0.0.1" not in log  # no client address either


def test_production_access_lines_are_json_with_the_route_and_request_id(database_url):
    env = app_env(database_url, LOG_FORMAT="json")
    with Gunicorn(env) as server:
        _get(f"{server.url}/i/{TOKEN}?x=secret-query-value", {"X-Request-ID": "abc-123-def-456"})
        lines = _access_lines(server, 1)
    [line] = [json.loads(line) for line in lines if "/i/<token>" in line]
    assert (line["route"], line["method"], line["request_id"], line["name"]) == (
        "/i/<token>",
        "GET",
        "abc-123-def-456",
        "gunicorn.access",
    )
    assert TOKEN not in json.dumps(line)


# The release step: `flask --app wsgi db upgrade` from two hosts at once.

MIGRATION_LOCK_KEY = int(re.search(r"MIGRATION_LOCK_KEY = (0x[0-9A-Fa-f]+)", ENV_PY.read_text()).group(1), 16)


@contextmanager
def migration_lock_held(url: str):
    """Hold the lock `db upgrade` takes, as a host part-way through its migrations would."""
    if url.startswith("sqlite:///"):
        with open(url.removeprefix("sqlite:///") + ".migrate.lock", "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            yield
    finally:
        engine.dispose()  # closing the session frees its lock


def _schema_versions(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def _head() -> str:
    config = AlembicConfig()
    config.set_main_option("script_location", str(ENV_PY.parent))
    return ScriptDirectory.from_config(config).get_current_head()


def _upgrade_twice_at_once(url: str) -> list[Process]:
    return [Process(["db", "upgrade"], app_env(url)) for _ in range(2)]


def test_two_hosts_upgrading_at_once_migrate_once_the_second_waiting(database, tmp_path):
    with empty_database(database, tmp_path) as url:
        with migration_lock_held(url):
            hosts = _upgrade_twice_at_once(url)
            both_wait = wait_until(
                lambda: all(any("waiting for it" in line for line in h.lines) for h in hosts), seconds=90
            )
            assert both_wait, [h.lines for h in hosts]
            assert all(h.proc.poll() is None for h in hosts)  # neither goes on while another holds the lock
        codes = [h.finish(timeout=120) for h in hosts]
        assert codes == [0, 0], [h.lines for h in hosts]
        ran = [sum("Running upgrade" in line for line in h.lines) for h in hosts]
        assert sorted(ran) == [0, len(list(VERSIONS.glob("0*.py")))]  # one migrated, the other found it done
        assert _schema_versions(url) == [_head()]


def test_two_hosts_started_together_both_succeed(database, tmp_path):
    with empty_database(database, tmp_path) as url:
        hosts = _upgrade_twice_at_once(url)
        codes = [h.finish(timeout=120) for h in hosts]
        assert codes == [0, 0], [h.lines for h in hosts]
        assert _schema_versions(url) == [_head()]


def test_at_start_gunicorn_drops_dead_processes_metric_files_and_keeps_a_live_schedulers(database_url, tmp_path):
    exited = subprocess.Popen(["true"])
    exited.wait()  # its pid is free now
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    dead, alive, other = metrics / f"counter_{exited.pid}.db", metrics / f"counter_{os.getpid()}.db", metrics / "notes"
    for path in (dead, alive, other):
        path.write_text("x")
    with Gunicorn(app_env(database_url, PROMETHEUS_MULTIPROC_DIR=str(metrics))):
        pass
    assert not dead.exists() and alive.exists() and other.exists()
