"""Two scheduler processes: one is active, killing it hands over, and no reminder goes out twice."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.texting.messages import message_queue
from tests.fake_twilio import FakeTwilio
from tests.processes import TOKEN, Process, command_env

pytestmark = pytest.mark.slow
REMINDERS = 120


def sent_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(Message.status == "sent"))


def test_killing_the_active_scheduler_hands_over_without_double_sends(app):
    start = now()
    for n in range(REMINDERS):  # due over the next ~12 seconds, so the handover happens mid-stream
        message_queue(
            channel="sms",
            to_address=f"+1202555{n % 30:04d}",
            kind="reminder",
            key=f"reminder:failover:{n}",
            body=f"Reminder number {n}",
            due_at=start + timedelta(seconds=n * 0.1),
        )
    db.session.commit()
    with FakeTwilio(auth_token=TOKEN, latency=0.01) as fake:
        env = command_env(app.config["SQLALCHEMY_DATABASE_URI"], fake.base_url, DELIVER_EVERY_SECONDS="0.5")
        first = Process(["scheduler", "run"], env)
        assert first.wait_for("This scheduler is active."), first.lines
        second = Process(["scheduler", "run"], env)
        try:
            assert second.wait_for("Another scheduler is active"), second.lines
            deadline = time.monotonic() + 20
            while sent_count() < REMINDERS // 4 and time.monotonic() < deadline:
                time.sleep(0.2)
            before_kill = sent_count()
            assert 0 < before_kill < REMINDERS
            first.kill()
            assert second.wait_for("This scheduler is active.", timeout=20), second.lines
            deadline = time.monotonic() + 60
            while sent_count() < REMINDERS and time.monotonic() < deadline:
                time.sleep(0.3)
        finally:
            first.kill()
            second.stop()
        received = Counter(fake.bodies())
    assert sent_count() == REMINDERS
    assert len(received) == REMINDERS and set(received.values()) == {1}
    assert sum(1 for line in first.lines if "This scheduler is active." in line) == 1
