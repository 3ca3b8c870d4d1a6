"""The shipped gunicorn configuration, run as a host runs it: a real server on a loopback port, its output kept."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from config import BASE_DIR
from tests.waiting import wait_until

GUNICORN_CONF = Path(BASE_DIR, "deploy", "gunicorn.conf.py")
_LISTENING = re.compile(r"Listening at: http://[\d.]+:(\d+)")


class Gunicorn:
    """`gunicorn -c deploy/gunicorn.conf.py wsgi:app` on a port the kernel picks; stdout and stderr kept apart."""

    def __init__(self, env: dict[str, str], workers: int = 1, conf: Path = GUNICORN_CONF):
        env = {**env, "WEB_BIND": "127.0.0.1:0", "WEB_CONCURRENCY": str(workers), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(conf), "wsgi:app"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.url = ""

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def start(self, seconds: float = 60) -> Gunicorn:
        def booted():
            ports = [m.group(1) for line in self.stderr if (m := _LISTENING.search(line))]
            workers = any("Booting worker" in line for line in self.stderr)
            return (ports[0] if ports and workers else None) or self.proc.poll() is not None

        port = wait_until(booted, seconds=seconds)
        if not isinstance(port, str):
            self.stop()
            raise AssertionError("gunicorn did not start:\n" + "\n".join(self.stderr[-30:]))
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process on a test's database (console texts and emails, memory limits)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMS_", "MAIL_", "DATABASE_URL"))}
    env.update(APP_ENV="testing", DATABASE_URL=database_url, PUBLIC_BASE_URL="http://127.0.0.1")
    env.update(extra)
    return env
