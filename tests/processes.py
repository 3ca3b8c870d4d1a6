"""Running the real commands as separate processes (to kill them), pointed at a test's database and fake Twilio."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from config import BASE_DIR

ACCOUNT = "AC" + "0" * 32
TOKEN = "secret-token"


def command_env(database_url: str, fake_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMS_", "DATABASE_URL"))}
    env.update(
        APP_ENV="testing",
        DATABASE_URL=database_url,
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake_url,
        TWILIO_TIMEOUT="2",
        SMS_SENDS_PER_SECOND="0",
        SMS_SENDING_LEASE_SECONDS="1",
        SMS_RECONCILE_AFTER_SECONDS="0.5",
        SMS_DEFAULT_QUIET_START="00:00",  # never quiet: these tests are about crashes, not the clock
        SMS_DEFAULT_QUIET_END="00:00",
        PUBLIC_BASE_URL="https://care.example.org",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Process:
    """A `flask --app wsgi ...` process whose output is collected as it runs."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=Path(BASE_DIR),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.proc.poll() is not None:
                self.reader.join(timeout=2)
                return any(text in line for line in self.lines)
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish()

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.finish(timeout)

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        return code
