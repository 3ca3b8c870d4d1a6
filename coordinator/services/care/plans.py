"""Treatment plans: entering one in plain terms, who may see it, and the help it suggests.

A patient or coordinator says "every 21 days, 6 times, from 5 Jan at 9am" (or "weekdays for 5 weeks", or "a
scan on 3 Mar"); the plan keeps the treatment and its numbered days, each a row that a delay later moves.
A new plan comes with the suggestions families learn the hard way (a ride there and back, meals on days +1
to +3, a visit or a call on day +3, childcare on treatment days if wanted, a weekly errand run, and no
visitors on days +1 and +2), which the patient edits before anything is posted (plan_posting.py).
Only the patient and coordinators see a plan, and the inner circle only if the patient says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.clock import PLAN_AHEAD_MONTHS, last_plannable, today_in
from coordinator.errors import Invalid, NotFound, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle, Membership
from coordinator.models.plans import (
    OFFSET_MAX,
    OFFSET_MIN,
    PLAN_AUDIENCES,
    Plan,
    PlanDay,
    PlanDayStatus,
    PlanQuiet,
    PlanRule,
    PlanTreatment,
)
from coordinator.services.care.recurrence import WEEKDAYS
from coordinator.services.health.activity import activity_record
from coordinator.services.people.closing import circle_open_check

NAME_MAX, LABEL_MAX, PLACE_MAX, NOTE_MAX = 80, 80, 200, 500
KIND_WORDS = {"repeating": "Repeating treatment", "course": "Daily course", "oneoff": "One-off appointment"}


@dataclass
class TreatmentInput:
    kind: str
    label: str
    first_date: date | None
    start_time: time | None
    end_time: time | None = None
    place: str = ""
    every_days: int | None = None
    times: int | None = None
    weekdays: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR")
    weeks: int | None = None


def treatment_dates(treatment: PlanTreatment | TreatmentInput) -> list[date]:
    """The dates a treatment falls on, in the circle's calendar (whole days: no clock change moves a date)."""
    first = treatment.first_date
    if treatment.kind == "repeating":
        return [first + timedelta(days=treatment.every_days * k) for k in range(treatment.times)]
    if treatment.kind == "course":
        days = treatment.weekdays.split(",") if isinstance(treatment.weekdays, str) else treatment.weekdays
        wanted = {WEEKDAYS.index(d) for d in days if d in WEEKDAYS}
        span = (first + timedelta(days=n) for n in range(7 * treatment.weeks))
        return [day for day in span if day.weekday() in wanted]
    return [first]


def _text(value: str, *, limit: int, field: str, what: str, required: bool = False) -> str:
    cleaned = " ".join((value or "").split())
    if required and not cleaned:
        raise Invalid(f"Enter {what}.", field=field)
    if len(cleaned) > limit:
        raise Invalid(f"Keep {what} under {limit} characters.", field=field)
    return cleaned


def treatment_validate(data: TreatmentInput, *, circle: Circle) -> dict:
    """Every problem with a treatment at once (Problems); the cleaned fields of a PlanTreatment."""
    problems = Problems.collector()
    cleaned: dict = {"kind": data.kind, "start_time": data.start_time, "end_time": data.end_time}
    with problems.check():
        if data.kind not in KIND_WORDS:
            raise Invalid("Choose what kind of treatment this is.", field="kind")
    with problems.check():
        cleaned["label"] = _text(data.label, limit=LABEL_MAX, field="label", what="what it is", required=True)
    with problems.check():
        cleaned["place"] = _text(data.place, limit=PLACE_MAX, field="place", what="the place")
    with problems.check():
        if data.start_time is None:
            raise Invalid("Enter the time it starts.", field="start_time")
    with problems.check():
        if data.end_time is not None and data.start_time is not None and data.end_time <= data.start_time:
            raise Invalid("The end time must be after the start time.", field="end_time")
    if data.kind == "repeating":
        with problems.check():
            if not data.every_days or not 1 <= data.every_days <= 365:
                raise Invalid("Say how many days apart, from 1 to 365.", field="every_days")
        with problems.check():
            if not data.times or not 1 <= data.times <= 60:
                raise Invalid("Say how many times, from 1 to 60.", field="times")
        cleaned |= {"every_days": data.every_days, "times": data.times}
    elif data.kind == "course":
        with problems.check():
            if not set(data.weekdays) & set(WEEKDAYS):
                raise Invalid("Choose the days of the week.", field="weekdays")
        with problems.check():
            if not data.weeks or not 1 <= data.weeks <= 52:
                raise Invalid("Say how many weeks, from 1 to 52.", field="weeks")
        cleaned |= {"weekdays": ",".join(d for d in WEEKDAYS if d in data.weekdays), "weeks": data.weeks}
    today = today_in(circle.timezone)
    with problems.check():
        if data.first_date is None:
            raise Invalid("Choose the first date.", field="first_date")
        if data.first_date < today:
            raise Invalid("That date has passed. Choose today or later.", field="first_date")
    problems.raise_if_any()
    cleaned["first_date"] = data.first_date
    dates = treatment_dates(PlanTreatment(**cleaned))
    if not dates:
        raise Invalid("That pattern never happens. Check the days you picked.", field="weekdays")
    last = last_plannable(today)
    if dates[-1] > last:
        raise Invalid(
            f"The last date would be {dates[-1]:%a %-d %b %Y}; plans reach up to {PLAN_AHEAD_MONTHS} months ahead "
            f"({last:%-d %b %Y}). Enter fewer times, or add the rest later.",
            field="times" if data.kind == "repeating" else "weeks" if data.kind == "course" else "first_date",
        )
    return cleaned


