"""Nothing lost, nothing doubled: the dispatcher killed mid-flight, over and over, against fake Twilio."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.texting.messages import message_queue
from tests.fake_twilio import FakeTwilio
from tests.processes import TOKEN, Process, command_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # 40 to 120 s with both cores busy; its waits allow more
MESSAGES = 1000


def statuses() -> Counter:
    db.session.expire_all()
    return Counter(dict(db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all()))


def mid_send(fake: FakeTwilio, *, after: int, seconds: float = 60) -> bool:
    """Wait until the fake has accepted `after` messages while rows are still "sending" (False at the deadline)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(fake.bodies()) >= after and statuses().get("sending", 0) > 0:
            return True
        time.sleep(0.005)
    return False


def test_sigkilled_dispatcher_sends_every_message_exactly_once(app):
    for n in range(MESSAGES):
        message_queue(
            channel="sms",
            to_address=f"+1202555{n % 50:04d}",
            kind="welcome",
            key=f"crash:{n}",
            body=f"Message number {n}",
        )
    db.session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    chance = random.Random(20261124)
    with FakeTwilio(auth_token=TOKEN, latency=0.002) as fake:
        env = command_env(url, fake.base_url)
        kills = left_mid_send = 0
        while kills < 6 and statuses().get("pending", 0) > 100:
            dispatcher = Process(["sms", "dispatch", "--until-idle", "--batch", "25"], env)
            # Kill once it is truly sending (Twilio took some, rows are "sending"), however slow the machine:
            # a timer alone fired before the process had sent anything when both cores were busy.
            assert mid_send(fake, after=len(fake.bodies()) + chance.randint(3, 40)), "the dispatcher never sent"
            dispatcher.kill()
            kills += 1
            left_mid_send += statuses().get("sending", 0)
        assert kills >= 4, "the dispatcher finished before it could be killed enough times"
        assert left_mid_send > 0, "no kill landed mid-send; the test proved nothing"
        for _ in range(30):  # then let it finish; rows a killed run left "sending" settle after the lease
            counts = statuses()
            if counts.get("sent", 0) == MESSAGES:
                break
            time.sleep(1.1)
            assert Process(["sms", "dispatch", "--until-idle"], env).finish() == 0
        received = Counter(fake.bodies())
    counts = statuses()
    assert counts == Counter({"sent": MESSAGES}), counts
    assert len(received) == MESSAGES and set(received.values()) == {1}, [b for b, c in received.items() if c > 1][:5]
    settled_after_crash = db.session.scalar(select(func.count()).where(Message.last_error != ""))
    assert settled_after_crash > 0  # some rows went through "unknown" and were reconciled
    provider_ids = db.session.scalars(select(Message.provider_id)).all()
    assert len(set(provider_ids)) == MESSAGES
