"""Starting again from a previous treatment plan: a recurrence begins from what worked.

When every day of the last plan is behind the circle (or the circle is reopened for a new round), the plan
page offers it as a starting point: the same treatments, help and quiet days, every date moved so the first
treatment falls on the new start. A new circle of the same patient is offered the plan of
her other circle (`plan_elsewhere`). Nothing is posted until the patient looks it over and says so.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import aliased

from coordinator.clock import today_in
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import MANAGING_ROLES, PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.plans import Plan, PlanQuiet, PlanRule
from coordinator.services.care.plans import TreatmentInput, plan_current, plan_finished, treatment_add
from coordinator.services.health.activity import activity_record
from coordinator.services.people.closing import circle_open_check


def plan_elsewhere(*, user: User, circle_id: int) -> Plan | None:
    """The newest plan of another circle of the same patient that this person looks after (one query).

    Only the same patient's: a coordinator of two people's circles is never offered one's treatment for the other.
    """
    patient_here = (
        select(Membership.user_id)
        .where(Membership.circle_id == circle_id, Membership.role == PATIENT)
        .limit(1)
        .scalar_subquery()
    )
    me, patient = aliased(Membership), aliased(Membership)
    return db.session.scalar(
        select(Plan)
        .join(me, me.circle_id == Plan.circle_id)
        .join(patient, patient.circle_id == Plan.circle_id)
        .where(
            me.user_id == user.id,
            me.role.in_(MANAGING_ROLES),
            me.status == MembershipStatus.ACTIVE,
            patient.role == PATIENT,
            patient.user_id == patient_here,
            Plan.circle_id != circle_id,
        )
        .order_by(Plan.id.desc())
        .limit(1)
    )


def plan_again(*, plan: Plan, circle: Circle, author: User, first_date: date | None) -> Plan:
    """A new plan from a previous one, every date moved so its first treatment falls on `first_date`.

    The treatments, the help that was asked for and the quiet days come along, as a recurrence begins
    from what worked; nothing is posted until the patient looks it over and says so.
    """
    circle_open_check(circle)
    today = today_in(circle.timezone)
    if first_date is None:
        raise Invalid("Choose the date of the first treatment.", field="first_date")
    if first_date < today:
        raise Invalid("That date has passed. Choose today or later.", field="first_date")
    if not plan.treatments:
        raise Invalid("That plan has no treatments to start from.")
    current = plan_current(circle_id=circle.id)
    if current is not None and not plan_finished(current, today=today):
        raise Invalid("There is a treatment plan already, with dates still to come.")
    shift = first_date - min(t.first_date for t in plan.treatments)
    again = Plan(circle_id=circle.id, name=plan.name, audience=plan.audience, created_by_id=author.id)
    db.session.add(again)
    db.session.flush()
    fields = ("kind", "label", "start_time", "end_time", "place", "every_days", "times", "weeks")
    for old in plan.treatments:
        data = TreatmentInput(**{name: getattr(old, name) for name in fields}, first_date=old.first_date + shift)
        data.weekdays = tuple(old.weekdays.split(",")) if old.weekdays else data.weekdays
        treatment_add(plan=again, data=data, circle=circle)
    columns = ("enabled", "category", "title", "pattern", "applies_to", "offset_first", "offset_last", "lead_minutes")
    columns += ("start_time", "length_minutes", "anytime", "weekday", "capacity", "notes")
    again.rules.extend(PlanRule(**{name: getattr(rule, name) for name in columns}) for rule in plan.rules)
    quiet = ("offset_first", "offset_last", "no_visitors", "quiet_start", "quiet_end", "note")
    again.quiet_days.extend(PlanQuiet(**{name: getattr(q, name) for name in quiet}) for q in plan.quiet_days)
    db.session.flush()
    activity_record(
        kind="plan.created", circle_id=circle.id, actor_id=author.id, object_type="plan", object_id=again.id
    )
    return again
