"""A plan is never named in a text: every text it can cause says "a ride", "a meal", never the treatment.

The plan is walked through everything that writes a text about its help: asks from the outreach ladder,
check-ins and reminders before a held task, the one text about a delay, the check-in asked again after
it, and the one text about a cancelled cycle. Every body is read for treatment words and the plan's
own words (its name, the treatment's label and place).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message, Need, Task
from coordinator.services.care.claims import claim_make
from coordinator.services.care.plan_changes import plan_day_cancel, plan_day_move
from coordinator.services.care.plan_posting import plan_post
from coordinator.services.care.plans import TreatmentInput, plan_create
from coordinator.services.health.outreach import outreach_run
from coordinator.services.texting.reminders import reminders_plan
from tests.factories import add_member, make_circle, make_user

START = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
PLAN_NAME = "Folfox round two"
LABEL = "Folfox infusion"
PLACE = "Mercy Oncology Pavilion"
TREATMENT_WORDS = re.compile(
    r"chemo|infusion|radiation|radiotherapy|treatment|oncolog|cancer|tumou?r|scan|surgery|consultation|"
    r"cycle|dose|plan\b|folfox|mercy|pavilion|appointment time",
    re.IGNORECASE,
)


def test_no_text_the_plan_causes_names_the_plan_or_the_treatment(app):
    with time_machine.travel(START, tick=False) as traveller:
        coordinator, patient = make_user(name="Daniel Lopez"), make_user(name="Maria Lopez")
        circle = make_circle(patient=patient, coordinator=coordinator)
        people = [make_user(name=f"Helper {n}", phone=f"+1202555011{n}") for n in range(4)]
        members = [add_member(circle, person) for person in people]
        plan = plan_create(
            circle=circle,
            author=patient,
            name=PLAN_NAME,
            audience="managers",
            treatment=TreatmentInput(
                kind="repeating",
                label=LABEL,
                first_date=date(2026, 10, 12),
                start_time=time(9),
                place=PLACE,
                every_days=21,
                times=4,
            ),
        )
        for rule in plan.rules:
            rule.enabled = True  # childcare too
        plan_post(plan=plan, circle=circle, author=patient)
        db.session.commit()
        outreach_run(circle_id=circle.id)  # the best few are asked about the first week's help
        db.session.commit()
        days = plan.treatments[0].days
        first_rides = db.session.scalars(
            select(Task)
            .join(Need)
            .where(Need.plan_day_id.in_([days[0].id, days[1].id, days[3].id]))
            .order_by(Task.starts_at)
        ).all()
        for member, task in zip(members * 10, first_rides, strict=False):
            claim_make(membership=member, task_id=task.id)
        db.session.commit()
        plan_day_move(plan=plan, circle=circle, day=days[1], to=days[1].local_date + timedelta(days=7),
                      following=True, actor=patient)  # fmt: skip
        plan_day_cancel(plan=plan, circle=circle, day=days[3], following=False, actor=patient)
        db.session.commit()
        traveller.move_to(datetime(2026, 10, 11, 12, 0, tzinfo=UTC))  # the day before cycle 1
        reminders_plan()
        outreach_run(circle_id=circle.id)
        db.session.commit()
        bodies = [m.body for m in db.session.scalars(select(Message).where(Message.circle_id == circle.id))]
    kinds = {m.kind for m in db.session.scalars(select(Message).where(Message.circle_id == circle.id))}
    assert {"plan_moved", "plan_cancelled", "checkin", "ask"} <= kinds, kinds
    assert len(bodies) >= 10
    for body in bodies:
        assert not TREATMENT_WORDS.search(body), body
