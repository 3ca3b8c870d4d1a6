"""The circle health page: coverage, who is active, who carries too much, who is drifting away.

Coordinators need one honest picture to act early: which days in the next two
weeks still need someone, whether the circle is thinning week by week, who is
carrying more than a fair share (so they can be eased off) and who has gone
quiet (so someone can reach out kindly). The patient may see a gentle version,
coverage and the weekly chart only, or nothing, as they choose; load and drift
name people and are never shown to the patient or to supporters.

Each figure is a fixed number of queries, so the page costs the same for a
circle of ten or of three hundred.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, time, timedelta

from sqlalchemy import case, func, select

from coordinator.clock import local, now, to_utc_lenient, today_in
from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.activity import Event
from coordinator.models.circles import COORDINATOR, PATIENT, SUPPORTER, Circle, Membership
from coordinator.models.needs import Task, TaskStatus
from coordinator.services.health.activity import activity_record
from coordinator.services.health.load import ACTIVE_KINDS, LOAD_WEEKS, Load, circle_load, drifting
from coordinator.services.health.settings import HealthSettings, health_settings, health_settings_update
from coordinator.services.health.this_week import week_story

COVERAGE_DAYS = 14
ACTIVE_WEEKS = 12


@dataclass(frozen=True)
class DayCoverage:
    day: date
    needed: int  # slots asked for on open tasks that are not over yet
    held: int  # slots someone holds, or covered another way

    @property
    def short(self) -> int:
        return max(self.needed - self.held, 0)

    @property
    def share(self) -> float:
        return self.held / self.needed if self.needed else 1.0


@dataclass(frozen=True)
class Coverage:
    days: list[DayCoverage]  # every day of the window, oldest first, including days with nothing asked
    needed: int
    held: int

    @property
    def share(self) -> float:
        return self.held / self.needed if self.needed else 1.0

    @property
    def uncovered(self) -> list[DayCoverage]:
        return [d for d in self.days if d.held < d.needed]


def coverage(*, circle: Circle, days: int = COVERAGE_DAYS) -> Coverage:
    """Per local day over the next `days` days: slots needed on open tasks and slots held (one query)."""
    first = today_in(circle.timezone)
    last = first + timedelta(days=days - 1)
    held_slots = case(
        (Task.covered_elsewhere_at.is_not(None), Task.capacity),
        (Task.claimed > Task.capacity, Task.capacity),
        else_=Task.claimed,
    )
    rows = db.session.execute(
        select(Task.local_date, func.sum(Task.capacity), func.sum(held_slots))
        .where(
            Task.circle_id == circle.id,
            Task.status == TaskStatus.OPEN,
            Task.ends_at > now(),
            Task.local_date >= first,
            Task.local_date <= last,
        )
        .group_by(Task.local_date)
    ).all()
    by_day = {day: (int(needed or 0), int(held or 0)) for day, needed, held in rows}
    window = [first + timedelta(days=n) for n in range(days)]
    per_day = [DayCoverage(d, *by_day.get(d, (0, 0))) for d in window]
    return Coverage(days=per_day, needed=sum(d.needed for d in per_day), held=sum(d.held for d in per_day))


@dataclass(frozen=True)
class WeekCount:
    week_start: date  # the Monday, in the circle's own time zone
    count: int

    @property
    def label(self) -> str:
        return f"{self.week_start:%-d %b}"


def weekly_active(*, circle_id: int, weeks: int = ACTIVE_WEEKS) -> list[WeekCount]:
    """Distinct supporters who helped or said yes in each local week (Monday first), oldest first.

    One query fetches every (person, moment) in the window; weeks are counted
    here so the week boundary is the circle's midnight, not the database's.
    """
    circle = db.session.get(Circle, circle_id)  # already loaded by the page: no query
    if circle is None:
        raise NotFound("No such circle.")
    today = today_in(circle.timezone)
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = to_utc_lenient(mondays[0], time(0, 0), circle.timezone)
    rows = db.session.execute(
        select(Event.subject_id, Event.occurred_at)
        .join(Membership, (Membership.circle_id == Event.circle_id) & (Membership.user_id == Event.subject_id))
        .where(
            Event.circle_id == circle.id,
            Event.kind.in_(ACTIVE_KINDS),
            Event.occurred_at >= since,
            Membership.role == SUPPORTER,
        )
    ).all()
    people: dict[date, set[int]] = defaultdict(set)
    for subject_id, occurred_at in rows:
        day = local(occurred_at, circle.timezone).date()
        people[day - timedelta(days=day.weekday())].add(subject_id)
    return [WeekCount(monday, len(people.get(monday, ()))) for monday in mondays]


@dataclass(frozen=True)
class LoadRow:
    user_id: int
    name: str
    count: int
    share: float  # of all tasks held or done in the window
    above_cap: bool


def load_table(load: Load) -> list[LoadRow]:
    """Who carried what share of tasks over the last weeks, heaviest first, flagging anyone past the cap."""
    total = sum(load.counts.values())
    names = load.names
    rows = [
        LoadRow(
            user_id, names.get(user_id, "Someone who left"), count, count / total if total else 0.0, load.above(user_id)
        )
        for user_id, count in load.counts.items()
        if count > 0
    ]
    return sorted(rows, key=lambda r: (-r.count, r.name))


@dataclass(frozen=True)
class DriftRow:
    user_id: int
    name: str
    reason: str


def drift_table(*, circle_id: int) -> list[DriftRow]:
    """Supporters well below their own earlier pace or not answering asks, most unanswered first."""
    return [DriftRow(d.user_id, d.name, d.reason) for d in drifting(circle_id=circle_id)]


def health_summary(*, circle: Circle, membership: Membership) -> dict:
    """What the health page shows this person: everything for coordinators, a gentle part or nothing for the patient.

    `view` is "full", "gentle" or "hidden". Load and drift name people who may be
    tired or struggling, so they are only ever computed for coordinators.
    """
    settings = health_settings(circle)
    if membership.role == COORDINATOR:
        load = circle_load(circle_id=circle.id, factor=settings.fair_share_factor)
        return {
            "view": "full",
            "settings": settings,
            "coverage": coverage(circle=circle),
            "weeks": weekly_active(circle_id=circle.id),
            "load": load_table(load),
            "fair_share": load if math.isfinite(load.cap) else None,
            "load_weeks": LOAD_WEEKS,
            "drift": drift_table(circle_id=circle.id),
            "week": week_story(circle=circle, load=load),  # what the service did this week, and why
        }
    if membership.role == PATIENT:
        if settings.patient_view != "gentle":
            return {"view": "hidden", "settings": settings}
        return {
            "view": "gentle",
            "settings": settings,
            "coverage": coverage(circle=circle),
            "weeks": weekly_active(circle_id=circle.id),
        }
    raise NotFound("No such page.")


def health_settings_save(*, circle: Circle, actor: User, values: dict) -> HealthSettings:
    """Store changed settings (Invalid names the field at fault) and note who changed what."""
    before = asdict(health_settings(circle))
    settings = health_settings_update(circle=circle, values=values)
    changed = sorted(k for k, v in asdict(settings).items() if before[k] != v)
    if changed:
        activity_record(
            kind="circle.settings_changed",
            circle_id=circle.id,
            actor_id=actor.id,
            data={"health_settings": changed},
        )
    return settings
