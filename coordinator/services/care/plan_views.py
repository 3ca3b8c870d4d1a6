"""What a plan page shows, read in a fixed number of queries however long the plan.

The help still to post (and its preview month by month), the help already posted month by month, and
each treatment day's coverage ("4 of 5 taken"), so a coordinator sees in week one that cycle 4's rides
have nobody; the treatment days the calendar marks for those allowed to see the plan, and the health page's
coverage per cycle for the whole plan. Only reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models.circles import Circle, Membership
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.models.plans import Plan, PlanDay, PlanDayStatus, PlanTreatment
from coordinator.services.care.plan_expansion import MonthCount, Proposal, plan_preview
from coordinator.services.care.plan_posting import plan_unposted


@dataclass(frozen=True)
class Coverage:
    tasks: int = 0
    taken: int = 0  # tasks with every spot filled

    @property
    def gaps(self) -> int:
        return self.tasks - self.taken


@dataclass
class PlanSummary:
    unposted: list[Proposal]
    to_post: list[MonthCount]
    posted: list[MonthCount]
    coverage: dict[int, Coverage] = field(default_factory=dict)  # by plan day id
    posted_total: int = 0
    taken_total: int = 0


def plan_summary(plan: Plan, *, circle: Circle) -> PlanSummary:
    unposted = plan_unposted(plan, circle=circle)
    rows = db.session.execute(
        select(Task.local_date, Need.category, Need.plan_day_id, Task.claimed, Task.capacity)
        .join(Need, Need.id == Task.need_id)
        .where(Need.plan_id == plan.id, Task.status == TaskStatus.OPEN)
    ).all()
    months: dict[date, Counter] = {}
    per_day: dict[int, list[int]] = {}
    taken_total = 0
    for local_date, category, day_id, claimed, capacity in rows:
        months.setdefault(local_date.replace(day=1), Counter())[category] += 1
        full = claimed >= capacity
        taken_total += full
        if day_id is not None:
            counts = per_day.setdefault(day_id, [0, 0])
            counts[0] += 1
            counts[1] += full
    posted = [
        MonthCount(month, sum(c.values()), tuple(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))))
        for month, c in sorted(months.items())
    ]
    return PlanSummary(
        unposted=unposted,
        to_post=plan_preview(unposted),
        posted=posted,
        coverage={day_id: Coverage(*counts) for day_id, counts in per_day.items()},
        posted_total=len(rows),
        taken_total=taken_total,
    )


@dataclass(frozen=True)
class TreatmentMark:
    """A treatment day as the calendar marks it for those who may see the plan."""

    day: date
    start: time
    label: str
    number: int
    kind: str

    @property
    def name(self) -> str:
        if self.kind == "repeating":
            return f"{self.label}, cycle {self.number}"
        return f"{self.label}, day {self.number}" if self.kind == "course" else self.label


def treatment_marks(membership: Membership, *, first: date, last: date) -> list[TreatmentMark]:
    """Treatment days from `first` to `last` for a member allowed to see the plan (one query; none for others)."""
    if not membership.manages and not membership.inner_circle:
        return []
    query = (
        select(PlanDay.local_date, PlanDay.start_time, PlanTreatment.label, PlanDay.number, PlanTreatment.kind)
        .join(PlanTreatment, PlanTreatment.id == PlanDay.treatment_id)
        .join(Plan, Plan.id == PlanDay.plan_id)
        .where(
            Plan.circle_id == membership.circle_id,
            PlanDay.status != PlanDayStatus.CANCELLED,
            PlanDay.local_date >= first,
            PlanDay.local_date <= last,
        )
        .order_by(PlanDay.local_date, PlanDay.start_time)
    )
    if not membership.manages:
        query = query.where(Plan.audience == "inner")
    return [TreatmentMark(*row) for row in db.session.execute(query)]


@dataclass(frozen=True)
class CycleCover:
    mark: TreatmentMark
    tasks: int
    taken: int  # places filled
    places: int

    @property
    def open(self) -> int:
        return self.places - self.taken


def plan_cycle_coverage(membership: Membership, *, today: date) -> list[CycleCover]:
    """Each treatment day of the circle's plans still to come, with its help's places filled (two queries).

    The health page shows the whole plan, not only the next 14 days, so a gap in cycle 4 shows in week one.
    """
    marks = treatment_marks(membership, first=today, last=date.max)
    if not marks:
        return []
    rows = db.session.execute(
        select(PlanDay.local_date, PlanTreatment.label, PlanDay.number, Task.claimed, Task.capacity)
        .join(PlanTreatment, PlanTreatment.id == PlanDay.treatment_id)
        .join(Plan, Plan.id == PlanDay.plan_id)
        .join(Need, Need.plan_day_id == PlanDay.id)
        .join(Task, Task.need_id == Need.id)
        .where(
            Plan.circle_id == membership.circle_id,
            PlanDay.local_date >= today,
            Task.status == TaskStatus.OPEN,
            Need.cancelled_at.is_(None),
        )
    ).all()
    counts: dict[tuple, list[int]] = {}
    for local_date, label, number, claimed, capacity in rows:
        tally = counts.setdefault((local_date, label, number), [0, 0, 0])
        tally[0] += 1
        tally[1] += min(claimed, capacity)
        tally[2] += capacity
    return [CycleCover(m, *counts.get((m.day, m.label, m.number), [0, 0, 0])) for m in marks]
