"""The coordinator's nudge (services/health/nudges.py): whom an alert suggests calling, and what it says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import time_machine

from coordinator.extensions import db
from coordinator.services.care.claims import claim_make
from coordinator.services.health.activity import activity_record
from coordinator.services.health.asking import CircleState
from coordinator.services.health.nudges import nudge_line, nudge_pick
from coordinator.services.health.outreach import open_tasks
from tests.factories import add_member, make_circle, make_need, make_user
from tests.queries import counting

START = datetime(2026, 6, 1, 14, tzinfo=UTC)  # Monday 10:00 in New York


def task_of(circle, author, category, day):
    return make_need(
        circle, author, category=category, title="Help", start_date=date(2026, 6, day), start_time=time(9)
    ).tasks[0]


def history(circle, member, task, *, asked: int, yes: int):
    for n in range(asked):
        activity_record(
            kind="ask.sent", circle_id=circle.id, subject_id=member.user_id, object_type="task", object_id=task.id
        )
    for n in range(yes):
        activity_record(
            kind="claim.made", circle_id=circle.id, subject_id=member.user_id, object_type="task", object_id=task.id
        )
    db.session.commit()


def setup_circle():
    daniel = make_user(name="Daniel", phone="+12025550101")
    circle = make_circle(coordinator=daniel, name="Team Maria")
    people = {
        name: add_member(circle, make_user(name=f"{name} Smith", phone=f"+120255501{n:02d}"))
        for n, name in enumerate(("Ana", "Ben", "Cat", "Dev"), 10)
    }
    old_ride, old_meal = task_of(circle, daniel, "ride", 2), task_of(circle, daniel, "meal", 2)
    history(circle, people["Ana"], old_ride, asked=4, yes=3)  # says yes to rides
    history(circle, people["Ben"], old_ride, asked=5, yes=1)
    history(circle, people["Ben"], old_meal, asked=3, yes=3)  # says yes to meals
    history(circle, people["Cat"], old_ride, asked=6, yes=0)  # never said yes: never named
    history(circle, people["Dev"], old_ride, asked=1, yes=1)
    return circle, daniel, people


def test_the_alert_suggests_whoever_says_yes_to_this_kind_most(app):
    with time_machine.travel(START, tick=False):
        circle, daniel, people = setup_circle()
        ride, meal = task_of(circle, daniel, "ride", 4), task_of(circle, daniel, "meal", 4)
        claim_make(membership=people["Dev"], task_id=ride.id)  # Dev already has this ride
        db.session.commit()
        state = CircleState.load_for(circle, [ride, meal])

        assert nudge_pick(state=state, task=ride).member == people["Ana"]
        assert nudge_pick(state=state, task=meal).member == people["Ben"]
        people["Ana"].help_categories = ["meal"]  # rides aren't hers any more
        assert nudge_pick(state=state, task=ride).member == people["Ben"]
        db.session.rollback()


def test_nobody_is_named_who_never_said_yes_or_has_no_room(app):
    with time_machine.travel(START, tick=False):
        circle, daniel, people = setup_circle()
        ride = task_of(circle, daniel, "ride", 4)
        state = CircleState.load_for(circle, [ride])
        for member in (people["Ana"], people["Ben"], people["Dev"]):
            state.load.counts[member.user_id] = int(state.load.cap)  # each already carries their fair share
        assert nudge_pick(state=state, task=ride) is None  # Cat is left, and she has never said yes


def test_the_nudge_says_who_and_why_in_one_short_line(app):
    with time_machine.travel(START, tick=False):
        circle, daniel, people = setup_circle()
        ride = task_of(circle, daniel, "ride", 4)
        nudge = nudge_pick(state=CircleState.load_for(circle, [ride]), task=ride)
        line = nudge_line(nudge)
    assert line == "Ana has said yes to this kind of help 3 times: worth a call?"
    assert "Smith" not in line and "+1" not in line and len(line) <= 70


def test_choosing_costs_one_query_however_long_the_record(app):
    with time_machine.travel(START, tick=False):
        circle, daniel, people = setup_circle()
        task_of(circle, daniel, "ride", 4)
        tasks = open_tasks(circle.id)  # as the ladder loads them: each with its need
        state = CircleState.load_for(circle, tasks)
        with counting(db.engine) as few:
            nudge_pick(state=state, task=tasks[0])
        for n in range(5):
            history(circle, people["Cat"], task_of(circle, daniel, "errands", 5 + n), asked=3, yes=1)
        tasks = open_tasks(circle.id)
        state = CircleState.load_for(circle, tasks)
        with counting(db.engine) as many:
            nudge_pick(state=state, task=tasks[0])
    assert len(few) == len(many) == 1
