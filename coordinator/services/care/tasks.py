"""Tasks: who may see them, the lists people browse, and changing one occurrence.

Visibility is one rule used everywhere: managers (the patient and coordinators)
see every task; supporters see tasks for the whole circle, plus inner-circle
tasks if the patient put them in the inner circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import contains_eager, selectinload

from coordinator.categories import CATEGORIES
from coordinator.clock import (
    PLAN_AHEAD_MONTHS,
    end_of_day_utc,
    last_plannable,
    local,
    now,
    short_time,
    to_utc,
    to_utc_lenient,
    today_in,
)
from coordinator.errors import Conflict, Invalid, NotFound, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Membership
from coordinator.models.claims import HELD, RELEASED, Claim
from coordinator.models.needs import CAPACITY_MAX, Need, Task
from coordinator.services.health.activity import activity_record
from coordinator.services.texting.messages import messages_cancel, notify

MOVE_NOTICE = timedelta(minutes=5)  # moves smaller than this are not worth a text


def visible_tasks(membership: Membership) -> Select:
    """Tasks of the member's circle that this member may see, with their needs loaded."""
    query = (
        select(Task)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .where(Task.circle_id == membership.circle_id)
    )
    if not membership.manages and not membership.inner_circle:
        query = query.where(Need.visibility == "circle")
    return query


def task_for(membership: Membership, task_id: int) -> Task:
    task = db.session.scalar(visible_tasks(membership).where(Task.id == task_id))
    if task is None:
        raise NotFound("No such task.")
    return task


@dataclass(frozen=True)
class TaskFilter:
    category: str | None = None
    start: date | None = None
    end: date | None = None
    open_only: bool = False


def tasks_list(membership: Membership, filters: TaskFilter, *, limit: int = 300) -> list[Task]:
    """Upcoming tasks for the list page, soonest first, claims (and claimers) loaded in one go."""
    query = visible_tasks(membership).where(Task.ends_at > now())
    if not membership.manages:
        query = query.where(Task.status == "open")
    if filters.category in CATEGORIES:
        query = query.where(Need.category == filters.category)
    if filters.start:
        query = query.where(Task.local_date >= filters.start)
    if filters.end:
        query = query.where(Task.local_date <= filters.end)
    if filters.open_only:
        query = query.where(Task.claimed < Task.capacity, Task.status == "open")
    query = query.order_by(Task.starts_at, Task.id).limit(limit)
    return list(db.session.scalars(query))


def tasks_week(membership: Membership, first_day: date) -> list[Task]:
    """Every visible task on the seven local dates from `first_day` (to the calendar's end, near date.max)."""
    last_day = first_day + timedelta(days=6) if first_day <= date.max - timedelta(days=6) else date.max
    query = visible_tasks(membership).where(Task.local_date >= first_day, Task.local_date <= last_day)
    if not membership.manages:
        query = query.where(Task.status == "open")
    return list(db.session.scalars(query.order_by(Task.starts_at, Task.id)))