def treatment_add(*, plan: Plan, data: TreatmentInput, circle: Circle) -> PlanTreatment:
    """Add a treatment to the plan with its numbered days."""
    treatment = PlanTreatment(plan=plan, **treatment_validate(data, circle=circle))
    db.session.add(treatment)
    for number, day in enumerate(treatment_dates(treatment), start=1):
        db.session.add(
            PlanDay(
                plan_id=plan.id,
                treatment=treatment,
                number=number,
                series_date=day,
                local_date=day,
                start_time=treatment.start_time,
                status=PlanDayStatus.PLANNED,
            )
        )
    db.session.flush()
    return treatment


def _audience_check(audience: str, *, circle: Circle, by_patient: bool) -> None:
    if audience not in PLAN_AUDIENCES:
        raise Invalid("Choose who can see the plan.", field="audience")
    if audience == "inner" and not by_patient:
        raise Invalid(f"Only {circle.patient_first_name} can share the plan with the inner circle.", field="audience")


def plan_create(
    *, circle: Circle, author: User, name: str, audience: str, treatment: TreatmentInput, by_patient: bool = True
) -> Plan:
    """A new plan with its first treatment and the usual suggestions, nothing posted yet.

    Only the patient (`by_patient`) may let the inner circle see it.
    """
    circle_open_check(circle)
    problems = Problems.collector()
    with problems.check():
        name = _text(name, limit=NAME_MAX, field="name", what="a name for the plan", required=True)
    with problems.check():
        _audience_check(audience, circle=circle, by_patient=by_patient)
    with problems.check():
        treatment_validate(treatment, circle=circle)
    problems.raise_if_any()
    current = plan_current(circle_id=circle.id)
    if current is not None and not plan_finished(current, today=today_in(circle.timezone)):
        raise Invalid("There is a treatment plan already. Add this treatment to it instead.")
    plan = Plan(circle_id=circle.id, name=name, audience=audience, created_by_id=author.id)
    db.session.add(plan)
    db.session.flush()
    first = treatment_add(plan=plan, data=treatment, circle=circle)
    _suggest(plan, first)
    db.session.flush()
    activity_record(kind="plan.created", circle_id=circle.id, actor_id=author.id, object_type="plan", object_id=plan.id)
    return plan


def _suggest(plan: Plan, treatment: PlanTreatment) -> None:
    """What helped other families, ready for the patient to edit: nothing here is posted yet."""
    saturday = 5
    plan.rules.extend(
        [
            PlanRule(
                category="ride",
                title="Ride to an appointment and back",
                applies_to="every",
                lead_minutes=45,
                length_minutes=240,
                notes="There and back: please wait, or come back when it ends.",
            ),
            PlanRule(category="meal", title="A meal", offset_first=1, offset_last=3, start_time=time(17, 30)),
            PlanRule(
                category="visit", title="A short visit or a call", offset_first=3, offset_last=3, start_time=time(15)
            ),
            PlanRule(category="childcare", title="Childcare", enabled=False, lead_minutes=60, length_minutes=360),
            PlanRule(category="errands", title="Weekly errand run", pattern="weekly", weekday=saturday, anytime=True),
        ]
    )
    plan.quiet_days.append(PlanQuiet(offset_first=1, offset_last=2, no_visitors=True, note="Meals at the door, please"))


