"""Proof for issue 14: a circle walked through seven weeks on a moved clock, every text checked as it went.

The real scheduler tick (every job in coordinator/jobs, delivery last) runs on a cron host that
usually runs hourly but sometimes not for hours; supporters answer asks, digests and check-ins by
signed texts (TAKE, OK, DROP), some taking a task and dropping it the evening before. The walk
starts in October in New York and crosses the end of daylight saving (1 November). Then, for every
text that went out:

- nobody had more asking texts in any seven days than the number they chose;
- no two asking texts to one person came within ASK_MIN_GAP_HOURS;
- no coordinator got two texts about one task within the notice hold (one voice);
- no re-engagement came within REENGAGE_QUIET_DAYS after another ask;
- every "today" / "tomorrow" was true in New York when the text went, nothing about a task (an ask,
  a check-in, a reminder) went after it began, and an any-time task was not asked or checked on
  after noon of its last day.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from coordinator.clock import local
from coordinator.extensions import db
from coordinator.jobs.runner import tick
from coordinator.models import Membership, Message, Task
from coordinator.models.messages import MessageStatus
from coordinator.services.care.recurrence import Repeat
from coordinator.services.texting.coordinator_notices import HOLD
from coordinator.services.texting.send_time import last_call
from tests.factories import add_member, make_circle, make_need, make_user
from tests.sms import SMS_SETTINGS, text_in

ZONE = "America/New_York"
START = datetime(2026, 10, 5, 12, tzinfo=UTC)  # Monday 8:00 in New York; the clocks go back on Sunday 1 Nov
END = START + timedelta(weeks=7)
ASKING = {"ask", "digest", "reengage", "reopen_ask"}  # texts that ask something of a supporter (README)
TASK_BOUND = {"ask", "checkin", "reminder"}  # worthless once their task has begun
SUPPORTERS = [  # name, phone, asks a week
    ("Ana", "+12025550110", 3),
    ("Ben", "+12025550111", 2),
    ("Cat", "+12025550112", 1),
    ("Dev", "+12025550113", 3),
    ("Eli", "+12025550114", 3),
    ("Fay", "+12025550115", 2),
    ("Gus", "+12025550116", 3),
    ("Hal", "+12025550117", 1),
]
COORDINATORS = [("Daniel", "+12025550101"), ("Aisha", "+12025550102")]


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS | {"SMS_SENDS_PER_SECOND": 0}


def circle_made() -> None:
    with time_machine.travel(START - timedelta(days=1), tick=False):
        daniel = make_user(name="Daniel", phone=COORDINATORS[0][1])
        circle = make_circle(coordinator=daniel, timezone=ZONE)
        add_member(circle, make_user(name="Aisha", phone=COORDINATORS[1][1]), role="coordinator")
        for name, phone, asks in SUPPORTERS:
            add_member(circle, make_user(name=name, phone=phone)).asks_per_week = asks
        db.session.commit()
        first = date(2026, 10, 6)
        weekly = {"repeat": Repeat("weekly", (), "count", count=7)}
        make_need(
            circle, daniel, title="Ride to chemo", start_date=first, start_time=time(9), end_time=time(11), **weekly
        )
        make_need(
            circle,
            daniel,
            category="meal",
            title="Dinner",
            start_date=first + timedelta(days=2),
            start_time=time(18),
            end_time=time(19),
            capacity=2,
            **weekly,
        )
        for week in range(0, 7, 2):  # a fortnightly any-time errand, "any time by Sunday"
            make_need(
                circle,
                daniel,
                category="errands",
                title="Pharmacy",
                start_date=first + timedelta(days=5 + 7 * week),
                anytime=True,
                start_time=None,
                end_time=None,
            )


def answer(client, rng: random.Random, to: str, body: str) -> None:
    """How a supporter answers by text: often TAKE, usually OK to a check-in, sometimes DROP."""
    if to not in {phone for _, phone, _ in SUPPORTERS}:
        return
    if found := re.search(r"Reply OK (\d+) or DROP", body):
        text_in(client, to, f"{'OK' if rng.random() < 0.7 else 'DROP'} {found.group(1)}")
    elif (found := re.search(r"TAKE (\d+)", body)) and rng.random() < 0.45:
        text_in(client, to, f"TAKE {found.group(1)}")


def walk(app, client) -> None:
    rng = random.Random(14)
    moment, seen = START, 0
    while moment < END:
        with time_machine.travel(moment, tick=False):
            tick(app)
        db.session.expire_all()
        went = db.session.scalars(
            select(Message).where(Message.id > seen, Message.status == MessageStatus.SENT).order_by(Message.id)
        ).all()
        with time_machine.travel(moment + timedelta(minutes=3), tick=False):
            for message in went:
                answer(client, rng, message.to_address, message.body)
        seen = max([seen] + [m.id for m in went])
        gap = rng.random() < 0.12  # the cron host sometimes doesn't run for hours
        moment += timedelta(hours=rng.randint(3, 12) if gap else 1)


def sent() -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)), Message.channel == "sms")
            .order_by(Message.sent_at, Message.id)
        )
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_seven_weeks_every_text_right_on_time_and_once(app, client):
    circle_made()
    walk(app, client)
    texts = sent()
    assert len(texts) > 100  # the walk really texted people
    by_person: dict[int, list[Message]] = defaultdict(list)
    for message in texts:
        by_person[message.user_id].append(message)
    limits = {m.user_id: m.asks_per_week for m in db.session.scalars(select(Membership))}
    gap = timedelta(hours=app.config["ASK_MIN_GAP_HOURS"])
    quiet = timedelta(days=app.config["REENGAGE_QUIET_DAYS"])
    problems = []
    for user_id, theirs in by_person.items():
        asks = [m.sent_at for m in theirs if m.kind in ASKING]
        for i, at in enumerate(asks):
            week = [a for a in asks[: i + 1] if a > at - timedelta(days=7)]
            if len(week) > limits[user_id]:
                problems.append(f"user {user_id}: {len(week)} asks in the 7 days to {at} (chose {limits[user_id]})")
            if i and at - asks[i - 1] < gap:
                problems.append(f"user {user_id}: asks at {asks[i - 1]} and {at}")
        asked = [m.sent_at for m in theirs if m.kind in ASKING - {"reengage"}]
        for m in theirs:
            if m.kind == "reengage" and any(m.sent_at - quiet < a < m.sent_at for a in asked):
                problems.append(f"user {user_id}: a re-engagement at {m.sent_at} days after an ask")
        about: dict[int, list[datetime]] = defaultdict(list)
        for m in theirs:
            if m.kind in ("claim_released", "alert", "alert_backup") and m.task_id:
                about[m.task_id].append(m.sent_at)
        for task_id, moments in about.items():
            for a, b in zip(moments, moments[1:], strict=False):
                if b - a < HOLD:
                    problems.append(f"coordinator {user_id}: two texts about task {task_id} at {a} and {b}")
    for message in texts:
        problems += words_problems(message)
    assert problems == []
    kinds = {m.kind for m in texts}
    assert {"ask", "digest", "checkin", "reminder", "claim_released"} <= kinds, kinds


def words_problems(message: Message) -> list[str]:
    if not message.task_id:
        return []
    task = db.session.get(Task, message.task_id)
    day = local(message.sent_at, ZONE).date()
    start = local(task.starts_at, ZONE).date()
    wrong = []
    if "tomorrow at" in message.body and start != day + timedelta(days=1):
        wrong.append("tomorrow")
    if "today at" in message.body and start != day:
        wrong.append("today")
    if message.kind in TASK_BOUND and message.sent_at >= task.starts_at:
        wrong.append("after the task began")
    if task.anytime and message.kind in ("ask", "checkin") and message.sent_at >= last_call(task):
        wrong.append("too late in an any-time task's window")
    return [f"{message.kind} #{message.id} sent {message.sent_at}: {w}: {message.body!r}" for w in wrong]
