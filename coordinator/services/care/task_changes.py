"""Changing one occurrence of a need: cancel it, move it, or edit its date, time, people and notes.

An edit here touches this task only (it is marked detached, so later edits to
the series leave it alone). Whoever holds the task is told by text when it is
cancelled or moves noticeably, and the reminders already planned for it are
dropped (a moved task's are planned again for its new time). Every problem with
an edit is reported at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from coordinator.clock import PLAN_AHEAD_MONTHS, end_of_day_utc, last_plannable, now, to_utc, to_utc_lenient, today_in
from coordinator.errors import Conflict, Invalid, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import CAPACITY_MAX, Need, Task, TaskStatus
from coordinator.services.care.tasks import sms_context
from coordinator.services.health.activity import activity_record
from coordinator.services.texting.messages import messages_cancel, notify

MOVE_NOTICE = timedelta(minutes=5)  # moves smaller than this are not worth a text


def live_claims(task: Task) -> list[Claim]:
    return list(
        db.session.scalars(
            select(Claim)
            .options(selectinload(Claim.user))
            .where(Claim.task_id == task.id, Claim.status != ClaimStatus.RELEASED)
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


def task_cancel(*, task: Task, actor: User, tell: bool = True) -> None:
    """Cancel one occurrence; everyone holding it is told (`tell=False`: the caller tells them, once for many)."""
    if task.cancelled:
        return
    if tell:
        _tell_claimers(task, kind="task_cancelled", key=f"task-cancelled:{task.id}", actor=actor)
    messages_cancel(task_id=task.id, kinds=("reminder", "checkin"))
    # Free the spots: the holders were told, and a reopened task must start empty.
    db.session.execute(
        update(Claim)
        .where(Claim.task_id == task.id, Claim.status == ClaimStatus.HELD)
        .values(status=ClaimStatus.RELEASED, released_at=now(), release_note="Task cancelled")
        .execution_options(synchronize_session=False)
    )
    task.status = TaskStatus.CANCELLED
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
    task: Task,
    *,
    day: date,
    start: time | None,
    end: time | None,
    actor: User,
    fold: int | None = None,
    tell: bool = True,
) -> bool:
    """Move one task to a new date/time; tells its claimers if it moved noticeably (unless the caller will,
    `tell=False`, once for many tasks: a treatment plan's delay). True if it moved."""
    starts_at, ends_at = task_moments(task.need, day, start=start, end=end, fold=fold)
    moved = abs(starts_at - task.starts_at) >= MOVE_NOTICE or abs(ends_at - task.ends_at) >= MOVE_NOTICE
    new_start = starts_at != task.starts_at  # reminders and check-ins are keyed by the start
    task.local_date, task.start_time, task.end_time = day, start, end
    task.starts_at, task.ends_at = starts_at, ends_at
    db.session.flush()
    if new_start:  # even by a minute: one keyed by the old start would go besides the new one, at the old time
        messages_cancel(task_id=task.id, kinds=("reminder", "checkin"))  # re-planned for the new start
    if moved:
        if tell:
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
