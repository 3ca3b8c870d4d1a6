"""Task lists sized for a phone: one screen of the task list, a week that sums up its busy days, who holds what.

A circle can hold thousands of tasks; a phone shows a few dozen. The task list
shows the next two weeks, at most SCREEN_TASKS tasks, and says where the next
screen starts (a date and how many of that date's tasks were already shown), so
"Show more" is an ordinary link. The week calendar lists a day's tasks when
they are few and, for a busy day, says how many there are and how many still
need someone, with a link to that day. Each function is one query, whatever the
circle's size, and loads only what the page prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import and_, case, func, or_, select

from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Membership
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.tasks import TaskFilter, tasks_list, visible_conditions, visible_tasks

SCREEN_TASKS = 30  # tasks on one screen of the list
SCREEN_DAYS = 14  # days on one screen of the list
DAY_LISTED = 8  # a calendar day with more tasks than this is summed up, with a link to the day
SKIP_MAX = 10_000  # a "skip" beyond any real day's tasks is treated as this


@dataclass(frozen=True)
class Screen:
    tasks: list[Task]
    more_from: date | None  # where "Show more" starts, or None when nothing follows
    more_skip: int  # how many tasks of `more_from` this screen (and those before) already showed


def task_screen(membership: Membership, filters: TaskFilter, *, today: date, skip: int = 0) -> Screen:
    """One screen of the list: from `filters.start` (or today) for SCREEN_DAYS days, at most SCREEN_TASKS tasks.

    `skip` is how many of the first day's tasks earlier screens showed (a day can hold more than a screen).
    """
    skip = min(max(skip, 0), SKIP_MAX)
    first = filters.start or today
    rows = tasks_list(membership, filters, limit=SCREEN_TASKS + 1, offset=skip)
    horizon = min(first, date.max - timedelta(days=SCREEN_DAYS)) + timedelta(days=SCREEN_DAYS - 1)  # never past 9999
    shown = [t for t in rows[:SCREEN_TASKS] if t.local_date <= horizon] or rows[:SCREEN_TASKS]
    if len(rows) == len(shown):
        return Screen(shown, None, 0)
    following = rows[len(shown)].local_date
    already = sum(1 for t in shown if t.local_date == following) + (skip if following == first else 0)
    return Screen(shown, following, already)


class Claimer(NamedTuple):
    """Someone holding a task, as lists show them: a name, never contact details."""

    task_id: int
    user_id: int
    name: str
    status: str


def claimers_by_task(task_ids: list[int], *, user_id: int | None = None) -> dict[int, list[Claimer]]:
    """Who holds each of these tasks (live claims, earliest first; optionally one person's), in one light query."""
    if not task_ids:
        return {}
    query = (
        select(Claim.task_id, Claim.user_id, User.name, Claim.status)
        .join(User, User.id == Claim.user_id)
        .where(Claim.task_id.in_(task_ids), Claim.status != ClaimStatus.RELEASED)
        .order_by(Claim.created_at, Claim.id)
    )
    if user_id is not None:
        query = query.where(Claim.user_id == user_id)
    grouped: dict[int, list[Claimer]] = {}
    for row in db.session.execute(query):
        grouped.setdefault(row.task_id, []).append(Claimer(*row))
    return grouped


@dataclass(frozen=True)
class Day:
    day: date
    tasks: list[Task]  # every task of the day, or none when it is summed up
    total: int  # tasks on the day
    needing: int  # of those, how many still need someone

    @property
    def summed_up(self) -> bool:
        return self.total > len(self.tasks)


def week_days(membership: Membership, first_day: date) -> list[Day]:
    """The seven days from `first_day`: each day's tasks, or for a busy day only its counts (one query)."""
    last_day = first_day + timedelta(days=6) if first_day <= date.max - timedelta(days=6) else date.max
    needs_someone = and_(
        Task.status == TaskStatus.OPEN, Task.claimed < Task.capacity, Task.covered_elsewhere_at.is_(None)
    )
    scope = [*visible_conditions(membership), Task.local_date >= first_day, Task.local_date <= last_day]
    if not membership.manages:
        scope.append(Task.status == TaskStatus.OPEN)
    by_day = {"partition_by": Task.local_date}
    ranked = (
        select(
            Task.id,
            func.row_number().over(order_by=(Task.starts_at, Task.id), **by_day).label("n"),
            func.count().over(**by_day).label("total"),
            func.sum(case((needs_someone, 1), else_=0)).over(**by_day).label("needing"),
        )
        .join(Need, Need.id == Task.need_id)
        .where(*scope)
        .subquery()
    )
    rows = db.session.execute(
        visible_tasks(membership)
        .add_columns(ranked.c.total, ranked.c.needing)
        .join(ranked, ranked.c.id == Task.id)
        .where(or_(ranked.c.total <= DAY_LISTED, ranked.c.n == 1))
        .order_by(Task.starts_at, Task.id)
    ).all()
    found: dict[date, Day] = {}
    for task, total, needing in rows:
        day = found.setdefault(task.local_date, Day(task.local_date, [], int(total), int(needing or 0)))
        if total <= DAY_LISTED:
            day.tasks.append(task)
    days = []
    current = first_day
    while current <= last_day:
        days.append(found.get(current, Day(current, [], 0, 0)))
        if current == date.max:
            break
        current += timedelta(days=1)
    return days
