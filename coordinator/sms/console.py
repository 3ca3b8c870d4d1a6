"""The console gateway: prints each text (the default for `make run`), and remembers it."""

from __future__ import annotations

import sys
import threading
import uuid
from datetime import datetime

from coordinator.clock import now
from coordinator.sms import ProviderMessage, SendResult


class ConsoleGateway:
    name = "console"

    def __init__(self, stream=None):
        self.stream = stream
        self.sent: list[ProviderMessage] = []
        self._lock = threading.Lock()

    def send(self, *, to: str, body: str) -> SendResult:
        provider_id = "CN" + uuid.uuid4().hex
        print(f"[sms to {to}] {body}", file=self.stream or sys.stdout, flush=True)
        with self._lock:
            self.sent.append(ProviderMessage(provider_id, to, body, now(), "sent"))
        return SendResult(provider_id)

    def sent_to(self, *, to: str, since: datetime) -> list[ProviderMessage]:
        with self._lock:
            return [m for m in self.sent if m.to == to and (m.created_at is None or m.created_at >= since)]