def claims_by_task(task_ids: list[int], *, user_id: int | None = None) -> dict[int, list[Claim]]:
    """Live claims for these tasks (optionally only one person's), with claimers, in one query."""
    if not task_ids:
        return {}
    query = (
        select(Claim)
        .join(User, User.id == Claim.user_id)
        .options(contains_eager(Claim.user))  # one query, whether or not any task has claims
        .where(Claim.task_id.in_(task_ids), Claim.status != RELEASED)
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
            Claim.status != RELEASED,
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
            Claim.status == HELD,
            Task.status == "open",
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


def live_claims(task: Task) -> list[Claim]:
    return list(
        db.session.scalars(
            select(Claim).options(selectinload(Claim.user)).where(Claim.task_id == task.id, Claim.status != RELEASED)
        )
    )


def _tell_claimers(task: Task, *, kind: str, key: str, actor: User) -> None:
    context = sms_context(task)
    for claim in live_claims(task):
        if claim.user_id == actor.id:
            continue
        notify(
            user=claim.user,
            kind=kind,
            key=f"{key}:{claim.id}",
            context=context,
            circle_id=task.circle_id,
            task_id=task.id,
        )


def task_cancel(*, task: Task, actor: User) -> None:
    """Cancel one occurrence; everyone holding it is told."""
    if task.cancelled:
        return
    _tell_claimers(task, kind="task_cancelled", key=f"task-cancelled:{task.id}", actor=actor)
    messages_cancel(task_id=task.id, kinds=("reminder", "checkin"))
    # Free the spots: the holders were told, and a reopened task must start empty.
    db.session.execute(
        update(Claim)
        .where(Claim.task_id == task.id, Claim.status == HELD)
        .values(status=RELEASED, released_at=now(), release_note="Task cancelled")
        .execution_options(synchronize_session=False)
    )
    task.status = "cancelled"
    task.cancelled_at = now()
    task.claimed = 0
    db.session.flush()
    activity_record(
        kind="task.cancelled", circle_id=task.circle_id, actor_id=actor.id, object_type="task", object_id=task.id
    )


def task_moments(
    need: Need, day: date, *, start: time | None, end: time | None, fold: int | None
) -> tuple[datetime, datetime]:
    """UTC start and end of an occurrence on `day` (for "any time before" tasks, both are the deadline)."""
    if need.anytime or start is None:
        deadline = end_of_day_utc(day, need.timezone)
        return deadline, deadline
    if fold is not None:
        return to_utc(day, start, need.timezone, fold=fold), to_utc(day, end, need.timezone, fold=fold)
    starts_at = to_utc_lenient(day, start, need.timezone)
    return starts_at, max(to_utc_lenient(day, end, need.timezone), starts_at)


def task_reschedule(
    task: Task, *, day: date, start: time | None, end: time | None, actor: User, fold: int | None = None
) -> bool:
    """Move one task to a new date/time; tells its claimers if it moved noticeably. True if it moved."""
    starts_at, ends_at = task_moments(task.need, day, start=start, end=end, fold=fold)
    moved = abs(starts_at - task.starts_at) >= MOVE_NOTICE or abs(ends_at - task.ends_at) >= MOVE_NOTICE
    task.local_date, task.start_time, task.end_time = day, start, end
    task.starts_at, task.ends_at = starts_at, ends_at
    db.session.flush()
    if moved:
        messages_cancel(task_id=task.id, kinds=("reminder", "checkin"))  # re-planned for the new time
        _tell_claimers(task, kind="task_moved", key=f"task-moved:{task.id}:{starts_at:%Y%m%dT%H%M}", actor=actor)
        activity_record(
            kind="task.moved",
            circle_id=task.circle_id,
            actor_id=actor.id,
            object_type="task",
            object_id=task.id,
            data={"starts_at": starts_at.isoformat()},
        )
    return moved


def task_update(
    *,
    task: Task,
    actor: User,
    day: date | None,
    start: time | None,
    end: time | None,
    capacity: int | None,
    notes: str | None,
    fold: int | None = None,
    check_only: bool = False,
) -> None:
    """Edit this occurrence only; later edits to the series leave it alone. Every problem is reported at once.

    With `check_only`, report the problems and change nothing (for a form that could not read every field).
    """
    if task.cancelled:
        raise Conflict("This task was cancelled; post a new need instead.")
    problems = Problems.collector()
    with problems.check():
        today = today_in(task.timezone)
        if day is None:
            raise Invalid("Choose a date.", field="local_date")
        if day < today:
            raise Invalid("That date has passed. Choose today or later.", field="local_date")
        if day > last_plannable(today):
            raise Invalid(
                f"Choose a date up to {last_plannable(today):%a %-d %b %Y}: "
                f"dates can be planned up to {PLAN_AHEAD_MONTHS} months ahead.",
                field="local_date",
            )
    if not task.anytime:
        with problems.check():
            if start is None:
                raise Invalid("Enter a start time.", field="start_time")
        with problems.check():
            if end is None or (start is not None and end <= start):
                raise Invalid("The end time must be after the start time.", field="end_time")
    with problems.check():
        if capacity is None or not 1 <= capacity <= CAPACITY_MAX:
            raise Invalid(f"Ask for between 1 and {CAPACITY_MAX} people.", field="capacity")
        if capacity < task.claimed:
            raise Invalid(
                f"{task.claimed} people already have this task. Ask for at least {task.claimed}, "
                "or unassign someone first.",
                field="capacity",
            )
    with problems.check():
        if notes is not None and len(notes) > 2000:
            raise Invalid("Keep the notes under 2000 characters.", field="notes")
    problems.raise_if_any()
    if check_only:
        return
    task.capacity = capacity
    task.notes = notes if notes else None
    task.detached = True
    if task.anytime:
        start = end = None
    task_reschedule(task, day=day, start=start, end=end, actor=actor, fold=fold)
    activity_record(
        kind="task.changed", circle_id=task.circle_id, actor_id=actor.id, object_type="task", object_id=task.id
    )


def future_tasks(need: Need) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.need_id == need.id, Task.status == "open", Task.ends_at > now())
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


def open_task_count(membership: Membership, *, days: int) -> int:
    """How many visible tasks in the next `days` days still need someone."""
    query = visible_tasks(membership).where(
        Task.status == "open",
        Task.claimed < Task.capacity,
        Task.ends_at > now(),
        Task.starts_at < now() + timedelta(days=days),
    )
    return db.session.scalar(select(func.count()).select_from(query.subquery()))
