"""One voice to coordinators: a DROP and the ladder's alert in the same minutes are one text; the backup's wait.

A supporter drops a ride by text the day before it, and the outreach job runs in the same minute: the
coordinator's phone gets one text that says both (who dropped, and the one-tap page to ask everyone).
The backup coordinator is alerted only after the circle's wait counted from when the coordinators were
first told, and not at all once a coordinator has done something about the task.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.jobs import JOBS
from coordinator.models import Membership, Message, Task
from coordinator.models.messages import MessageStatus
from coordinator.services.care.claims import claim_assign, claim_make
from coordinator.services.health.settings import health_settings_update
from coordinator.services.texting.dispatch import dispatch_due
from tests.factories import add_member, first_task, make_circle, make_need, make_user
from tests.sms import SMS_SETTINGS, text_in

DANIEL, AISHA, KIM, ANA = "+12025550101", "+12025550102", "+12025550110", "+12025550111"
MORNING = datetime(2026, 6, 9, 13, tzinfo=UTC)  # Tuesday 9:00 in New York
WEDNESDAY = date(2026, 6, 10)


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS


@pytest.fixture
def circle(app):
    with time_machine.travel(MORNING - timedelta(days=3), tick=False):
        daniel = make_user(name="Daniel", phone=DANIEL)
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        add_member(circle, make_user(name="Aisha", phone=AISHA), role="coordinator")  # second in line: the backup
        kim = add_member(circle, make_user(name="Kim", phone=KIM))
        ana = add_member(circle, make_user(name="Ana", phone=ANA))
        health_settings_update(circle=circle, values={"backup_after_hours": 6})
        db.session.commit()
    return circle, daniel, kim, ana


def ride(circle, daniel, *, hour: int, on: date = WEDNESDAY, capacity: int = 1) -> Task:
    with time_machine.travel(MORNING - timedelta(days=3), tick=False):
        need = make_need(
            circle,
            daniel,
            title="Ride",
            start_date=on,
            start_time=time(hour),
            end_time=time(hour + 1),
            capacity=capacity,
        )
        return first_task(need)


def held_by(member, task: Task) -> None:
    with time_machine.travel(MORNING - timedelta(days=2), tick=False):
        claim_make(membership=member, task_id=task.id)
        db.session.commit()


def outreach_at(moment: datetime) -> None:
    """The scheduler's outreach job, as `scheduler tick` runs it (it commits)."""
    with time_machine.travel(moment, tick=False):
        next(job for job in JOBS if job.id == "outreach").run()


def deliver_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        dispatch_due()


def drop_at(client, moment: datetime, task: Task) -> str:
    with time_machine.travel(moment, tick=False):
        return text_in(client, KIM, f"DROP {task.id}")


