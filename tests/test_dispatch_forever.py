"""`flask sms dispatch --forever`: an extra dispatcher process that keeps delivering until told to stop.

Hosts run it beside the scheduler (whose `deliver` job also sends) when one sender is not enough;
the fleet test runs two. Here one process is left running while texts fall due, and SIGTERM ends it cleanly.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.texting.messages import message_queue
from tests.fake_twilio import FakeTwilio
from tests.processes import TOKEN, Process, command_env
from tests.waiting import wait_until

TEXTS = 12


def sent() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(Message.status == "sent"))


def queue(first: int, count: int, *, due_in: timedelta = timedelta(0)) -> None:
    for n in range(first, first + count):
        message_queue(
            channel="sms",
            to_address=f"+1202555{n:04d}",
            kind="welcome",
            key=f"forever:{n}",
            body=f"Text number {n}",
            due_at=now() + due_in,
        )
    db.session.commit()


def test_a_forever_dispatcher_sends_what_falls_due_while_it_runs_and_stops_on_sigterm(app):
    queue(0, TEXTS // 2)
    with FakeTwilio(auth_token=TOKEN) as fake:
        env = command_env(app.config["SQLALCHEMY_DATABASE_URI"], fake.base_url, SMS_SENDS_PER_SECOND="1000")
        dispatcher = Process(["sms", "dispatch", "--forever", "--idle-seconds", "0.2"], env)
        try:
            assert dispatcher.wait_for("Dispatching until stopped."), dispatcher.lines
            assert wait_until(lambda: sent() == TEXTS // 2, seconds=30), dispatcher.lines
            queue(TEXTS // 2, TEXTS // 2)  # queued after the queue ran dry: the same process picks them up
            assert wait_until(lambda: sent() == TEXTS, seconds=30), dispatcher.lines
            assert dispatcher.proc.poll() is None, "a forever dispatcher stopped by itself"
        finally:
            code = dispatcher.stop()
        bodies = Counter(fake.bodies())
    assert code == 0, dispatcher.lines
    assert "Dispatcher stopped." in dispatcher.lines
    assert len(bodies) == TEXTS and set(bodies.values()) == {1}


def test_two_dispatchers_send_each_text_once_when_one_is_slow_to_reach_a_text_it_claimed(app):
    """A dispatcher claims a batch, then works through it one text at a time, pausing between sends to keep
    under SMS_SENDS_PER_SECOND (or slowed by a busy machine). Texts it has not reached yet outlast the lease:
    the other dispatcher calls them left by a crash, asks Twilio (nothing there yet) and sends them itself.
    The first must not send them again when it gets to them, even if it had already looked at one."""
    count = 4
    queue(0, count)
    with FakeTwilio(auth_token=TOKEN) as fake:
        # one send every 2 s per dispatcher, against a lease of 1 s and a look at Twilio 0.5 s after that
        env = command_env(app.config["SQLALCHEMY_DATABASE_URI"], fake.base_url, SMS_SENDS_PER_SECOND="0.5")
        dispatchers = [Process(["sms", "dispatch", "--forever", "--idle-seconds", "0.2"], env) for _ in range(2)]
        try:
            for dispatcher in dispatchers:
                assert dispatcher.wait_for("Dispatching until stopped."), dispatcher.lines
            assert wait_until(lambda: sent() == count, seconds=90), [d.lines for d in dispatchers]
            time.sleep(3)  # longer than a pause between sends: a dispatcher about to send one again has done so
        finally:
            codes = [dispatcher.stop() for dispatcher in dispatchers]
        bodies = Counter(fake.bodies())
    assert codes == [0, 0], [d.lines for d in dispatchers]
    twice = sorted(body for body, times in bodies.items() if times > 1)
    assert not twice, f"sent more than once: {twice}"
    assert len(bodies) == count


def test_a_forever_dispatcher_outlives_its_database_connections_being_cut(app):
    """PostgreSQL restarting (here: every connection to the database cut) fails a pass; the next one sends."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("about connections a PostgreSQL server cuts")
    queue(0, 2)
    with FakeTwilio(auth_token=TOKEN) as fake:
        env = command_env(url, fake.base_url, SMS_SENDS_PER_SECOND="1000")
        dispatcher = Process(["sms", "dispatch", "--forever", "--idle-seconds", "0.2"], env)
        try:
            assert dispatcher.wait_for("Dispatching until stopped."), dispatcher.lines
            assert wait_until(lambda: sent() == 2, seconds=30), dispatcher.lines
            db.session.remove()
            with db.engine.connect() as connection:
                cut = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar()
            db.engine.dispose()  # ours were cut too
            assert cut >= 1
            assert dispatcher.wait_for("Dispatching failed; trying again"), dispatcher.lines
            queue(2, 2)
            assert wait_until(lambda: sent() == 4, seconds=30), dispatcher.lines
            assert dispatcher.proc.poll() is None, "the dispatcher stopped when its connection was cut"
        finally:
            dispatcher.stop()
        bodies = Counter(fake.bodies())
    assert len(bodies) == 4 and set(bodies.values()) == {1}
