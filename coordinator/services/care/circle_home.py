"""What a circle's first page puts in front of each person, so nobody has to go looking.

A supporter first sees the few open tasks that suit them, soonest first, each
one tap from "I'll do it", and what they already said yes to. The patient and
coordinators first see what waits on them: people asking to join, tasks nobody
answered the asks for, requests the patient sent by text, and the days of the
coming week that still need someone. Nothing here claims cover it can't see: a
circle with nothing asked for says so, and says what to do next.

Each function runs a fixed number of queries, however big the circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, case, exists, func, or_

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.circles import Membership
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.invitations import JoinRequest
from coordinator.models.needs import Task, TaskStatus
from coordinator.services.care.matching import suits
from coordinator.services.care.task_lists import Claimer, claimers_by_task
from coordinator.services.care.tasks import tasks_mine, visible_tasks
from coordinator.services.people.members import people_waiting

WEEK = timedelta(days=7)
SUGGEST = 4  # open tasks shown to a supporter on their first screen
LOOK_AHEAD = 40  # how many soonest open tasks are weighed to find those that suit
WEEK_SHOWN = 30  # tasks of the coming week listed for managers; the count covers the rest
ALERTED = 3  # Task.ask_stage once coordinators were alerted that nobody answered


@dataclass
class SupporterHome:
    suggestions: list[Task]  # open tasks that suit them, soonest first
    more_open: bool  # other open tasks exist beyond the suggestions
    mine: list[tuple[Task, Claim]]  # what they said yes to, soonest first


@dataclass
class ManagerHome:
    join_requests: list[JoinRequest]
    alerts: list[Task]  # nobody answered the asks; a coordinator was told
    week: list[Task]  # the coming seven days' tasks, soonest first
    week_total: int  # how many tasks the coming week holds (week may show fewer)
    week_needing: int  # of those, how many still need someone
    claims: dict[int, list[Claimer]] = field(default_factory=dict)  # who holds each of the week's tasks


def supporter_home(membership: Membership) -> SupporterHome:
    """Open tasks that suit this supporter (two queries) and their own upcoming ones (one)."""
    held = exists().where(
        Claim.task_id == Task.id, Claim.user_id == membership.user_id, Claim.status != ClaimStatus.RELEASED
    )
    candidates = list(
        db.session.scalars(
            visible_tasks(membership)
            .where(
                Task.status == TaskStatus.OPEN,
                Task.claimed < Task.capacity,
                Task.covered_elsewhere_at.is_(None),
                Task.ends_at > now(),
                ~held,
            )
            .order_by(Task.starts_at, Task.id)
            .limit(LOOK_AHEAD)
        )
    )
    suiting = [task for task in candidates if suits(membership, task)]
    mine = [(task, claim) for task, claim in tasks_mine(membership, include_past_days=0)]
    return SupporterHome(
        suggestions=suiting[:SUGGEST],
        more_open=len(candidates) > len(suiting[:SUGGEST]),
        mine=mine[:5],
    )


def manager_home(membership: Membership, *, waiting: int | None = None) -> ManagerHome:
    """What waits on the patient and coordinators (two queries, three when people wait to join).

    `waiting` is how many join requests are pending when the caller already
    counted them (services/people/setup.circle_counts): none skips their lookup.
    """
    circle_id = membership.circle_id
    requests = people_waiting(circle_id=circle_id) if waiting != 0 else []
    moment = now()
    needs_someone = and_(Task.claimed < Task.capacity, Task.covered_elsewhere_at.is_(None))
    alerted = and_(Task.ask_stage >= ALERTED, Task.alert_handled_at.is_(None), needs_someone)
    in_week = Task.starts_at < moment + WEEK
    rows = db.session.execute(
        visible_tasks(membership)
        .add_columns(
            func.sum(case((in_week, 1), else_=0)).over().label("total"),
            func.sum(case((and_(in_week, needs_someone), 1), else_=0)).over().label("needing"),
        )
        .where(Task.status == TaskStatus.OPEN, Task.ends_at > moment, or_(in_week, alerted))
        .order_by(case((alerted, 0), else_=1), Task.starts_at, Task.id)
        .limit(WEEK_SHOWN)
    ).all()
    tasks = sorted((row[0] for row in rows), key=lambda t: (t.starts_at, t.id))
    week = [t for t in tasks if t.starts_at < moment + WEEK]
    alerts = [t for t in tasks if t.ask_stage >= ALERTED and t.alert_handled_at is None and t.open_spots]
    return ManagerHome(
        join_requests=requests,
        alerts=alerts,
        week=week,
        week_total=int(rows[0].total or 0) if rows else 0,
        week_needing=int(rows[0].needing or 0) if rows else 0,
        claims=claimers_by_task([t.id for t in week]),
    )