def phone(number: str) -> list[str]:
    """What that phone received so far."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Message.body)
            .where(Message.to_address == number, Message.status == MessageStatus.SENT)
            .order_by(Message.sent_at, Message.id)
        )
    )


def queued(number: str, kind: str) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.to_address == number, Message.kind == kind)))


def test_a_drop_and_the_alert_in_the_same_minute_reach_the_coordinator_as_one_text(client, circle):
    circle, daniel, kim, _ = circle
    task = ride(circle, daniel, hour=8)  # Wednesday 8:00, 23 hours on: the ladder alerts once it is open
    held_by(kim, task)
    assert drop_at(client, MORNING, task).startswith("Got it: you're off a ride")
    outreach_at(MORNING + timedelta(seconds=30))
    deliver_at(MORNING + timedelta(minutes=1))
    assert phone(DANIEL) == []  # held a few minutes, in case there is more to say
    deliver_at(MORNING + timedelta(minutes=6))
    [text] = phone(DANIEL)
    assert text.startswith("Kim can't do a ride for Maria tomorrow at 8am")
    assert "nobody else has said yes" in text and f"/circles/{circle.id}/tasks/{task.id}/help" in text
    assert phone(AISHA) == [f"Kim can't do a ride for Maria tomorrow at 8am (task {task.id}). It needs someone again."]


def test_after_an_hour_without_a_scheduler_the_drop_and_the_alert_still_go_as_one(client, circle):
    circle, daniel, kim, _ = circle
    task = ride(circle, daniel, hour=8)
    held_by(kim, task)
    drop_at(client, MORNING, task)
    later = MORNING + timedelta(hours=1)  # the cron host's next run: outreach, then delivery, in one tick
    outreach_at(later)
    deliver_at(later)
    [text] = phone(DANIEL)
    assert text.startswith("Kim can't do a ride") and "Ask everyone" in text


def test_two_drops_and_the_alert_are_still_one_text_naming_both(client, circle):
    circle, daniel, kim, ana = circle
    task = ride(circle, daniel, hour=8, capacity=2)
    held_by(kim, task)
    held_by(ana, task)
    drop_at(client, MORNING, task)
    with time_machine.travel(MORNING + timedelta(seconds=10), tick=False):
        text_in(client, ANA, f"DROP {task.id}")
    outreach_at(MORNING + timedelta(seconds=30))
    deliver_at(MORNING + timedelta(minutes=6))
    [text] = phone(DANIEL)
    assert text.startswith("Kim can't do a ride") and "Ana can't do a ride" in text
    assert f"/circles/{circle.id}/tasks/{task.id}/help" in text


def test_a_drop_about_another_task_is_its_own_text(client, circle):
    circle, daniel, kim, _ = circle
    tomorrow = ride(circle, daniel, hour=8)
    next_week = ride(circle, daniel, hour=10, on=WEDNESDAY + timedelta(days=7))
    held_by(kim, tomorrow)
    held_by(kim, next_week)
    drop_at(client, MORNING, tomorrow)
    drop_at(client, MORNING + timedelta(seconds=20), next_week)
    outreach_at(MORNING + timedelta(seconds=30))
    deliver_at(MORNING + timedelta(minutes=6))
    texts = phone(DANIEL)
    assert len(texts) == 2
    about_tomorrow = next(t for t in texts if f"task {tomorrow.id}" in t)
    about_next_week = next(t for t in texts if f"task {next_week.id}" in t)
    assert "Ask everyone" in about_tomorrow
    assert (
        about_next_week
        == f"Kim can't do a ride for Maria Wed 17 Jun at 10am (task {next_week.id}). It needs someone again."
    )


def test_a_retried_outreach_pass_adds_no_text(client, circle):
    circle, daniel, kim, _ = circle
    task = ride(circle, daniel, hour=8)
    held_by(kim, task)
    drop_at(client, MORNING, task)
    outreach_at(MORNING + timedelta(seconds=30))
    outreach_at(MORNING + timedelta(seconds=40))  # the next pass
    db.session.get(Task, task.id).ask_stage = 0  # a pass that lost track of its rung, and alerts again
    db.session.commit()
    outreach_at(MORNING + timedelta(minutes=2))
    deliver_at(MORNING + timedelta(minutes=10))
    assert len(phone(DANIEL)) == 1
    db.session.get(Task, task.id).ask_stage = 0
    db.session.commit()
    outreach_at(MORNING + timedelta(minutes=20))  # and again once the text has gone
    deliver_at(MORNING + timedelta(minutes=30))
    assert len(phone(DANIEL)) == 1


def test_the_backup_waits_from_when_the_coordinators_were_first_told(client, circle):
    circle, daniel, kim, _ = circle
    task = ride(circle, daniel, hour=15)  # Wednesday 15:00 in New York: 30 hours after the DROP
    held_by(kim, task)
    drop_at(client, MORNING, task)  # coordinators told at once; too early for the ladder's alert
    outreach_at(MORNING + timedelta(seconds=30))
    deliver_at(MORNING + timedelta(minutes=6))
    assert queued(DANIEL, "alert") == []
    outreach_at(MORNING + timedelta(hours=6))  # a day before: the alert, a text of its own hours later
    assert len(queued(DANIEL, "alert")) == 1
    outreach_at(MORNING + timedelta(hours=6, minutes=1))
    assert queued(AISHA, "alert_backup") == []  # six hours since the DROP notice, but not since it went out
    outreach_at(MORNING + timedelta(hours=6, minutes=10))  # six hours since Daniel and Aisha were first told
    [backup] = queued(AISHA, "alert_backup")
    assert "no coordinator has looked yet" in backup.body


def test_no_backup_when_a_coordinator_assigned_someone_meanwhile(client, circle):
    circle, daniel, kim, ana = circle
    task = ride(circle, daniel, hour=8, capacity=2)  # two people needed
    held_by(kim, task)
    drop_at(client, MORNING, task)
    outreach_at(MORNING + timedelta(seconds=30))
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        manager = db.session.scalar(select(Membership).where(Membership.user_id == daniel.id))
        claim_assign(manager=manager, task_id=task.id, user_id=ana.user_id)  # one of two: still open
        db.session.commit()
    outreach_at(MORNING + timedelta(hours=7))
    outreach_at(MORNING + timedelta(hours=12))
    assert queued(AISHA, "alert_backup") == []
    assert db.session.get(Task, task.id).claimed == 1  # still open: only the coordinator's action kept Aisha out


def test_the_backup_is_alerted_when_nobody_acted(client, circle):
    circle, daniel, kim, _ = circle
    task = ride(circle, daniel, hour=8, capacity=2)
    held_by(kim, task)
    drop_at(client, MORNING, task)
    outreach_at(MORNING + timedelta(seconds=30))
    outreach_at(MORNING + timedelta(hours=6))
    assert queued(AISHA, "alert_backup") == []  # the notice went at 9:05: not six hours yet
    outreach_at(MORNING + timedelta(hours=6, minutes=6))
    assert len(queued(AISHA, "alert_backup")) == 1
