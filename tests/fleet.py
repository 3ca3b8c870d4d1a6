"""The parts of a fleet on one machine, for tests/test_fleet.py: hosts, nginx, and simulated people.

Each "host" is a real gunicorn started with the shipped deploy/gunicorn.conf.py in a process group of
its own, so SIGKILL takes its master and workers down at once, as a machine dying would. nginx is
Debian's, started in the foreground with a config written into the test's directory: TLS (production
cookies are Secure), the forwarded headers TRUSTED_PROXIES=1 expects, and a balancing key a request
may pin (X-Fleet-Pin) so a test can send a request to the host it names, and otherwise nginx's own
random request id. Each simulated person has a loopback address of their own (127.0.0.0/8 is all
local), so nginx sees fifty clients, not one, and the per-address limits stay out of the way.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from config import BASE_DIR
from tests.waiting import wait_until
from tests.web import csrf_from

GUNICORN_CONF = Path(BASE_DIR, "deploy", "gunicorn.conf.py")
UPSTREAM_HEADER = "X-Fleet-Upstream"  # which host answered, as nginx saw it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """A long-running command in a process group of its own; its output lines kept with the moment each came."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name = name
        self.proc = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    def flask(cls, name: str, args: list[str], env: dict[str, str]) -> Service:
        return cls(name, [sys.executable, "-m", "flask", "--app", "wsgi", *args], env)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def said(self, text: str, *, after: float = 0.0) -> float | None:
        """When (monotonic) the process first printed `text` after `after`, or None."""
        return next((moment for moment, line in list(self.lines) if moment >= after and text in line), None)

    def count(self, text: str) -> int:
        return sum(1 for _, line in list(self.lines) if text in line)

    def wait_for(self, text: str, *, seconds: float = 60, times: int = 1) -> bool:
        return bool(
            wait_until(lambda: self.count(text) >= times or self.proc.poll() is not None, seconds=seconds)
        ) and (self.count(text) >= times)

    def tail(self, n: int = 40) -> str:
        return f"--- {self.name} ---\n" + "\n".join(line for _, line in self.lines[-n:])

    def kill(self) -> None:
        """SIGKILL to the whole group: the process and every child (gunicorn's workers), nothing cleans up."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        return self.proc.returncode


def gunicorn_host(name: str, port: int, env: dict[str, str], *, workers: int = 2) -> Service:
    env = {**env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), "PYTHONUNBUFFERED": "1"}
    return Service(name, [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"], env)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_config(directory: Path, *, port: int, upstreams: list[int], cert: Path, key: Path) -> Path:
    """A whole nginx.conf for a foreground nginx whose every file lives in `directory`."""
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / temp).mkdir(exist_ok=True)
    # max_fails=3: one stale keep-alive connection to the surviving host must not mark it down too
    # (with the other host dead, nginx would then answer 502 "no live upstreams" for fail_timeout).
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;" for p in upstreams)
    running_as_root = "user root;" if os.geteuid() == 0 else ""
    text = f"""
{running_as_root}
daemon off;
worker_processes 2;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format fleet '$msec $remote_addr $status $upstream_addr $upstream_status $request_method $uri';
  access_log {directory}/access.log fleet;
  client_body_temp_path {directory}/client_body;
  proxy_temp_path {directory}/proxy;
  fastcgi_temp_path {directory}/fastcgi;
  uwsgi_temp_path {directory}/uwsgi;
  scgi_temp_path {directory}/scgi;
  client_max_body_size 2m;
  map $http_x_fleet_pin $balance_key {{
    default $http_x_fleet_pin;
    "" $request_id;
  }}
  upstream coordinator {{
    hash $balance_key;
{servers}
    keepalive 16;
    keepalive_timeout 4s;  # below gunicorn's keepalive (5 s), so nginx never reuses a connection gunicorn is closing
  }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://coordinator;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-ID $request_id;
      proxy_next_upstream error timeout;
      add_header {UPSTREAM_HEADER} $upstream_addr always;
    }}
  }}
}}
"""
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def nginx_binary() -> str | None:
    """Debian puts nginx in /usr/sbin, which a non-root PATH may lack."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def nginx(directory: Path, conf: Path) -> Service:
    return Service(
        "nginx", [nginx_binary(), "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")], {}
    )


@dataclass(frozen=True)
class Hit:
    at: float  # monotonic, when the answer came (or the request failed)
    status: int  # 0 when no HTTP answer came at all
    what: str
    upstream: str


@dataclass
class Record:
    """Every request the simulated people made, from every thread."""

    hits: list[Hit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


class _FromAddress(HTTPAdapter):
    """Connect from one loopback address, so each person is a client of their own to nginx."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(pool_maxsize=2)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    """One person's HTTPS session through nginx, every answer recorded."""

    def __init__(self, base: str, cert: Path, address: str, record: Record):
        self.base, self.record = base, record
        self.page = ""  # the last page loaded: a form posted from it names it as the Referer
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = str(cert)
        self.session.mount("https://", _FromAddress(address))

    def request(
        self, method: str, path: str, what: str, *, pin: str | None = None, **kwargs
    ) -> requests.Response | None:
        headers = {**kwargs.pop("headers", {}), **({"X-Fleet-Pin": pin} if pin else {})}
        if method == "POST" and self.page:  # as a browser does; over HTTPS Flask-WTF checks it is this site
            headers.setdefault("Referer", self.page)
        elif method == "GET":
            self.page = self.base + path
        try:
            answer = self.session.request(
                method, self.base + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
            )
        except requests.RequestException as error:
            self.record.add(Hit(time.monotonic(), 0, what, ""))
            self.record.problem(f"{what}: {type(error).__name__}")
            return None
        self.record.add(Hit(time.monotonic(), answer.status_code, what, answer.headers.get(UPSTREAM_HEADER, "")))
        return answer

    def csrf(self, path: str, what: str, **kwargs) -> str | None:
        page = self.request("GET", path, what, **kwargs)
        return csrf_from(page.text) if page is not None and page.status_code == 200 else None

    def sign_in(self, email: str, password: str, *, what: str = "sign-in", pin: str | None = None) -> Hit | None:
        """The sign-in form as a person fills it in; the POST's answer (None if the form never came)."""
        token = self.csrf("/sign-in", "sign-in page", pin=pin)
        if token is None:
            return None
        data = {"csrf_token": token, "email": email, "password": password}
        answer = self.request("POST", "/sign-in", what, data=data, pin=pin)
        if answer is None:
            return Hit(time.monotonic(), 0, what, "")
        return Hit(time.monotonic(), answer.status_code, what, answer.headers.get(UPSTREAM_HEADER, ""))

    def close(self) -> None:
        self.session.close()
