"""Words true when read: "today", "tomorrow" and "by Sunday" are written when a text is sent, stale texts dropped.

A scheduler host can miss hours; a text planned on Thursday and sent on Friday must not say "tomorrow"
about a task that is now that day, and one whose moment has passed must never reach a phone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.care.claims import claim_make
from coordinator.services.care.tasks import sms_context
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import notify
from coordinator.services.texting.reminders import reminders_plan
from coordinator.services.texting.send_time import when_words
from coordinator.sms.console import ConsoleGateway
from coordinator.sms.segments import segments
from tests.factories import add_member, first_task, make_circle, make_need, make_user

NY = "America/New_York"
SAM = "+12025550110"
LEE = "+12025550111"


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def setup(claimed_at: datetime, **need):
    """Maria's circle in New York; Sam holds the first task of `need` (claimed at `claimed_at`)."""
    with at(claimed_at):
        coordinator = make_user(name="Daniel Lopez")
        circle = make_circle(coordinator=coordinator, timezone=NY)
        sam = add_member(circle, make_user(name="Sam Carter", phone=SAM, email=None))
        task = first_task(make_need(circle, coordinator, **need))
        claim_make(membership=sam, task_id=task.id)
        db.session.commit()
    return circle, coordinator, sam, task


def plan(moment: datetime) -> None:
    with at(moment):
        reminders_plan()
        db.session.commit()


def dispatch(moment: datetime) -> list[str]:
    """One dispatcher pass at `moment`; the texts phones got in it."""
    gateway = ConsoleGateway(stream=open("/dev/null", "w"))
    try:
        with at(moment):
            dispatch_due(gateway=gateway, pacer=Pacer(0))
    finally:
        gateway.stream.close()
    return [m.body for m in gateway.sent]


def rows(kind: str | None = None) -> list[Message]:
    db.session.expire_all()
    query = select(Message).order_by(Message.due_at, Message.id)
    return list(db.session.scalars(query.where(Message.kind == kind) if kind else query))


FRIDAY_5PM = {"start_date": date(2026, 12, 4), "start_time": time(17), "end_time": time(18)}
THURSDAY_NOON = datetime(2026, 12, 3, 17, tzinfo=UTC)  # 12:00 EST
FRIDAY_NOON = datetime(2026, 12, 4, 17, tzinfo=UTC)


def test_a_check_in_planned_for_thursday_and_sent_friday_says_today(app):
    *_, task = setup(datetime(2026, 11, 30, 15, tzinfo=UTC), **FRIDAY_5PM)
    plan(THURSDAY_NOON)
    (checkin,) = rows("checkin")
    assert checkin.due_at == datetime(2026, 12, 3, 23, tzinfo=UTC)  # Thursday 18:00 EST
    assert "tomorrow at 5pm" in checkin.body  # true when it was planned
    # The scheduler's host was down from Thursday noon until Friday noon.
    sent = dispatch(FRIDAY_NOON)
    assert sent == [f"Still good for a ride for Maria today at 5pm? Reply OK {task.id} or DROP {task.id}."]
    assert rows("checkin")[0].body == sent[0]  # the row says what the phone got (reconciling compares them)


def test_past_the_start_a_waiting_check_in_and_reminder_are_dropped_and_say_why(app):
    setup(datetime(2026, 11, 30, 15, tzinfo=UTC), **FRIDAY_5PM)
    plan(THURSDAY_NOON)
    plan(datetime(2026, 12, 4, 13, tzinfo=UTC))  # Friday 8:00: the 2-hour reminder is written too
    assert {m.kind for m in rows()} == {"checkin", "reminder"}
    assert dispatch(datetime(2026, 12, 4, 22, 30, tzinfo=UTC)) == []  # 17:30, the ride has begun
    assert [(m.status, m.last_error) for m in rows()] == [("cancelled", "stale: the task has started")] * 2


ERRAND_BY_SUNDAY = {"category": "errands", "anytime": True, "start_date": date(2026, 12, 6)}