def plan_current(*, circle_id: int) -> Plan | None:
    """The circle's newest plan, with everything a plan page shows loaded in a fixed number of queries."""
    return db.session.scalar(
        select(Plan)
        .options(
            selectinload(Plan.treatments).selectinload(PlanTreatment.days),
            selectinload(Plan.rules),
            selectinload(Plan.quiet_days),
        )
        .where(Plan.circle_id == circle_id)
        .order_by(Plan.id.desc())
        .limit(1)
    )


def plan_finished(plan: Plan, *, today: date) -> bool:
    """Every treatment day is behind us (or cancelled): time to offer it as a starting point, not to edit it."""
    return all(day.cancelled or day.local_date < today for t in plan.treatments for day in t.days)


def can_see_plan(membership: Membership, plan: Plan) -> bool:
    return membership.manages or (plan.audience == "inner" and membership.inner_circle)


def plan_for(membership: Membership) -> Plan:
    """The plan this member may see; NotFound for anyone else, as if there were none."""
    plan = plan_current(circle_id=membership.circle_id)
    if plan is None or not can_see_plan(membership, plan):
        raise NotFound("No treatment plan.")
    return plan


def plan_day_for(plan: Plan, day_id: int) -> PlanDay:
    for treatment in plan.treatments:
        for day in treatment.days:
            if day.id == day_id:
                return day
    raise NotFound("No such treatment day.")


def plan_rule_for(plan: Plan, rule_id: int) -> PlanRule:
    for rule in plan.rules:
        if rule.id == rule_id:
            return rule
    raise NotFound("No such suggestion.")


def plan_quiet_for(plan: Plan, quiet_id: int) -> PlanQuiet:
    for quiet in plan.quiet_days:
        if quiet.id == quiet_id:
            return quiet
    raise NotFound("No such quiet days.")


@dataclass
class RuleInput:
    enabled: bool
    title: str
    offset_first: int | None
    offset_last: int | None
    start_time: time | None
    capacity: int | None
    notes: str = ""


def plan_rule_update(*, plan: Plan, rule: PlanRule, data: RuleInput, actor: User) -> None:
    """Edit one suggestion (before posting, or for what is posted next)."""
    problems = Problems.collector()
    with problems.check():
        title = _text(data.title, limit=120, field="title", what="what's needed", required=True)
    with problems.check():
        if rule.pattern == "offset":
            low, high = data.offset_first, data.offset_last
            if low is None or high is None or not OFFSET_MIN <= low <= high <= OFFSET_MAX:
                raise Invalid(
                    f"Choose days from {OFFSET_MIN} to +{OFFSET_MAX}, the first no later than the last.",
                    field="offset_first",
                )
    with problems.check():
        if data.capacity is None or not 1 <= data.capacity <= 50:
            raise Invalid("Ask for between 1 and 50 people.", field="capacity")
    with problems.check():
        notes = (data.notes or "").strip()
        if len(notes) > NOTE_MAX:
            raise Invalid(f"Keep the notes under {NOTE_MAX} characters.", field="notes")
    with problems.check():
        if rule.lead_minutes is None and not rule.anytime and data.start_time is None:
            raise Invalid("Enter a time.", field="start_time")
    problems.raise_if_any()
    rule.enabled, rule.title, rule.capacity, rule.notes = data.enabled, title, data.capacity, notes
    if rule.pattern == "offset":
        rule.offset_first, rule.offset_last = data.offset_first, data.offset_last
    if rule.lead_minutes is None and not rule.anytime:
        rule.start_time = data.start_time
    db.session.flush()


def plan_audience_set(*, plan: Plan, circle: Circle, audience: str, by_patient: bool) -> None:
    """Who sees the plan: the patient and coordinators, or the inner circle too (only the patient decides)."""
    if not by_patient:
        raise Invalid(f"Only {circle.patient_first_name} decides who can see the plan.", field="audience")
    _audience_check(audience, circle=circle, by_patient=by_patient)
    plan.audience = audience
    db.session.flush()


def plan_rules_choose(*, plan: Plan, enabled_ids: set[int]) -> None:
    """Tick or untick suggestions in one go."""
    for rule in plan.rules:
        rule.enabled = rule.id in enabled_ids
    db.session.flush()
