"""Looking ahead at a need: its dates still to come, the dates of a series still to open, and posted help a new
need would repeat.

Kept apart from services/care/needs.py (posting and generating) because all of it only reads: the need page lists
the upcoming and planned dates, and the need form warns about a duplicate before anything is written.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from coordinator.clock import now
from coordinator.errors import Invalid, NotFound
from coordinator.extensions import db
from coordinator.models.circles import Circle
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.needs import NeedInput, horizon, need_validate
from coordinator.services.care.recurrence import MAX_SPAN, occurrence_dates

UPCOMING_SHOWN = 200  # a need's page lists at most this many of its dates still to come


def need_for(*, circle_id: int, need_id: int) -> Need:
    """One need of this circle; NotFound for any other (another circle's is as good as none)."""
    need = db.session.scalar(select(Need).where(Need.id == need_id, Need.circle_id == circle_id))
    if need is None:
        raise NotFound("No such need.")
    return need


def need_upcoming_tasks(need: Need, *, limit: int = UPCOMING_SHOWN) -> list[Task]:
    """The need's dates that haven't ended yet (taken, open or cancelled), soonest first."""
    return list(
        db.session.scalars(
            select(Task).where(Task.need_id == need.id, Task.ends_at > now()).order_by(Task.starts_at).limit(limit)
        )
    )


def need_planned_dates(need: Need, *, limit: int = 12) -> list[date]:
    """Dates of the series beyond the tasks made so far (they become tasks as the window reaches them)."""
    if not need.recurring or need.cancelled_at is not None:
        return []
    through = need.start_date + MAX_SPAN
    return occurrence_dates(need.rrule, start=need.start_date, through=through, after=need.generated_until)[:limit]


def need_duplicates(*, circle: Circle, data: NeedInput) -> list[Task]:
    """Open tasks of the same kind of help on the new need's first dates at an overlapping time (one query).

    Returns nothing when the input has problems: posting it will say what they are.
    """
    try:
        cleaned = need_validate(data, circle=circle)
    except Invalid:
        return []
    first = cleaned["start_date"]
    dates = occurrence_dates(cleaned["rrule"], start=first, through=horizon(circle.timezone, first=first))
    start, end = cleaned["start_time"], cleaned["end_time"]
    found = db.session.scalars(
        select(Task)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .where(
            Task.circle_id == circle.id,
            Need.category == cleaned["category"],
            Need.cancelled_at.is_(None),
            Task.status == TaskStatus.OPEN,
            Task.local_date.in_(dates),
            Task.ends_at > now(),
        )
        .order_by(Task.starts_at, Task.id)
    )
    return [
        task for task in found if task.anytime or start is None or (task.start_time < end and start < task.end_time)
    ]
