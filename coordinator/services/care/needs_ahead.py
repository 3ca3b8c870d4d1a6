"""Looking ahead at a need: the dates of a series still to open, and posted help a new need would repeat.

Kept apart from services/care/needs.py (posting and generating) because both only read: the need page lists
the planned dates, and the need form warns about a duplicate before anything is written.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from coordinator.clock import now
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models.circles import Circle
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.needs import NeedInput, horizon, need_validate
from coordinator.services.care.recurrence import MAX_SPAN, occurrence_dates


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
