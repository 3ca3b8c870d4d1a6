"""`make run PORT=...` serves on that port, and the links it sends point there too.

A host who tries the service on another port used to get invitation links to
127.0.0.1:5000, which leads nowhere. This runs the real `make run` (server and
scheduler) on a free port with its own database, invites someone by email as the
demo coordinator, and reads the links it shows and sends.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from config import BASE_DIR
from tests.web import csrf_from

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # `make run` may reinstall first: 240 s allowed below


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Output:
    """Lines a process prints, read without blocking past a deadline."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []

    def wait_for(self, pattern: str, *, seconds: float) -> re.Match:
        deadline = time.monotonic() + seconds
        found = self._search(pattern)
        while found is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if not line and self.process.poll() is not None:
                    break
                self.lines.append(line)
            found = self._search(pattern)
        if found is None:
            raise AssertionError(f"never printed {pattern!r}; it printed:\n" + "".join(self.lines[-40:]))
        return found

    def _search(self, pattern: str) -> re.Match | None:
        return next((m for line in self.lines if (m := re.search(pattern, line))), None)


def test_make_run_on_another_port_sends_links_to_that_port(tmp_path: Path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PUBLIC_BASE_URL", "DATABASE_URL", "APP_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(process)
    try:
        output.wait_for(rf"Running on http://127\.0\.0\.1:{port}", seconds=240)
        base = f"http://127.0.0.1:{port}"
        browser = requests.Session()
        page = browser.get(f"{base}/sign-in", timeout=10)
        signed_in = browser.post(
            f"{base}/sign-in",
            data={"csrf_token": csrf_from(page.text), "email": "daniel@example.org", "password": "demo-circle-2026"},
            timeout=30,
        )
        assert signed_in.ok
        form = browser.get(f"{base}/circles/1/invitations", timeout=10)
        shared = browser.post(
            f"{base}/circles/1/invitations/link", data={"csrf_token": csrf_from(form.text)}, timeout=30
        )
        shown = re.search(r"https?://[^\s<\"]+/i/[\w-]+", shared.text).group(0)
        assert shown.startswith(f"{base}/i/"), shown  # the link a coordinator copies into the family chat
        assert browser.get(shown, timeout=10).status_code == 200  # and it opens the invitation
        browser.post(
            f"{base}/circles/1/invitations",
            data={
                "csrf_token": csrf_from(form.text),
                "name": "Robin Park",
                "phone": "",
                "email": "robin@example.org",
                "message": "Would you help again?",
            },
            timeout=30,
        ).raise_for_status()
        with sqlite3.connect(tmp_path / "run.sqlite3") as database:
            (body,) = database.execute("SELECT body FROM messages WHERE to_address = 'robin@example.org'").fetchone()
        emailed = re.search(r"https?://\S+/i/[\w-]+", body).group(0)
        assert emailed.startswith(f"{base}/i/"), emailed  # the link in the email on its way
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()