def hourly(start: datetime, end: datetime, *, skip: range = range(0)) -> list[tuple[datetime, str]]:
    """A scheduler each hour from `start` to `end` (not in the hours of `skip`, counted from `start`): what was sent."""
    sent = []
    for hour in range(int((end - start) / timedelta(hours=1)) + 1):
        if hour in skip:
            continue
        moment = start + timedelta(hours=hour)
        plan(moment)
        sent += [(moment, body) for body in dispatch(moment)]
    return sent


def test_an_any_time_errand_is_checked_on_saturday_morning_by_sunday_and_never_on_sunday_evening(app):
    *_, task = setup(datetime(2026, 11, 30, 15, tzinfo=UTC), **ERRAND_BY_SUNDAY)
    sent = hourly(datetime(2026, 12, 4, 5, tzinfo=UTC), datetime(2026, 12, 7, 5, tzinfo=UTC))  # Fri 0:00 - Mon 0:00
    assert sent == [
        (
            datetime(2026, 12, 5, 15, tzinfo=UTC),  # Saturday 10:00 EST: a day left to find someone else
            f"Still good for an errand for Maria any time by Sunday? Reply OK {task.id} or DROP {task.id}.",
        )
    ]
    assert not rows("reminder")  # no reminder two hours before an invented start time


def test_an_any_time_check_in_held_up_past_sunday_noon_is_dropped(app):
    setup(datetime(2026, 11, 30, 15, tzinfo=UTC), **ERRAND_BY_SUNDAY)
    # The scheduler ran Saturday at 1:00 (planning the check-in), then not again until Sunday 18:45.
    plan(datetime(2026, 12, 5, 6, tzinfo=UTC))
    assert dispatch(datetime(2026, 12, 6, 23, 45, tzinfo=UTC)) == []
    (checkin,) = rows("checkin")
    assert checkin.status == "cancelled" and checkin.last_error.startswith("stale")


def test_an_ask_for_an_any_time_errand_says_by_sunday_and_is_not_sent_on_its_last_evening(app):
    with at(datetime(2026, 11, 30, 15, tzinfo=UTC)):
        coordinator = make_user(name="Daniel Lopez")
        circle = make_circle(coordinator=coordinator, timezone=NY)
        lee = make_user(name="Lee Park", phone=LEE, email=None)
        add_member(circle, lee)
        task = first_task(make_need(circle, coordinator, **ERRAND_BY_SUNDAY))
    # Asked early in the week, and again by a ladder pass on Sunday at 11:00 that the dispatcher reaches at 18:45.
    for key, queued_at in (
        ("early", datetime(2026, 12, 2, 15, tzinfo=UTC)),
        ("late", datetime(2026, 12, 6, 16, tzinfo=UTC)),
    ):
        with at(queued_at):
            notify(
                user=lee,
                kind="ask",
                key=f"ask:{task.id}:{key}",
                context=sms_context(task),
                circle_id=circle.id,
                task_id=task.id,
                send_by=task.starts_at - timedelta(hours=1),  # as the ladder writes an ask
            )
            db.session.commit()
    wednesday = dispatch(datetime(2026, 12, 2, 15, tzinfo=UTC))  # Wednesday 10:00 EST
    assert wednesday == [
        f"Could you do an errand for Maria any time by Sunday? Reply TAKE {task.id} if you can. No need to reply if not."
    ]
    assert dispatch(datetime(2026, 12, 6, 23, 45, tzinfo=UTC)) == []  # Sunday 18:45: too late in the window
    late = next(m for m in rows("ask") if m.idempotency_key.endswith("late"))
    assert late.status == "cancelled" and late.last_error == "stale: too late in the window to ask"


FALL_BACK_MONDAY_9AM = {"start_date": date(2026, 11, 2), "start_time": time(9), "end_time": time(10)}  # EST


