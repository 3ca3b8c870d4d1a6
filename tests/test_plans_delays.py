"""Delays are one edit: a moved or cancelled cycle moves or cancels its help, and each holder hears once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from coordinator.clock import local
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models import Claim, Message, Need, Task
from coordinator.models.messages import MessageStatus
from coordinator.models.plans import PlanDayStatus
from coordinator.services.care.claims import claim_make
from coordinator.services.care.plan_changes import plan_change_preview, plan_day_cancel, plan_day_move
from coordinator.services.care.plan_posting import plan_post
from coordinator.services.care.plans import TreatmentInput, plan_create
from coordinator.services.texting.reminders import reminders_plan
from tests.factories import add_member, make_circle, make_user

START = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)  # Mon 5 Oct 2026, 10am in New York
FIRST = date(2026, 10, 12)


@pytest.fixture
@time_machine.travel(START, tick=False)
def posted(app):
    coordinator, patient = make_user(name="Daniel Lopez"), make_user(name="Maria Lopez")
    circle = make_circle(patient=patient, coordinator=coordinator)
    sam = make_user(name="Sam Carter", phone="+12025550110")
    kim = make_user(name="Kim Park", phone="+12025550111")
    members = {"sam": add_member(circle, sam), "kim": add_member(circle, kim)}
    treatment = TreatmentInput(
        kind="repeating",
        label="Chemo infusion",
        first_date=FIRST,
        start_time=time(9, 0),
        end_time=time(13, 0),
        place="Mercy Cancer Center",
        every_days=21,
        times=6,
    )
    plan = plan_create(circle=circle, author=patient, name="Round two", audience="managers", treatment=treatment)
    plan_post(plan=plan, circle=circle, author=patient)
    db.session.commit()
    return {"circle": circle, "plan": plan, "patient": patient, "coordinator": coordinator, **members}


def cycle(posted, number: int):
    return posted["plan"].treatments[0].days[number - 1]


def tasks_of(posted, number: int, category: str | None = None) -> list[Task]:
    query = select(Task).join(Need).where(Need.plan_day_id == cycle(posted, number).id).order_by(Task.starts_at)
    if category:
        query = query.where(Need.category == category)
    return list(db.session.scalars(query))


def take(member, task: Task) -> None:
    assert claim_make(membership=member, task_id=task.id).claim is not None
    db.session.commit()


def texts(kind: str | None = None) -> list[Message]:
    query = select(Message).where(Message.channel == "sms").order_by(Message.id)
    if kind:
        query = query.where(Message.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(query))


@time_machine.travel(START, tick=False)
def test_moving_cycle_3_a_week_moves_its_help_and_tells_each_holder_once(posted):
    ride, *meals = tasks_of(posted, 3, "ride") + tasks_of(posted, 3, "meal")
    take(posted["sam"], ride)
    for meal in meals[:2]:
        take(posted["sam"], meal)
    take(posted["kim"], meals[2])
    before = len(texts())
    old = {t.id: local(t.starts_at, "America/New_York") for t in [ride, *meals]}
    third = cycle(posted, 3)
    change = plan_day_move(
        plan=posted["plan"],
        circle=posted["circle"],
        day=third,
        to=third.local_date + timedelta(days=7),
        following=False,
        actor=posted["coordinator"],
    )
    db.session.commit()
    assert (change.days, change.told) == (1, 2)
    assert third.local_date == date(2026, 11, 30) and third.status == PlanDayStatus.MOVED
    for task in [ride, *meals]:
        db.session.refresh(task)
        new = local(task.starts_at, "America/New_York")
        assert new.date() - old[task.id].date() == timedelta(days=7) and new.time() == old[task.id].time()
    assert cycle(posted, 4).local_date == date(2026, 12, 14)  # only cycle 3 moved
    moved = texts("plan_moved")
    assert len(texts()) - before == 2 + 4  # one change text each; each task's holder asked again the evening before
    assert sorted(m.to_address for m in moved) == ["+12025550110", "+12025550111"]
    sams = next(m for m in moved if m.to_address == "+12025550110")
    assert all(f"task {t.id}" in sams.body for t in [ride, *meals[:2]]) and "Mon 30 Nov at 8:15am" in sams.body
    assert "OK" in sams.body and "DROP" in sams.body
    assert texts("task_moved") == []  # not one text per task
    checkins = texts("checkin")
    assert sorted(m.task_id for m in checkins) == sorted(t.id for t in [ride, *meals])
    for message in checkins:
        task = db.session.get(Task, message.task_id)
        due = local(message.due_at, "America/New_York")
        assert due.date() == task.local_date - timedelta(days=1) and due.hour == 18  # the evening before
    held = db.session.scalars(select(Claim).where(Claim.task_id.in_([ride.id, *[m.id for m in meals]]))).all()
    assert all(c.confirmed_at is None for c in held) and all(c.status == "held" for c in held)


@time_machine.travel(START, tick=False)
def test_everything_from_cycle_3_on_moves_a_week_in_one_text_per_holder(posted):
    take(posted["sam"], tasks_of(posted, 3, "ride")[0])
    take(posted["sam"], tasks_of(posted, 5, "ride")[0])
    take(posted["kim"], tasks_of(posted, 6, "meal")[0])
    third = cycle(posted, 3)
    preview = plan_change_preview(plan=posted["plan"], day=third, following=True)
    assert (preview.days, preview.told) == (4, 2)
    plan_day_move(
        plan=posted["plan"],
        circle=posted["circle"],
        day=third,
        to=third.local_date + timedelta(days=7),
        following=True,
        actor=posted["patient"],
    )
    db.session.commit()
    dates = [d.local_date for d in posted["plan"].treatments[0].days]
    assert [(b - a).days for a, b in zip(dates, dates[1:], strict=False)] == [21, 28, 21, 21, 21]
    moved = texts("plan_moved")
    assert len(moved) == 2 and sum(m.to_address == "+12025550110" for m in moved) == 1
    sams = next(m for m in moved if m.to_address == "+12025550110").body
    assert "Mon 30 Nov" in sams and "Mon 11 Jan" in sams  # cycles 3 and 5, each a week later, in one text


@time_machine.travel(START, tick=False)
def test_from_cycle_3_on_a_week_later_and_in_the_afternoon_rides_follow_the_time_meals_only_the_date(posted):
    meals_before = {t.id: local(t.starts_at, "America/New_York") for t in tasks_of(posted, 4, "meal")}
    change = plan_day_move(
        plan=posted["plan"],
        circle=posted["circle"],
        day=cycle(posted, 3),
        to=cycle(posted, 3).local_date + timedelta(days=7),
        at=time(14, 0),
        following=True,
        actor=posted["coordinator"],
    )
    db.session.commit()
    assert change.days == 4
    assert [(d.local_date, d.start_time) for d in posted["plan"].treatments[0].days[2:]] == [
        (date(2026, 11, 30), time(14)),
        (date(2026, 12, 21), time(14)),
        (date(2027, 1, 11), time(14)),
        (date(2027, 2, 1), time(14)),
    ]
    assert [(cycle(posted, 2).local_date, cycle(posted, 2).start_time)] == [(date(2026, 11, 2), time(9))]
    for number in (3, 4, 5, 6):
        ride = tasks_of(posted, number, "ride")[0]
        assert (ride.local_date, ride.start_time) == (cycle(posted, number).local_date, time(13, 15))
        assert ride.end_time == time(18, 30)  # the 4-hour infusion now ends at 18:00, the ride home after it
    for meal in tasks_of(posted, 4, "meal"):
        moved = local(meal.starts_at, "America/New_York")
        before = meals_before[meal.id]
        assert moved.date() - before.date() == timedelta(days=7) and moved.time() == before.time()


@time_machine.travel(START, tick=False)
def test_moving_to_later_today_is_refused_when_the_ride_would_leave_before_now(posted):
    """10am now: an appointment at 10:30 today would need a ride at 9:45, already gone; 11:30 is fine."""
    first = cycle(posted, 1)
    with pytest.raises(Invalid) as caught:
        plan_day_move(
            plan=posted["plan"], circle=posted["circle"], day=first, to=date(2026, 10, 5), at=time(10, 30),
            following=False, actor=posted["coordinator"],
        )  # fmt: skip
    assert "ride to a time that has passed" in caught.value.message and caught.value.field == "at"
    db.session.rollback()
    plan_day_move(
        plan=posted["plan"], circle=posted["circle"], day=cycle(posted, 1), to=date(2026, 10, 5), at=time(11, 30),
        following=False, actor=posted["coordinator"],
    )  # fmt: skip
    db.session.commit()
    assert tasks_of(posted, 1, "ride")[0].start_time == time(10, 45)


@time_machine.travel(START, tick=False)
def test_a_move_into_the_past_or_onto_the_same_day_is_refused_and_changes_nothing(posted):
    third = cycle(posted, 3)
    for to, word in [(date(2026, 10, 1), "passed"), (third.local_date, "already has"), (None, "Choose")]:
        with pytest.raises(Invalid) as caught:
            plan_day_move(
                plan=posted["plan"], circle=posted["circle"], day=third, to=to, following=True, actor=posted["patient"]
            )
        assert word in caught.value.message
        db.session.rollback()
    assert cycle(posted, 3).local_date == date(2026, 11, 23) and texts("plan_moved") == []


@time_machine.travel(START, tick=False)
def test_cancelling_a_cycle_cancels_its_help_with_one_text_per_holder(posted):
    ride, meal = tasks_of(posted, 2, "ride")[0], tasks_of(posted, 2, "meal")[0]
    take(posted["sam"], ride)
    take(posted["sam"], meal)
    change = plan_day_cancel(
        plan=posted["plan"], circle=posted["circle"], day=cycle(posted, 2), following=False, actor=posted["patient"]
    )
    db.session.commit()
    assert change.told == 1 and change.tasks == len(tasks_of(posted, 2))
    assert all(t.status == "cancelled" for t in tasks_of(posted, 2))
    assert all(
        n.cancelled_at is not None
        for n in db.session.scalars(select(Need).where(Need.plan_day_id == cycle(posted, 2).id))
    )
    sent = texts("plan_cancelled")
    assert len(sent) == 1 and f"task {ride.id}" in sent[0].body and f"task {meal.id}" in sent[0].body
    assert texts("task_cancelled") == []
    assert tasks_of(posted, 3)[0].status == "open"


@time_machine.travel(START, tick=False)
def test_a_move_withdraws_asks_written_with_the_old_date(posted):
    from coordinator.services.texting.messages import message_queue

    ride = tasks_of(posted, 2, "ride")[0]
    message_queue(
        channel="sms", to_address="+12025550111", kind="ask", key="ask:test", body="old date", task_id=ride.id
    )
    ride.ask_stage = 1
    db.session.commit()
    second = cycle(posted, 2)
    plan_day_move(
        plan=posted["plan"], circle=posted["circle"], day=second, to=second.local_date + timedelta(days=2),
        following=False, actor=posted["patient"],
    )  # fmt: skip
    db.session.commit()
    assert texts("ask")[0].status == MessageStatus.CANCELLED and ride.ask_stage == 0


@time_machine.travel(START, tick=False)
def test_whoever_replies_ok_to_the_move_is_not_asked_again_and_whoever_stays_silent_is(posted):
    from coordinator.services.texting.before_sending import ALREADY_CONFIRMED, cancel_reason
    from coordinator.services.texting.inbound import inbound_handle
    from coordinator.services.texting.message_log import NOT_SENT

    sams, kims = tasks_of(posted, 2, "ride")[0], tasks_of(posted, 2, "meal")[0]
    take(posted["sam"], sams)
    take(posted["kim"], kims)
    second = cycle(posted, 2)
    plan_day_move(
        plan=posted["plan"], circle=posted["circle"], day=second, to=second.local_date + timedelta(days=7),
        following=False, actor=posted["patient"],
    )  # fmt: skip
    db.session.commit()
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        reply = inbound_handle(provider_id="SMplan1", from_number="+12025550110", body=f"ok {sams.id}")
        db.session.commit()
    assert "thank you" in reply.lower()
    checkins = {m.task_id: m for m in texts("checkin")}
    assert cancel_reason(checkins[sams.id]) == ALREADY_CONFIRMED and ALREADY_CONFIRMED in NOT_SENT
    assert cancel_reason(checkins[kims.id]) is None  # Kim said nothing: she is asked the evening before


@time_machine.travel(START, tick=False)
def test_a_cycle_moved_close_to_another_takes_the_visit_out_of_its_quiet_days(posted):
    second_visit = tasks_of(posted, 2, "visit")[0]  # day +3 after cycle 2: Thu 5 Nov
    take(posted["kim"], second_visit)
    third = cycle(posted, 3)
    plan_day_move(
        plan=posted["plan"],
        circle=posted["circle"],
        day=third,
        to=date(2026, 11, 3),
        following=False,
        actor=posted["patient"],
    )  # fmt: skip  (cycle 3 the day after cycle 2: its quiet days +1 and +2 are 4 and 5 Nov)
    db.session.commit()
    db.session.refresh(second_visit)
    assert second_visit.status == "cancelled"
    told = texts("plan_cancelled")
    assert len(told) == 1 and told[0].to_address == "+12025550111" and f"task {second_visit.id}" in told[0].body


def test_a_move_of_a_few_minutes_leaves_one_reminder_and_one_check_in_at_the_new_time(posted):
    third = cycle(posted, 3)
    ride = tasks_of(posted, 3, "ride")[0]
    with time_machine.travel(START, tick=False):
        take(posted["sam"], ride)
    two_days_before = datetime.combine(third.local_date - timedelta(days=2), time(16), tzinfo=UTC)
    with time_machine.travel(two_days_before, tick=False):
        reminders_plan()
        db.session.commit()
        plan_day_move(
            plan=posted["plan"], circle=posted["circle"], day=third, to=third.local_date, at=time(9, 3),
            following=False, actor=posted["coordinator"],
        )  # fmt: skip
        db.session.commit()
        reminders_plan()
        db.session.commit()
    pending = db.session.execute(
        select(Message.kind, Message.idempotency_key).where(
            Message.task_id == ride.id,
            Message.status == MessageStatus.PENDING,
            Message.kind.in_(("reminder", "checkin")),
        )
    ).all()
    assert pending, "Sam still gets reminded"
    assert len({kind for kind, _ in pending}) == len(pending), pending  # one of each kind, not two
    assert all(key.endswith(f"{ride.starts_at:%Y%m%dT%H%M}") for _, key in pending), pending  # the new time's
