"""One text offering up to three suitable tasks (services/health/offers.py): which tasks, and what the text says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import time_machine

from coordinator.extensions import db
from coordinator.models import Message, Task
from coordinator.services.care.claims import claim_make
from coordinator.services.health.asking import CircleState
from coordinator.services.health.offers import offer_fitted, offer_marked, offer_tasks
from coordinator.services.health.outreach import open_tasks
from coordinator.sms.segments import segments
from tests.factories import add_member, make_circle, make_need, make_user

START = datetime(2026, 6, 1, 14, tzinfo=UTC)  # Monday 10:00 in New York


def need(circle, author, category, day, hour, title="Help"):
    return make_need(
        circle,
        author,
        category=category,
        title=title,
        start_date=date(2026, 6, day),
        start_time=time(hour),
        end_time=time(hour + 1),
    ).tasks[0]


def test_an_offer_lists_the_asked_task_then_two_more_that_suit_soonest_first(app):
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, name="Team Maria")
        ana = add_member(circle, make_user(name="Ana", phone="+12025550110"))
        ana.help_categories = ["ride", "meal", "errands"]
        ben = add_member(circle, make_user(name="Ben", phone="+12025550111"))
        db.session.commit()
        ride = need(circle, daniel, "ride", 9, 9, "Ride to chemo")  # the task being asked about
        meal = need(circle, daniel, "meal", 4, 17)  # sooner than the ride: listed second
        need(circle, daniel, "visit", 3, 14)  # Ana doesn't do visits
        errand = need(circle, daniel, "errands", 5, 11)
        need(circle, daniel, "meal", 8, 17)  # a fourth would be one too many
        need(circle, daniel, "errands", 14, 11)  # more than ten days off
        held = need(circle, daniel, "meal", 2, 17)
        asked_before = need(circle, daniel, "ride", 3, 9)
        claim_make(membership=ana, task_id=held.id)
        db.session.add(
            Message(
                channel="sms",
                to_address=ana.user.phone,
                kind="ask",
                idempotency_key="earlier",
                body="asked",
                user_id=ana.user_id,
                circle_id=circle.id,
                task_id=asked_before.id,
            )
        )
        db.session.commit()
        state = CircleState.load_for(circle, open_tasks(circle.id))

        offered = offer_tasks(state=state, member=ana, task=ride)

        assert [t.id for t in offered] == [ride.id, meal.id, errand.id]
        assert len(offer_tasks(state=state, member=ben, task=ride)) == 3  # no kinds ticked: anything suits
        offer_marked(state=state, member=ana, tasks=offered)
        assert {(t.id, ana.user_id) for t in offered} <= state.asked


def test_the_offer_text_names_no_title_fits_one_segment_and_says_how_to_answer(app):
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, name="Team Maria")
        tasks = [
            need(circle, daniel, "ride", 2, 9, "Ride to chemo at the oncology ward"),
            need(circle, daniel, "meal", 3, 17, "Dinner, no dairy"),
            need(circle, daniel, "errands", 4, 11, "Pharmacy pickup"),
        ]
        kept, body = offer_fitted(tasks)

    a, b, c = (t.code for t in tasks)
    assert kept == tasks
    assert body == (
        f"For Maria: Tue 9am ride (TAKE {a}); Wed 5pm meal (TAKE {b}); Thu 11am errand (TAKE {c}). "
        "Can you do one? Reply TAKE and its number. No need to reply if not."
    )
    assert "chemo" not in body and "Pharmacy" not in body and "dairy" not in body
    assert segments(body).count == 1


def test_an_offer_that_would_need_two_texts_drops_its_last_task(app, monkeypatch):
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, name="Team Maria")
        circle.patient_name = "Maximiliana-Josefina Lopez"
        db.session.commit()
        tasks = [need(circle, daniel, kind, day, 11) for kind, day in (("errands", 2), ("errands", 3), ("errands", 4))]
        monkeypatch.setattr(Task, "code", property(lambda t: str(t.id + 100000)))  # codes as on a big host
        kept, body = offer_fitted(tasks)
        assert kept == tasks[:2]
        assert segments(body).count == 1 and "Maximiliana-Josefina" in body
        one, body = offer_fitted(tasks[:1])
        assert one == tasks[:1] and f"TAKE {tasks[0].id + 100000}" in body