def test_across_the_fall_back_change_the_words_follow_new_york_not_utc(app):
    # Clocks went back at 2:00 on Sunday 1 Nov 2026; the ride is Monday 9:00 EST (14:00 UTC).
    *_, task = setup(datetime(2026, 10, 25, 15, tzinfo=UTC), **FALL_BACK_MONDAY_9AM)
    plan(datetime(2026, 10, 31, 15, tzinfo=UTC))  # Saturday, still EDT
    checkin = rows("checkin")[0]
    assert checkin.due_at == datetime(2026, 11, 1, 23, tzinfo=UTC)  # Sunday 18:00 EST
    # Sunday 20:30 EST is already Monday in UTC: to Sam it is still "tomorrow", and 9am is 9am EST.
    assert dispatch(datetime(2026, 11, 2, 1, 30, tzinfo=UTC)) == [
        f"Still good for a ride for Maria tomorrow at 9am? Reply OK {task.id} or DROP {task.id}."
    ]


def test_after_a_night_without_a_dispatcher_one_text_says_today_across_the_change(app):
    circle, coordinator, sam, task = setup(datetime(2026, 10, 25, 15, tzinfo=UTC), **FALL_BACK_MONDAY_9AM)
    with at(datetime(2026, 11, 1, 3, 30, tzinfo=UTC)):  # Saturday 23:30 EDT: quiet hours, so it waits
        notify(
            user=sam.user,
            kind="claim_assigned",
            key="assigned",
            context=sms_context(task) | {"by": "Daniel"},
            circle_id=circle.id,
            task_id=task.id,
        )
        db.session.commit()
    assert "Mon 2 Nov at 9am" in rows("claim_assigned")[0].body
    plan(datetime(2026, 10, 31, 15, tzinfo=UTC))
    assert dispatch(datetime(2026, 11, 1, 3, 30, tzinfo=UTC)) == []  # quiet hours
    # The host sleeps until Sunday 8:00 EST (13:00 UTC, an hour later in UTC than the day before).
    assert dispatch(datetime(2026, 11, 1, 13, tzinfo=UTC)) == [
        f"Daniel signed you up for a ride for Maria tomorrow at 9am (task {task.id}). Can't? Reply DROP {task.id}."
    ]
    # Then nothing until Monday 8:00 EST: the evening check-in and the reminder are both due; one text goes.
    assert dispatch(datetime(2026, 11, 2, 13, tzinfo=UTC)) == [
        f"Reminder: a ride for Maria today at 9am (task {task.id}). Can't make it? Reply DROP {task.id}."
    ]
    assert rows("checkin")[0].last_error == "stale: the reminder going now says it"


def test_the_words_written_at_sending_still_fit_one_text(app):
    *_, task = setup(datetime(2026, 11, 30, 15, tzinfo=UTC), **ERRAND_BY_SUNDAY)
    with at(datetime(2026, 11, 30, 15, tzinfo=UTC)):
        words = when_words(task, datetime(2026, 12, 2, 15, tzinfo=UTC), NY)
        body = f"Could you do some paperwork for Maximiliana {words}? Reply TAKE 1234567 if you can. No need to reply if not."
    assert words == "any time by Sunday"
    assert segments(body).count == 1


def test_a_digest_held_up_more_than_a_day_is_dropped(app):
    with at(datetime(2026, 12, 6, 22, tzinfo=UTC)):  # Sunday 17:00 EST
        circle = make_circle(coordinator=make_user(name="Daniel Lopez"), timezone=NY)
        lee = make_user(name="Lee Park", phone=LEE, email=None)
        add_member(circle, lee)
        notify(user=lee, kind="digest", key="digest", context={"first_name": "Maria", "lines": ["Tue a ride (TAKE 1)"]})
        db.session.commit()
    assert dispatch(datetime(2026, 12, 7, 23, tzinfo=UTC)) == []  # Monday evening: "this week" is no longer news
    assert rows("digest")[0].last_error == "stale: a digest more than a day old"
