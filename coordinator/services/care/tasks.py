"""Tasks: who may see them, the lists people browse, and what a text may say about one.

Visibility is one rule used everywhere: managers (the patient and coordinators)
see every task; supporters see tasks for the whole circle, plus inner-circle
tasks if the patient put them in the inner circle. A task's address and private
details are one more rule (`can_see_address`), used by the task page, "my
tasks" and the calendar feed alike. Everything here only reads; changing an
occurrence (cancel, move, edit) is task_changes.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from coordinator.categories import CATEGORIES
from coordinator.clock import local, now, short_time, today_in
from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Membership
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Need, Task, TaskStatus


def visible_tasks(membership: Membership) -> Select:
    """Tasks of the member's circle that this member may see, with their needs loaded."""
    return (
        select(Task)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .where(*visible_conditions(membership))
    )


def visible_conditions(membership: Membership) -> list:
    """The conditions of `visible_tasks`, for a query that joins `needs` and selects other columns."""
    conditions = [Task.circle_id == membership.circle_id]
    if not membership.manages and not membership.inner_circle:
        conditions.append(Need.visibility == "circle")
    return conditions


def task_for(membership: Membership, task_id: int) -> Task:
    task = db.session.scalar(visible_tasks(membership).where(Task.id == task_id))
    if task is None:
        raise NotFound("No such task.")
    return task


def can_see_address(membership: Membership, task: Task, claim: Claim | None, *, at: datetime | None = None) -> bool:
    """Whether this member may see the task's address and private details (a pickup door, a destination).

    The patient and coordinators always may. A supporter may only while the job
    is theirs to do: from taking it until it is over, that is until its end time
    passes, they mark it done, give it back or it is cancelled. A supporter who
    drove once does not keep the patient's address for good.
    """
    if membership.manages:
        return True
    if claim is None or claim.user_id != membership.user_id or claim.status != ClaimStatus.HELD:
        return False
    return not task.cancelled and task.ends_at > (at or now())


@dataclass(frozen=True)
class TaskFilter:
    category: str | None = None
    start: date | None = None
    end: date | None = None
    open_only: bool = False


def tasks_list(membership: Membership, filters: TaskFilter, *, limit: int = 300, offset: int = 0) -> list[Task]:
    """Upcoming tasks for the list page, soonest first (`offset` of them skipped), with their needs."""
    query = visible_tasks(membership).where(Task.ends_at > now())
    if not membership.manages:
        query = query.where(Task.status == TaskStatus.OPEN)
    if filters.category in CATEGORIES:
        query = query.where(Need.category == filters.category)
    if filters.start:
        query = query.where(Task.local_date >= filters.start)
    if filters.end:
        query = query.where(Task.local_date <= filters.end)
    if filters.open_only:
        query = query.where(Task.claimed < Task.capacity, Task.status == TaskStatus.OPEN)
    query = query.order_by(Task.starts_at, Task.id).limit(limit)
    return list(db.session.scalars(query.offset(offset) if offset else query))


def claims_by_task(task_ids: list[int], *, user_id: int | None = None) -> dict[int, list[Claim]]:
    """Live claims for these tasks (optionally only one person's), with claimers, in one query."""
    if not task_ids:
        return {}
    query = (
        select(Claim)
        .join(User, User.id == Claim.user_id)
        .options(contains_eager(Claim.user))  # one query, whether or not any task has claims
        .where(Claim.task_id.in_(task_ids), Claim.status != ClaimStatus.RELEASED)
        .order_by(Claim.created_at, Claim.id)
    )
    if user_id is not None:
        query = query.where(Claim.user_id == user_id)
    grouped: dict[int, list[Claim]] = {}
    for claim in db.session.scalars(query):
        grouped.setdefault(claim.task_id, []).append(claim)
    return grouped


def tasks_mine(membership: Membership, *, include_past_days: int = 7) -> list[tuple[Task, Claim]]:
    """The member's live claims in this circle, upcoming first (and the last week's, to mark done)."""
    since = now() - timedelta(days=include_past_days)
    rows = db.session.execute(
        select(Task, Claim)
        .join(Claim, Claim.task_id == Task.id)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .where(
            Claim.user_id == membership.user_id,
            Claim.circle_id == membership.circle_id,
            Claim.status != ClaimStatus.RELEASED,
            Task.ends_at > since,
        )
        .order_by(Task.starts_at, Task.id)
    ).all()
    return [(task, claim) for task, claim in rows]


def _held_timed(user_id: int, *, starts_before, ends_after):
    """Open, timed tasks the person holds (in any circle) that overlap the window."""
    return (
        select(Task)
        .join(Claim, Claim.task_id == Task.id)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .where(
            Claim.user_id == user_id,
            Claim.status == ClaimStatus.HELD,
            Task.status == TaskStatus.OPEN,
            Task.anytime.is_(False),
            Task.starts_at < starts_before,
            Task.ends_at > ends_after,
        )
    )


def overlapping(user_id: int, task: Task) -> list[Task]:
    """Timed tasks the person holds (in any circle) that overlap `task`."""
    if task.anytime:
        return []
    query = _held_timed(user_id, starts_before=task.ends_at, ends_after=task.starts_at).where(Task.id != task.id)
    return list(db.session.scalars(query))


def sms_context(task: Task, *, on: date | None = None) -> dict:
    """What a text may say about a task: the patient's first name, the kind of help, the local time, the code.

    Never the title or notes (people type medical details there) and never an address.
    `on` is the local date the text will be read ("tomorrow" is relative to it).
    """
    moment = local(task.starts_at, task.timezone)
    today = on or today_in(task.timezone)
    if task.anytime:
        when = f"by {moment - timedelta(seconds=1):%a %-d %b}"
    elif task.local_date == today:
        when = f"today at {short_time(moment.time())}"
    elif task.local_date == today + timedelta(days=1):
        when = f"tomorrow at {short_time(moment.time())}"
    else:
        when = f"{moment:%a %-d %b} at {short_time(moment.time())}"
    return {
        "first_name": task.need.circle.patient_first_name,
        "noun": CATEGORIES[task.need.category].noun,
        "when": when,
        "code": task.code,
    }


def future_tasks(need: Need) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.need_id == need.id, Task.status == TaskStatus.OPEN, Task.ends_at > now())
            .order_by(Task.starts_at)
        )
    )


def held_overlaps(user_id: int, tasks: list[Task]) -> dict[int, Task]:
    """For a page of tasks: which ones overlap a timed task the person already holds (one query)."""
    timed = [t for t in tasks if not t.anytime]
    if not timed:
        return {}
    window = _held_timed(
        user_id, starts_before=max(t.ends_at for t in timed), ends_after=min(t.starts_at for t in timed)
    )
    held = list(db.session.scalars(window))
    found = {}
    for task in timed:
        for other in held:
            if other.id != task.id and other.starts_at < task.ends_at and other.ends_at > task.starts_at:
                found[task.id] = other
                break
    return found
