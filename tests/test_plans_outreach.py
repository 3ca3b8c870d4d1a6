"""The outreach ladder treats a ride on a treatment day as the need that must not go uncovered."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message, Need, Task, User
from coordinator.services.care.plan_posting import plan_post
from coordinator.services.care.plans import TreatmentInput, plan_create
from coordinator.services.health.outreach import outreach_run
from coordinator.services.texting.digests import digests_send
from coordinator.services.texting.inbound import inbound_handle
from tests.factories import add_member, make_circle, make_need, make_user

START = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)  # Mon 5 Oct, 10am in New York
TREATMENT = date(2026, 10, 15)  # ten days on: past the usual first asks (7 days), within twice that


def test_a_treatment_day_ride_is_asked_about_and_alerted_on_earlier_than_an_ordinary_ride(app):
    with time_machine.travel(START, tick=False) as traveller:
        coordinator, patient = make_user(name="Daniel Lopez", phone="+12025550100"), make_user(name="Maria Lopez")
        circle = make_circle(patient=patient, coordinator=coordinator)
        for n in range(3):
            add_member(circle, make_user(name=f"Helper {n}", phone=f"+1202555011{n}"))
        plan = plan_create(
            circle=circle,
            author=patient,
            name="Round two",
            audience="managers",
            treatment=TreatmentInput(
                kind="oneoff", label="Surgery", first_date=TREATMENT, start_time=time(9), every_days=None, times=None
            ),
        )
        plan_post(plan=plan, circle=circle, author=patient)
        ordinary = make_need(circle, coordinator, title="Ride to the dentist", start_date=TREATMENT)
        db.session.commit()
        plan_ride = db.session.scalar(select(Task).join(Need).where(Need.plan_id == plan.id, Need.category == "ride"))
        other = db.session.scalar(select(Task).where(Task.need_id == ordinary.id))

        outreach_run(circle_id=circle.id)
        db.session.commit()
        assert plan_ride.ask_stage == 1 and other.ask_stage == 0  # 10 days out: only the treatment ride is asked

        traveller.move_to(datetime.combine(TREATMENT, time(12), tzinfo=UTC) - timedelta(hours=36))
        outreach_run(circle_id=circle.id)
        db.session.commit()
        assert plan_ride.ask_stage == 3 and other.ask_stage == 2  # a day and a half out: coordinators already told
        alerts = db.session.scalars(select(Message).where(Message.kind == "alert")).all()
        assert [m.task_id for m in alerts] == [plan_ride.id]


def test_a_visit_typed_by_hand_on_a_no_visitors_day_is_never_asked_about(app):
    with time_machine.travel(START, tick=False):
        coordinator, patient = make_user(name="Daniel Lopez", phone="+12025550100"), make_user(name="Maria Lopez")
        circle = make_circle(patient=patient, coordinator=coordinator)
        for n in range(3):
            add_member(circle, make_user(name=f"Helper {n}", phone=f"+1202555011{n}"))
        plan = plan_create(
            circle=circle,
            author=patient,
            name="Round two",
            audience="managers",
            treatment=TreatmentInput(kind="oneoff", label="Infusion", first_date=date(2026, 10, 7), start_time=time(9)),
        )  # quiet days +1 and +2 come with it: no visitors on 8 and 9 Oct
        db.session.commit()
        quiet = make_need(circle, coordinator, category="visit", title="Pop round", start_date=date(2026, 10, 8))
        later = make_need(circle, coordinator, category="visit", title="Pop round", start_date=date(2026, 10, 10))
        db.session.commit()
        outreach_run(circle_id=circle.id)
        db.session.commit()
        asked = {m.task_id for m in db.session.scalars(select(Message).where(Message.kind == "ask"))}
        quiet_task, later_task = (db.session.scalar(select(Task).where(Task.need_id == n.id)) for n in (quiet, later))
        assert later_task.id in asked and quiet_task.id not in asked
        assert quiet_task.ask_stage == 0 and plan.id


def test_a_treatment_day_ride_on_its_wider_rung_may_ask_someone_at_their_fair_share_an_ordinary_one_never(app):
    """Issue 16's goal beside issue 18's cap: one over a fair share for a ride to treatment beats nobody coming."""
    from coordinator.services.health.activity import activity_record

    with time_machine.travel(START, tick=False) as traveller:
        coordinator, patient = make_user(name="Daniel Lopez", phone="+12025550100"), make_user(name="Maria Lopez")
        circle = make_circle(patient=patient, coordinator=coordinator)
        busy = add_member(circle, make_user(name="Busy Bea", phone="+12025550120"))
        for n in range(8):  # a big circle with little to do, so a fair share is the floor of two tasks
            idle = add_member(circle, make_user(name=f"Idle {n}", phone=f"+1202555013{n}"))
            idle.help_categories = ["meal"]  # never suits a ride: Bea is the only one who drives
        db.session.commit()
        plan = plan_create(
            circle=circle,
            author=patient,
            name="Round two",
            audience="managers",
            treatment=TreatmentInput(
                kind="oneoff", label="Surgery", first_date=TREATMENT, start_time=time(9), every_days=None, times=None
            ),
        )
        plan_post(plan=plan, circle=circle, author=patient)
        ordinary = make_need(circle, coordinator, title="Ride to the dentist", start_date=TREATMENT)
        for n in range(2):  # Bea already carries two tasks: the fair share's floor (load.MIN_CAP)
            task = make_need(circle, coordinator, category="meal", title="Dinner", start_date=date(2026, 10, 6 + n))
            from coordinator.services.care.claims import claim_make

            claim_make(membership=busy, task_id=task.tasks[0].id)
        activity_record(kind="claim.made", circle_id=circle.id, subject_id=busy.user_id)
        db.session.commit()
        plan_ride = db.session.scalar(select(Task).join(Need).where(Need.plan_id == plan.id, Need.category == "ride"))
        other = db.session.scalar(select(Task).where(Task.need_id == ordinary.id))

        traveller.move_to(datetime.combine(TREATMENT, time(12), tzinfo=UTC) - timedelta(days=5))  # the wider rungs
        outreach_run(circle_id=circle.id)
        db.session.commit()
        from coordinator.services.health.load import circle_load

        assert not circle_load(circle_id=circle.id, factor=2.0).room_for(busy.user_id)  # she is at her share
        asked = {m.task_id for m in db.session.scalars(select(Message).where(Message.user_id == busy.user_id))}
        assert plan_ride.id in asked  # the treatment ride: asked although she carries her share
        assert other.id not in asked  # the dentist: never past the cap


SUNDAY_5PM = datetime(2026, 10, 4, 21, tzinfo=UTC)  # Sunday 4 Oct, 17:00 in New York


def quiet_week() -> User:
    """Maria's infusion on Tuesday 6 Oct makes Wednesday and Thursday no-visitor days; a coordinator has typed a
    visit for Wednesday and one for Friday by hand. Returns the one helper."""
    with time_machine.travel(SUNDAY_5PM - timedelta(days=2), tick=False):
        coordinator, patient = make_user(name="Daniel Lopez", phone="+12025550100"), make_user(name="Maria Lopez")
        circle = make_circle(patient=patient, coordinator=coordinator)
        helper = make_user(name="Helper", phone="+12025550110")
        add_member(circle, helper)
        plan_create(
            circle=circle,
            author=patient,
            name="Round two",
            audience="managers",
            treatment=TreatmentInput(kind="oneoff", label="Infusion", first_date=date(2026, 10, 6), start_time=time(9)),
        )
        db.session.commit()
        make_need(circle, coordinator, category="visit", title="Pop round Wednesday", start_date=date(2026, 10, 7))
        make_need(circle, coordinator, category="visit", title="Pop round Friday", start_date=date(2026, 10, 9))
        db.session.commit()
    return helper


def test_the_sunday_digest_never_offers_a_visit_on_a_no_visitors_day(app):
    """As the ladder: the Wednesday visit is in nobody's digest; Friday's is."""
    helper = quiet_week()
    with time_machine.travel(SUNDAY_5PM, tick=False):
        assert digests_send() == 1
        db.session.commit()
    digest = db.session.scalar(select(Message).where(Message.kind == "digest", Message.user_id == helper.id))
    assert "Fri" in digest.body and "Wed" not in digest.body, digest.body


def test_a_texted_open_never_offers_a_visit_on_a_no_visitors_day(app):
    helper = quiet_week()
    with time_machine.travel(SUNDAY_5PM, tick=False):
        reply = inbound_handle(provider_id="SM-open", from_number=helper.phone, body="open")
        db.session.commit()
    assert reply.startswith("Open: ") and "Fri" in reply and "Wed" not in reply, reply
