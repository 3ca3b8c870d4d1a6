"""Serving for the benchmarks: gunicorn as in production, and signing people in once, outside the measurements.

Sign-in is throttled and deliberately slow (argon2), so each account signs in
once through the real form and its session cookie is reused by every measured
request. Production marks the cookie Secure, which `requests` will not send
over plain http, so cookies are read from responses and sent as headers.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.common import BENCH_DIR, PASSWORD

PROJECT_DIR = BENCH_DIR.parent
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Account:
    email: str
    cookie: str  # the `session` cookie's value
    csrf_token: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    app_spec: str, *, env: dict[str, str], log: Path, workers: int, threads: int, directory: Path | None = None
) -> Iterator[str]:
    """Serve `app_spec` from the project directory (or another copy of the code); yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads)]
    command += ["--bind", f"127.0.0.1:{port}", app_spec]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=directory or PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_up(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}; see {log}:\n{log.read_text()[-2000:]}")
        try:
            requests.get(base + "/", timeout=5, allow_redirects=False)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or a busy machine's slow start
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer on {base} within {STARTUP_SECONDS} s; see {log}")


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    if match is None:
        raise RuntimeError("No csrf_token field on the page.")
    return match.group(1)


def get(url: str, cookie: str) -> requests.Response:
    return requests.get(url, headers={"Cookie": f"session={cookie}"}, allow_redirects=False, timeout=60)


def sign_in(base: str, email: str, *, landing: str) -> Account:
    """Sign in through the form, then open `landing` once so the session holds its CSRF secret."""
    form = requests.get(base + "/sign-in", timeout=30)
    response = requests.post(
        base + "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(form.text)},
        headers={"Cookie": f"session={form.cookies['session']}"},
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302 or "session" not in response.cookies:
        raise RuntimeError(f"Signing in as {email} failed with {response.status_code}: was the database seeded?")
    page = get(base + landing, response.cookies["session"])
    if page.status_code != 200:
        raise RuntimeError(f"{email} got {page.status_code} from {landing}")
    return Account(
        email=email, cookie=page.cookies.get("session", response.cookies["session"]), csrf_token=csrf_token(page.text)
    )
