"""Posting needs and turning them into tasks.

A need says what would help and when; `tasks_generate` turns it into one task
per occurrence over a rolling window (8 weeks by default). The window starts at
the later of today and the need's first date, so a one-off planned months ahead
gets its task at once and a series that starts months ahead gets its first weeks
at once (people can sign up for the first treatment ride as soon as it is known);
later dates are shown as planned and become tasks as the window reaches them.
Needs can be planned up to 18 months ahead. Generation is idempotent: the
(need, occurrence date) pair is unique in the database, and dates already
generated are skipped, so the scheduler can run it any time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from coordinator.categories import category_get
from coordinator.clock import PLAN_AHEAD_MONTHS, last_plannable, now, to_utc, today_in
from coordinator.errors import Invalid, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle
from coordinator.models.needs import CAPACITY_MAX, VISIBILITIES, Need, Task, TaskStatus
from coordinator.services.care.recurrence import Repeat, occurrence_dates, rule_from
from coordinator.services.care.task_changes import task_cancel, task_moments, task_reschedule
from coordinator.services.care.tasks import future_tasks
from coordinator.services.health.activity import activity_record
from coordinator.services.people.closing import circle_open_check

TITLE_MAX = 120
NOTES_MAX = 2000
ADDRESS_MAX = 500
DEFAULT_LENGTH = timedelta(hours=1)


@dataclass
class NeedInput:
    category: str
    title: str
    start_date: date | None
    notes: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    address: str = ""
    visibility: str = "circle"
    capacity: int | None = 1
    anytime: bool = False
    start_time: time | None = None
    end_time: time | None = None
    fold: int | None = None
    repeat: Repeat = field(default_factory=Repeat)


def window_days() -> int:
    return current_app.config["NEEDS_HORIZON_DAYS"]


def horizon(zone_name: str, *, first: date | None = None) -> date:
    """The last date tasks are generated through: the rolling window from today, or from `first` if later."""
    today = today_in(zone_name)
    return max(today, first or today) + timedelta(days=window_days())


def _text(value: str, *, limit: int, field: str, what: str, required: bool = False) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise Invalid(f"Enter {what}.", field=field)
    if len(cleaned) > limit:
        raise Invalid(f"Keep {what} under {limit} characters.", field=field)
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in cleaned):
        raise Invalid(f"Remove the control characters from {what}.", field=field)
    return cleaned


def _times(data: NeedInput) -> tuple[time | None, time | None]:
    if data.anytime:
        return None, None
    if data.start_time is None:
        raise Invalid("Enter a start time.", field="start_time")
    end = data.end_time
    if end is None:
        later = datetime.combine(date.min, data.start_time) + DEFAULT_LENGTH
        end = later.time() if later.date() == date.min else time(23, 59)
    if end <= data.start_time:
        raise Invalid("The end time must be after the start time.", field="end_time")
    return data.start_time, end


def _check_date(day: date | None, *, today: date, editing: bool) -> None:
    if day is None:
        raise Invalid("Choose a date.", field="start_date")
    if editing:
        return
    if day < today:
        raise Invalid("That date has passed. Choose today or later.", field="start_date")
    last = last_plannable(today)
    if day > last:
        raise Invalid(
            f"Choose a date up to {last:%a %-d %b %Y}: needs can be planned up to {PLAN_AHEAD_MONTHS} months ahead.",
            field="start_date",
        )


def need_validate(data: NeedInput, *, circle: Circle, editing: bool = False) -> dict[str, Any]:
    """Check everything a person typed; return the cleaned fields of a Need (without times' UTC).

    Every problem is reported at once (Problems), so a form needs one submit to show them all. A time
    that happens twice that day is an AmbiguousTime among them: the form then asks which one.
    """
    problems = Problems.collector()
    category = None
    cleaned: dict[str, Any] = {"visibility": data.visibility, "capacity": data.capacity, "anytime": data.anytime}
    with problems.check():
        category = category_get(data.category)
    with problems.check():
        cleaned["title"] = " ".join(
            _text(data.title, limit=TITLE_MAX, field="title", what="a title", required=True).split()
        )
    with problems.check():
        cleaned["notes"] = _text(data.notes, limit=NOTES_MAX, field="notes", what="the notes")
    with problems.check():
        asks_address = category is None or category.address_label is not None
        cleaned["address"] = (
            _text(data.address, limit=ADDRESS_MAX, field="address", what="the address") if asks_address else ""
        )
    with problems.check():
        if data.visibility not in VISIBILITIES:
            raise Invalid("Choose who can see this.", field="visibility")
    with problems.check():
        if data.capacity is None or not 1 <= data.capacity <= CAPACITY_MAX:
            raise Invalid(f"Ask for between 1 and {CAPACITY_MAX} people.", field="capacity")
    with problems.check():
        cleaned["details"] = category.parse_details(data.details) if category else {}
    times_ok = date_ok = False
    with problems.check():
        cleaned["start_time"], cleaned["end_time"] = _times(data)
        times_ok = True
    with problems.check():
        _check_date(data.start_date, today=today_in(circle.timezone), editing=editing)
        date_ok = True
    if date_ok and times_ok and cleaned["start_time"] is not None and not editing:
        with problems.check():
            starts_at = to_utc(
                data.start_date, cleaned["start_time"], circle.timezone, fold=data.fold, field="start_time"
            )
            if starts_at <= now() and data.repeat.frequency == "none":
                raise Invalid("That time has passed. Choose a later time.", field="start_time")
            to_utc(data.start_date, cleaned["end_time"], circle.timezone, fold=data.fold, field="end_time")
    if date_ok:
        with problems.check():
            cleaned["rrule"] = rule_from(data.repeat, start=data.start_date)
    else:  # still say what's wrong with the repeat itself (not its dates), so one submit shows everything
        try:
            rule_from(data.repeat, start=today_in(circle.timezone))
        except Invalid as error:
            own = [p for p in error.problems if p.field in {"frequency", "ends", "count", "weeks"}]
            if own:
                with problems.check():
                    raise Problems(own) from None
    problems.raise_if_any()
    return cleaned | {"category": category.key, "start_date": data.start_date, "fold": data.fold}


def need_post(*, circle: Circle, author: User, data: NeedInput) -> Need:
    """Post a need and generate its tasks over the rolling window."""
    circle_open_check(circle)
    need = Need(
        circle_id=circle.id, timezone=circle.timezone, created_by_id=author.id, **need_validate(data, circle=circle)
    )
    db.session.add(need)
    db.session.flush()
    tasks = tasks_generate(need, through=horizon(circle.timezone, first=need.start_date))
    if not tasks:
        raise Invalid("Every date in that pattern has already passed. Choose a later time or date.", field="start_time")
    activity_record(
        kind="need.posted",
        circle_id=circle.id,
        actor_id=author.id,
        object_type="need",
        object_id=need.id,
        data={"category": need.category, "tasks": len(tasks), "recurring": need.recurring},
    )
    return need


def tasks_generate(need: Need, *, through: date) -> list[Task]:
    """Create the need's missing tasks up to `through`; returns the new ones. Safe to repeat."""
    if need.cancelled_at is not None:
        return []
    after = need.generated_until
    dates = occurrence_dates(need.rrule, start=need.start_date, through=through, after=after)
    existing = set(db.session.scalars(select(Task.series_date).where(Task.need_id == need.id)))
    created = []
    cutoff = now()
    for day in dates:
        if day in existing:
            continue
        fold = need.fold if day == need.start_date else None
        starts_at, ends_at = task_moments(need, day, start=need.start_time, end=need.end_time, fold=fold)
        if ends_at <= cutoff:
            continue
        task = Task(
            need=need,
            circle_id=need.circle_id,
            series_date=day,
            local_date=day,
            start_time=need.start_time,
            end_time=need.end_time,
            timezone=need.timezone,
            anytime=need.anytime,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=need.capacity,
        )
        db.session.add(task)
        created.append(task)
    need.generated_until = max(through, need.generated_until or through) if need.recurring else through
    db.session.flush()
    return created


def needs_extend(*, circle_id: int | None = None) -> int:
    """Extend every live recurring need to its rolling window; returns how many tasks were created."""
    query = (
        select(Need)
        .join(Circle, Circle.id == Need.circle_id)
        .where(Need.rrule != "", Need.cancelled_at.is_(None), Circle.closed_at.is_(None))
    )
    if circle_id is not None:
        query = query.where(Need.circle_id == circle_id)
    created = 0
    for need in db.session.scalars(query):
        through = horizon(need.timezone, first=need.start_date)
        if need.generated_until is None or need.generated_until < through:
            created += len(tasks_generate(need, through=through))
    return created


def need_update(*, need: Need, actor: User, data: NeedInput) -> None:
    """Edit the whole series: every upcoming occurrence not edited on its own follows.

    Occurrences the new pattern no longer includes are cancelled (their holders
    are told); holders of occurrences that move are told; new dates are added.
    """
    if need.cancelled_at is not None:
        raise Invalid("This need was cancelled. Post a new one instead.")
    data.start_date = need.start_date
    cleaned = need_validate(data, circle=need.circle, editing=True)
    upcoming = [t for t in future_tasks(need) if not t.detached]
    for task in upcoming:
        if cleaned["capacity"] < task.claimed:
            raise Invalid(
                f"{task.claimed} people already have {task.local_date:%a %-d %b}. "
                f"Ask for at least {task.claimed}, or unassign someone first.",
                field="capacity",
            )
    for name, value in cleaned.items():
        setattr(need, name, value)
    keep = set(
        occurrence_dates(need.rrule, start=need.start_date, through=horizon(need.timezone, first=need.start_date))
    )
    for task in upcoming:
        if task.series_date not in keep:
            task_cancel(task=task, actor=actor)
            continue
        task.capacity = need.capacity
        task.anytime = need.anytime
        task_reschedule(task, day=task.series_date, start=need.start_time, end=need.end_time, actor=actor)
    for task in _reopen_cancelled(need, keep):
        task_reschedule(task, day=task.series_date, start=need.start_time, end=need.end_time, actor=actor)
    need.generated_until = None
    tasks_generate(need, through=horizon(need.timezone, first=need.start_date))
    activity_record(
        kind="need.changed", circle_id=need.circle_id, actor_id=actor.id, object_type="need", object_id=need.id
    )


def _reopen_cancelled(need: Need, dates: set[date]) -> list[Task]:
    """Occurrences cancelled by an earlier edit come back if the new pattern includes them again."""
    reopened = []
    for task in db.session.scalars(
        select(Task).where(Task.need_id == need.id, Task.status == TaskStatus.CANCELLED, Task.detached.is_(False))
    ):
        if task.series_date in dates and task.series_date >= today_in(need.timezone):
            task.status, task.cancelled_at = TaskStatus.OPEN, None
            task.capacity, task.anytime = need.capacity, need.anytime
            reopened.append(task)
    return reopened


def need_cancel(*, need: Need, actor: User) -> int:
    """Cancel the need and every upcoming occurrence; returns how many occurrences were cancelled."""
    if need.cancelled_at is not None:
        return 0
    upcoming = future_tasks(need)
    for task in upcoming:
        task_cancel(task=task, actor=actor)
    need.cancelled_at = now()
    activity_record(
        kind="need.cancelled", circle_id=need.circle_id, actor_id=actor.id, object_type="need", object_id=need.id
    )
    return len(upcoming)
