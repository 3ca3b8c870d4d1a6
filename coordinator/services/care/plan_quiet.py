"""Time alone or someone nearby: quiet days and hours in the plan's own terms ("days +1 and +2: no visitors").

A quiet stretch is counted from each repeating treatment's day. While posting, visits are not proposed on
no-visitor days (or in their quiet hours) and meals carry the drop-off note (plan_expansion.py). Marked
after the help was posted, it takes effect at once: visits already posted for those days are withdrawn
(one text to each person who had taken one, as a cancelled cycle does) and meals gain the note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy import select

from coordinator.errors import Invalid, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle
from coordinator.models.needs import Task
from coordinator.models.plans import OFFSET_MAX, OFFSET_MIN, Plan, PlanDay, PlanDayStatus, PlanQuiet, PlanTreatment
from coordinator.services.care.plan_changes import Change, quiet_apply
from coordinator.services.care.plan_expansion import VISIT_KINDS, quiet_blocks

NOTE_MAX = 200


@dataclass
class QuietInput:
    offset_first: int | None
    offset_last: int | None
    no_visitors: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None
    note: str = ""


def _validate(data: QuietInput) -> dict:
    problems = Problems.collector()
    with problems.check():
        low, high = data.offset_first, data.offset_last
        if low is None or high is None or not OFFSET_MIN <= low <= high <= OFFSET_MAX:
            raise Invalid(
                f"Choose days from {OFFSET_MIN} to +{OFFSET_MAX}, the first no later than the last.",
                field="offset_first",
            )
    with problems.check():
        if (data.quiet_start is None) != (data.quiet_end is None):
            raise Invalid("Give both times, or neither for the whole day.", field="quiet_end")
        if data.quiet_start is not None and data.quiet_end <= data.quiet_start:
            raise Invalid("The quiet time must end after it starts.", field="quiet_end")
    note = " ".join((data.note or "").split())
    with problems.check():
        if len(note) > NOTE_MAX:
            raise Invalid(f"Keep the note under {NOTE_MAX} characters.", field="note")
    with problems.check():
        if not data.no_visitors and not note:
            raise Invalid("Tick “No visitors”, or write a note for those days.", field="no_visitors")
    problems.raise_if_any()
    return {
        "offset_first": data.offset_first,
        "offset_last": data.offset_last,
        "no_visitors": data.no_visitors,
        "quiet_start": data.quiet_start,
        "quiet_end": data.quiet_end,
        "note": note,
    }


def plan_quiet_save(*, plan: Plan, circle: Circle, quiet: PlanQuiet | None, data: QuietInput, actor: User) -> Change:
    """Add or change a quiet stretch; what is posted follows at once. Returns the visits withdrawn."""
    values = _validate(data)
    if quiet is None:
        quiet = PlanQuiet(**values)
        plan.quiet_days.append(quiet)
    else:
        for name, value in values.items():
            setattr(quiet, name, value)
    db.session.flush()
    return quiet_apply(plan=plan, circle=circle, actor=actor)


def plan_quiet_remove(*, plan: Plan, quiet: PlanQuiet) -> None:
    """Take a quiet stretch away; visits are proposed for those days again next time the plan is posted."""
    plan.quiet_days.remove(quiet)
    db.session.flush()


def quiet_visits_left_out(tasks: list[Task]) -> list[Task]:
    """`tasks` without any visit on its patient's no-visitor days: what a digest or an OPEN reply may offer.

    Two queries for each circle that has a visit among them; none when there is no visit at all.
    """
    with_visits = {task.circle_id for task in tasks if task.need.category in VISIT_KINDS}
    checks = {circle_id: quiet_visit_check(circle_id) for circle_id in with_visits}
    return [task for task in tasks if task.circle_id not in checks or not checks[task.circle_id](task)]


def quiet_visit_check(circle_id: int) -> Callable[[Task], bool]:
    """For the outreach ladder: whether a task is a visit on the patient's no-visitor days (two queries).

    Visits the plan made never land there; this keeps one typed by hand from being asked about then.
    """
    days = db.session.execute(
        select(PlanDay.local_date, PlanTreatment.kind)
        .join(PlanTreatment, PlanTreatment.id == PlanDay.treatment_id)
        .join(Plan, Plan.id == PlanDay.plan_id)
        .where(Plan.circle_id == circle_id, PlanDay.status != PlanDayStatus.CANCELLED)
    ).all()
    stretches = db.session.scalars(
        select(PlanQuiet).join(Plan, Plan.id == PlanQuiet.plan_id).where(Plan.circle_id == circle_id)
    ).all()
    quiet: dict = {}
    for stretch in stretches:
        for day, kind in days:
            if kind != "course":
                for offset in range(stretch.offset_first, stretch.offset_last + 1):
                    quiet.setdefault(day + timedelta(days=offset), stretch)
    return lambda task: quiet_blocks(quiet.get(task.local_date), task.need.category, task.start_time, task.end_time)
