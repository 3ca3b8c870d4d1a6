"""What a host copies from deploy/ works as shipped: gunicorn's configuration, the nginx site, the units.

Each is run or checked by the real tool: gunicorn serving the app with the shipped file, `nginx -t`
on the shipped site, systemd's own syntax where it can be read here.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import re
import shutil
import socket
import ssl
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


# The nginx site, rendered for this machine (ports, a self-signed certificate, paths in tmp_path) and run.

NGINX_SITE = Path(BASE_DIR, "deploy", "nginx.conf")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _render_site(tmp_path: Path, app_address: str, http: int, https: int) -> Path:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=care.example.org"]
        + ["-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    site = NGINX_SITE.read_text()
    for shipped, here in {
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/letsencrypt/live/care.example.org/": f"{tmp_path}/",
        "/srv/coordinator/static/": f"{BASE_DIR}/static/",
        "server 127.0.0.1:8000": f"server {app_address}",
        "/var/log/nginx/": f"{tmp_path}/",
        "/var/www/letsencrypt": str(tmp_path),
    }.items():
        assert shipped in site, f"deploy/nginx.conf no longer has {shipped!r}; update this test's rendering"
        site = site.replace(shipped, here)
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"daemon off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{ include /etc/nginx/mime.types; {temp} include {tmp_path}/site.conf; }}\n"
    )
    return main


def _https(port: int, method: str, path: str, body: bytes | None = None, source: str = "127.0.0.1"):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers={"Host": "care.example.org"})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture
def nginx_path():
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not found:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run installs it)")
    return found


def test_the_shipped_nginx_site_passes_nginx_t_and_fronts_the_app_as_described(nginx_path, database_url, tmp_path):
    http_port, https_port = _free_port(), _free_port()
    with Gunicorn(app_env(database_url, TRUSTED_PROXIES="1", PUBLIC_BASE_URL="https://care.example.org")) as app:
        main = _render_site(tmp_path, app.url.removeprefix("http://"), http_port, https_port)
        checked = subprocess.run(
            [nginx_path, "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([nginx_path, "-c", str(main), "-p", str(tmp_path)], stderr=subprocess.PIPE)
        try:
            assert wait_until(lambda: (tmp_path / "nginx.pid").exists(), seconds=20), "nginx did not start"
            plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
            assert wait_until(lambda: _answers(plain), seconds=20)
            plain.request("GET", "/circles/?x=1", headers={"Host": "care.example.org"})
            redirect = plain.getresponse()
            assert (redirect.status, redirect.headers["Location"]) == (301, "https://care.example.org/circles/?x=1")
            plain.close()

            status, headers, _ = _https(https_port, "GET", "/healthz")
            assert status == 200
            assert headers.get_all("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains"]
            request_id = headers["X-Request-ID"]
            assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, carried to the app and back
            assert wait_until(lambda: any(f"request_id={request_id}" in line for line in app.stdout), seconds=10)

            stylesheet = next(p for p in Path(BASE_DIR, "static").rglob("*.css")).relative_to(BASE_DIR)
            status, _, body = _https(https_port, "GET", f"/{stylesheet}")
            assert status == 200 and body == Path(BASE_DIR, stylesheet).read_bytes()
            assert _https(https_port, "POST", "/sign-in", body=b"x" * (3 * 1024 * 1024))[0] == 413
            assert _https(https_port, "GET", "/metrics", source="127.0.0.2")[0] == 403  # not the monitoring host
        finally:
            nginx.terminate()
            nginx.wait(timeout=20)
            nginx.stderr.close()
    assert not any("/static/" in line for line in app.stdout)  # nginx served it, gunicorn never saw it
    access = (tmp_path / "coordinator.access.log").read_text()
    assert request_id in access and "x=1" not in access and "/circles" not in access


def _answers(connection: http.client.HTTPConnection) -> bool:
    try:
        connection.connect()
        return True
    except OSError:
        return False


# The systemd units, and the settings a host fills in.

UNITS = sorted(Path(BASE_DIR, "deploy").glob("coordinator-*.*"))


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    assert {unit.name for unit in UNITS} >= {
        "coordinator-web.service",
        "coordinator-scheduler.service",
        "coordinator-backup.service",
        "coordinator-backup.timer",
    }
    for unit in UNITS:  # this checkout stands in for /srv/coordinator, env.example for the host's env file
        text = unit.read_text().replace("/etc/coordinator/env", str(Path(BASE_DIR, "deploy", "env.example")))
        (tmp_path / unit.name).write_text(text.replace("/srv/coordinator", str(BASE_DIR)))
    verified = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / unit.name) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr


@pytest.mark.parametrize("unit", ["coordinator-web.service", "coordinator-scheduler.service"])
def test_each_long_running_unit_runs_as_its_user_restarts_and_is_hardened(unit):
    text = Path(BASE_DIR, "deploy", unit).read_text()
    for line in (
        "User=coordinator",
        "EnvironmentFile=/etc/coordinator/env",
        "Restart=always",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "ReadWritePaths=/srv/coordinator/instance",
    ):
        assert f"\n{line}\n" in text, f"{unit} lacks {line}"
    assert "gunicorn -c deploy/gunicorn.conf.py wsgi:app" in text or "flask --app wsgi scheduler run" in text


def test_env_example_names_every_setting_the_app_and_gunicorn_read():
    import config

    example = Path(BASE_DIR, "deploy", "env.example").read_text()
    named = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", example, re.M))
    read = set(config._STRING_SETTINGS + config._NUMBER_SETTINGS + config._WHOLE_NUMBER_SETTINGS)
    read |= {"APP_ENV", "SECRET_KEY", "DATABASE_URL", "SMTP_STARTTLS", "TRUSTED_PROXIES"}
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', GUNICORN_CONF.read_text()))
    read |= set(re.findall(r'_number\("([A-Z_]+)"', GUNICORN_CONF.read_text()))
    assert sorted(read - named) == []
    assert sorted(named - read) == []  # nothing listed that nothing reads
