"""Conversations written as scripts of texts in and out, run through the real jobs and webhooks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from coordinator.extensions import db
from coordinator.jobs.runner import tick
from coordinator.sms import sms_gateway
from tests.factories import add_member, make_circle, make_need, make_user
from tests.sms import SMS_SETTINGS, text_in

SAM, DANIEL = "+12025550110", "+12025550101"


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS | {"SMS_SENDS_PER_SECOND": 0}


class Phone:
    """Everything texted out so far, per number, read off the console gateway."""

    def __init__(self, app):
        self.app = app
        self.seen = 0

    def new_texts(self) -> list[tuple[str, str]]:
        with self.app.app_context():
            sent = sms_gateway().sent
        fresh, self.seen = sent[self.seen :], len(sent)
        return [(m.to, m.body) for m in fresh]


def play(app, client, script):
    """Run ("at", when) / ("tick",) / ("out", number, pattern) / ("in", number, text, reply_pattern) steps."""
    phone, clock, values = Phone(app), None, {}
    try:
        for step in script:
            kind = step[0]
            if kind == "at":
                if clock:
                    clock.stop()
                clock = time_machine.travel(step[1], tick=False)
                clock.start()
            elif kind == "tick":
                tick(app)
            elif kind == "out":
                texts = [body for to, body in phone.new_texts() if to == step[1]]
                pattern = step[2].format(**values)
                assert any(re.search(pattern, t) for t in texts), f"expected {pattern!r} to {step[1]}, got {texts}"
                for t in texts:
                    if found := re.search(r"TAKE (\d+)", t):
                        values.setdefault("code", found.group(1))
            elif kind == "silence":
                assert [t for to, t in phone.new_texts() if to == step[1]] == []
            elif kind == "in":
                reply = text_in(client, step[1], step[2].format(**values))
                assert re.search(step[3].format(**values), reply), f"reply {reply!r} !~ {step[3]!r}"
    finally:
        if clock:
            clock.stop()


def test_digest_take_checkin_drop_and_the_coordinator_is_told(app, client):
    coordinator = make_user(name="Daniel Lopez", phone=DANIEL)
    circle = make_circle(coordinator=coordinator, timezone="America/New_York")
    sam = make_user(name="Sam Carter", phone=SAM)
    add_member(circle, sam)
    with time_machine.travel(datetime(2026, 6, 3, 12, tzinfo=UTC), tick=False):
        make_need(
            circle,
            coordinator,
            title="Ride to chemo",
            start_date=date(2026, 6, 9),
            start_time=time(9),
            end_time=time(11),
        )
    db.session.commit()
    play(
        app,
        client,
        [
            ("at", datetime(2026, 6, 7, 21, 0, tzinfo=UTC)),  # Sunday 17:00 in New York
            ("tick",),
            ("out", SAM, r"This week for Maria: Tue 9am ride \(TAKE \d+\)"),
            ("in", SAM, "take {code}", r"^Thank you! You've got a ride for Maria Tue 9 Jun at 9am \(task {code}\)"),
            ("at", datetime(2026, 6, 8, 22, 0, tzinfo=UTC)),  # Monday 18:00: the evening before
            ("tick",),
            ("out", SAM, r"^Still good for a ride for Maria tomorrow at 9am\? Reply OK {code} or DROP {code}\.$"),
            ("in", SAM, "Drop {code}", r"^Got it: you're off a ride"),
            ("tick",),
            ("silence", DANIEL),  # held a few minutes, in case the same task has more to say (the ladder's alert)
            ("at", datetime(2026, 6, 8, 22, 6, tzinfo=UTC)),
            ("tick",),
            (
                "out",
                DANIEL,
                r"^Sam can't do a ride for Maria tomorrow at 9am \(task {code}\) and nobody else has said yes\. "
                r"Ask everyone or mark it covered: \S+/tasks/{code}/help$",
            ),
            ("silence", DANIEL),  # one text, not two
            ("at", datetime(2026, 6, 9, 12, 0, tzinfo=UTC)),  # 8:00 on the day: no reminder for a dropped task
            ("tick",),
            ("silence", SAM),
        ],
    )


def test_ok_then_a_reminder_on_the_day(app, client):
    coordinator = make_user(name="Daniel Lopez", phone=DANIEL)
    circle = make_circle(coordinator=coordinator, timezone="America/New_York")
    add_member(circle, make_user(name="Sam Carter", phone=SAM))
    with time_machine.travel(datetime(2026, 6, 3, 12, tzinfo=UTC), tick=False):
        need = make_need(
            circle,
            coordinator,
            category="meal",
            title="Soup",
            start_date=date(2026, 6, 9),
            start_time=time(17),
            end_time=time(18),
        )
    code = need.tasks[0].id
    play(
        app,
        client,
        [
            ("at", datetime(2026, 6, 5, 16, 0, tzinfo=UTC)),
            ("in", SAM, f"TAKE {code}", r"You've got a meal"),
            ("at", datetime(2026, 6, 8, 22, 0, tzinfo=UTC)),
            ("tick",),
            ("out", SAM, rf"Still good for a meal for Maria tomorrow at 5pm\? Reply OK {code}"),
            ("in", SAM, f"OK {code}", r"^Great, thank you! See you then\.$"),
            ("at", datetime(2026, 6, 9, 19, 0, tzinfo=UTC)),  # 15:00 local: two hours before
            ("tick",),
            ("out", SAM, rf"^Reminder: a meal for Maria today at 5pm \(task {code}\)"),
            ("tick",),
            ("silence", SAM),
        ],
    )


def test_stop_silences_everything_after_it(app, client):
    coordinator = make_user(name="Daniel Lopez", phone=DANIEL)
    circle = make_circle(coordinator=coordinator, timezone="America/New_York")
    add_member(circle, make_user(name="Sam Carter", phone=SAM))
    with time_machine.travel(datetime(2026, 6, 3, 12, tzinfo=UTC), tick=False):
        need = make_need(circle, coordinator, start_date=date(2026, 6, 9), start_time=time(13), end_time=time(14))
    code = need.tasks[0].id
    play(
        app,
        client,
        [
            ("at", datetime(2026, 6, 5, 16, 0, tzinfo=UTC)),
            ("in", SAM, f"TAKE {code}", r"You've got a ride"),
            ("in", SAM, "STOP", r"^$"),
            ("at", datetime(2026, 6, 8, 22, 0, tzinfo=UTC)),
            ("tick",),
            ("at", datetime(2026, 6, 9, 15, 30, tzinfo=UTC)),
            ("tick",),
            ("silence", SAM),
        ],
    )
