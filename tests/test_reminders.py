"""Check-ins and reminders: at the right local times, once, cancelled or re-planned with the task."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.care.claims import claim_make, claim_release
from coordinator.services.care.task_changes import task_cancel, task_reschedule
from coordinator.services.texting.digests import digests_send
from coordinator.services.texting.reminders import reminders_plan
from tests.factories import add_member, first_task, make_circle, make_need, make_user

NY = "America/New_York"


def setup(start_day: date, start: time, *, zone=NY, claimed_at: datetime, **need):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator, timezone=zone)
    sam = make_user(name="Sam Carter", phone="+12025550110")
    member = add_member(circle, sam)
    with time_machine.travel(claimed_at, tick=False):
        task = first_task(
            make_need(
                circle, coordinator, start_date=start_day, start_time=start, end_time=time(start.hour + 1), **need
            )
        )
        claim_make(membership=member, task_id=task.id)
        db.session.commit()
    return circle, coordinator, sam, member, task


def planned() -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Message).where(Message.kind.in_(("checkin", "reminder"))).order_by(Message.due_at))
    )


def test_evening_before_check_in_and_two_hours_before_reminder(app):
    *_, task = setup(date(2026, 6, 10), time(9), claimed_at=datetime(2026, 6, 1, 15, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        assert reminders_plan() == 2
        db.session.commit()
        assert reminders_plan() == 0  # written once
    checkin, reminder = planned()
    assert checkin.due_at == datetime(2026, 6, 9, 22, tzinfo=UTC)  # 18:00 EDT the day before
    assert checkin.body == f"Still good for a ride for Maria tomorrow at 9am? Reply OK {task.id} or DROP {task.id}."
    assert reminder.due_at == datetime(2026, 6, 10, 12, tzinfo=UTC)  # 7:00 is quiet: moved to 8:00 EDT
    assert reminder.body.startswith("Reminder: a ride for Maria today at 9am")
    assert {m.send_by for m in (checkin, reminder)} == {task.starts_at}


def test_an_early_task_skips_the_reminder_that_would_land_in_quiet_hours(app):
    setup(date(2026, 6, 10), time(7), claimed_at=datetime(2026, 6, 1, 15, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        reminders_plan()
    assert [m.kind for m in planned()] == ["checkin"]  # 5:00 is quiet and 8:00 is too late; the check-in covers it


def test_reminder_times_follow_wall_time_across_the_fall_back_change(app):
    *_, task = setup(date(2026, 11, 2), time(9), claimed_at=datetime(2026, 10, 25, 15, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 11, 1, 3, tzinfo=UTC), tick=False):
        reminders_plan()
    checkin, reminder = planned()
    assert checkin.due_at == datetime(2026, 11, 1, 23, tzinfo=UTC)  # 18:00 EST on Sunday (after the change)
    assert reminder.due_at == datetime(2026, 11, 2, 13, tzinfo=UTC)  # 8:00 EST, after quiet hours


def test_a_just_claimed_task_gets_no_still_good_check_in(app):
    setup(date(2026, 6, 10), time(12), claimed_at=datetime(2026, 6, 9, 20, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 9, 20, 5, tzinfo=UTC), tick=False):
        reminders_plan()
    assert [m.kind for m in planned()] == ["reminder"]


def test_release_and_cancel_cancel_what_is_waiting(app):
    circle, coordinator, sam, member, task = setup(
        date(2026, 6, 10), time(9), claimed_at=datetime(2026, 6, 1, 15, tzinfo=UTC)
    )
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        reminders_plan()
        claim_release(membership=member, task_id=task.id)
        db.session.commit()
    assert {m.status for m in planned()} == {"cancelled"}


def test_a_moved_task_gets_fresh_reminders(app):
    circle, coordinator, sam, member, task = setup(
        date(2026, 6, 10), time(9), claimed_at=datetime(2026, 6, 1, 15, tzinfo=UTC)
    )
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        reminders_plan()
        task_reschedule(task, day=task.local_date, start=time(14), end=time(15), actor=coordinator)
        db.session.commit()
        reminders_plan()
        db.session.commit()
    messages = planned()
    live = [m for m in messages if m.status == "pending"]
    assert {m.status for m in messages if m not in live} == {"cancelled"}
    assert sorted(m.due_at for m in live) == [
        datetime(2026, 6, 9, 22, tzinfo=UTC),
        datetime(2026, 6, 10, 16, tzinfo=UTC),
    ]
    assert "2pm" in live[0].body


def test_a_cancelled_task_cancels_its_check_in(app):
    circle, coordinator, sam, member, task = setup(
        date(2026, 6, 10), time(9), claimed_at=datetime(2026, 6, 1, 15, tzinfo=UTC)
    )
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        reminders_plan()
        task_cancel(task=task, actor=coordinator)
        db.session.commit()
    assert {m.status for m in planned() if m.kind in ("checkin", "reminder")} == {"cancelled"}


def test_weekly_digest_suits_the_person_and_respects_their_ask_limit(app):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator, timezone=NY)
    sam = make_user(name="Sam", phone="+12025550110")
    member = add_member(circle, sam)
    member.help_categories, member.asks_per_week = ["meal"], 1
    quiet = make_user(name="No asks", phone="+12025550111")
    add_member(circle, quiet).asks_per_week = 0
    db.session.commit()
    with time_machine.travel(datetime(2026, 6, 3, 12, tzinfo=UTC), tick=False):
        make_need(circle, coordinator, title="Ride", start_date=date(2026, 6, 9), start_time=time(9), end_time=time(10))
        make_need(
            circle,
            coordinator,
            category="meal",
            title="Soup",
            start_date=date(2026, 6, 10),
            start_time=time(17),
            end_time=time(18),
        )
    sunday_5pm = datetime(2026, 6, 7, 21, tzinfo=UTC)
    with time_machine.travel(sunday_5pm, tick=False):
        assert digests_send() == 1
        db.session.commit()
        assert digests_send() == 0  # once a week, and Sam's limit is one ask
    digest = db.session.scalar(select(Message).where(Message.kind == "digest"))
    assert digest.to_address == "+12025550110"
    assert "Wed 5pm meal (TAKE" in digest.body and "ride" not in digest.body
    with time_machine.travel(datetime(2026, 6, 8, 21, tzinfo=UTC), tick=False):  # Monday: not digest day
        assert digests_send() == 0


def test_the_supporters_own_choice_of_reminders_is_used(app):
    circle, coordinator, sam, member, task = setup(
        date(2026, 6, 10), time(12), claimed_at=datetime(2026, 6, 1, 15, tzinfo=UTC)
    )
    sam.reminder_leads = ["30m"]
    db.session.commit()
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        reminders_plan()
    assert [(m.kind, m.due_at) for m in planned()] == [("reminder", datetime(2026, 6, 10, 15, 30, tzinfo=UTC))]
