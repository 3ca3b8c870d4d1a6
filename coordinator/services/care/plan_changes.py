"""Delays are one edit: moving or cancelling treatment days moves or cancels every need made for them.

"Cycle 3 moved to next Friday", or "everything from cycle 3 on moves a week": the days move, and so does
each need hung on them and its task, by the same number of days. Whoever holds a moved task keeps it if
they can still make it: each holder gets ONE text listing everything of theirs that moved (not one per
task), with OK/DROP as ever; their confirmation is asked again, and the usual check-in the evening before
the new date goes to them whatever their reminder choices, so nobody who stays silent is assumed. A
cancelled day cancels its needs the same way, with one text per holder. Asks still waiting with an old
date are withdrawn and the ladder starts again for the new one. Texts never name the plan or treatment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from coordinator.categories import CATEGORIES
from coordinator.clock import PLAN_AHEAD_MONTHS, last_plannable, local, now, short_time, today_in
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.models.plans import Plan, PlanDay, PlanDayStatus
from coordinator.services.care.plan_expansion import (
    MEAL_KINDS,
    VISIT_KINDS,
    live_days,
    quiet_blocks,
    quiet_by_date,
    rule_times,
)
from coordinator.services.care.task_changes import task_cancel, task_moments, task_reschedule
from coordinator.services.health.activity import activity_record
from coordinator.services.texting.messages import messages_cancel, notify
from coordinator.services.texting.quiet_hours import zone_for
from coordinator.services.texting.reminders import check_in_time


@dataclass(frozen=True)
class Change:
    days: int  # treatment days changed
    tasks: int  # tasks moved or cancelled
    told: int  # people texted (one text each)


def days_affected(plan: Plan, day: PlanDay, *, following: bool) -> list[PlanDay]:
    """The day itself, or it and every later live day of the same treatment."""
    if not following:
        return [day]
    return [d for d in day.treatment.days if d.number >= day.number and not d.cancelled]


def _when(task: Task) -> str:
    """A date that stays true however long the text waits: "Fri 9 Jan at 9am", "any time by Sat 10 Jan"."""
    if task.anytime:
        return f"any time by {local(task.starts_at, task.timezone) - timedelta(seconds=1):%a %-d %b}"
    moment = local(task.starts_at, task.timezone)
    return f"{moment:%a %-d %b} at {short_time(moment.time())}"


def _linked(day_ids: list[int]) -> list[tuple[Need, Task]]:
    """Live needs of these days and their upcoming open tasks (one query)."""
    if not day_ids:
        return []
    rows = db.session.execute(
        select(Need, Task)
        .join(Task, Task.need_id == Need.id)
        .options(contains_eager(Task.need))
        .where(
            Need.plan_day_id.in_(day_ids),
            Need.cancelled_at.is_(None),
            Task.status == TaskStatus.OPEN,
            Task.ends_at > now(),
        )
        .order_by(Task.starts_at, Task.id)
    ).all()
    return [(need, task) for need, task in rows]


def _holders(task_ids: list[int]) -> list[Claim]:
    if not task_ids:
        return []
    return list(
        db.session.scalars(
            select(Claim)
            .join(User, User.id == Claim.user_id)
            .join(Membership, (Membership.circle_id == Claim.circle_id) & (Membership.user_id == Claim.user_id))
            .options(contains_eager(Claim.user))
            .where(
                Claim.task_id.in_(task_ids),
                Claim.status == ClaimStatus.HELD,
                Membership.status == MembershipStatus.ACTIVE,
            )
            .order_by(Claim.id)
        )
    )


def _items(tasks: list[Task]) -> list[dict]:
    return [{"noun": CATEGORIES[t.need.category].noun, "code": t.code, "when": _when(t)} for t in tasks]


def _tell(*, kind: str, circle: Circle, claims: list[Claim], tasks: dict[int, Task], actor: User) -> set[int]:
    """One text per holder listing all their tasks; returns who was told. The key makes a repeat a no-op."""
    by_user: dict[int, list[Claim]] = {}
    for claim in claims:
        if claim.user_id != actor.id:
            by_user.setdefault(claim.user_id, []).append(claim)
    told = set()
    for user_id, held in by_user.items():
        mine = sorted((tasks[c.task_id] for c in held), key=lambda t: (t.starts_at, t.id))
        digest = hashlib.sha256("|".join(f"{t.id}@{t.starts_at:%Y%m%dT%H%M}" for t in mine).encode()).hexdigest()[:16]
        written = notify(
            user=held[0].user,
            kind=kind,
            key=f"{kind}:{user_id}:{digest}",
            context={"first_name": circle.patient_first_name, "items": _items(mine)},
            circle_id=circle.id,
        )
        if written:
            told.add(user_id)
    return told


def _ask_again(claims: list[Claim], tasks: dict[int, Task], circle: Circle) -> None:
    """Holders of moved tasks confirm again: the evening-before check-in goes to each, whatever their choices."""
    moment = now()
    for claim in claims:
        task, user = tasks[claim.task_id], claim.user
        due = check_in_time(task, user, zone_for(user, circle.timezone))
        if due <= moment:
            continue  # the new date is close: the move text itself is the question
        notify(
            user=user,
            kind="checkin",
            key=f"checkin:{claim.id}:day_before:{task.starts_at:%Y%m%dT%H%M}",  # the key reminders_plan would use
            context={
                "first_name": circle.patient_first_name,
                "noun": CATEGORIES[task.need.category].noun,
                "when": _when(task),
                "code": task.code,
            },
            circle_id=circle.id,
            task_id=task.id,
            claim_id=claim.id,
            due_at=due,
            send_by=task.starts_at,
        )


def _restart_asking(tasks: list[Task]) -> None:
    """Asks written with the old date are withdrawn; the ladder asks again for the new one."""
    for task in tasks:
        messages_cancel(task_id=task.id, kinds=("ask",))
        if task.claimed < task.capacity:
            task.ask_stage = 0


@dataclass(frozen=True)
class _Moving:
    need: Need
    task: Task
    start: time | None  # its times after the move
    end: time | None
    timed: bool  # its time follows the appointment's (a ride that leaves 45 minutes before it)


def _moving(plan: Plan, days: list[PlanDay], *, shift: timedelta, at: time | None) -> list[_Moving]:
    """The help on these days that a move changes, with its times afterwards.

    A new date moves everything hung on the days; a new time moves only what is timed from the appointment,
    as posting it at that time would have, never the evening meal or the visit two days later.
    """
    rules = {rule.id: rule for rule in plan.rules}
    treatments = {d.id: d.treatment for d in days}
    moving = []
    for need, task in _linked([d.id for d in days]):
        rule = rules.get(need.plan_rule_id)
        timed = at is not None and rule is not None and rule.lead_minutes is not None and not rule.anytime
        start, end = rule_times(rule, at, treatments[need.plan_day_id]) if timed else (task.start_time, task.end_time)
        if shift or (start, end) != (task.start_time, task.end_time):  # not a ride that can't start before midnight
            moving.append(_Moving(need, task, start, end, timed))
    return moving


def plan_move_check(*, day: PlanDay, circle: Circle, to: date | None, at: time | None) -> None:
    """Refuse a move that can't be made, before anything is asked or written (`at` equal to the day's time: none)."""
    at = None if at == day.start_time else at
    if day.cancelled:
        raise Invalid("That day was cancelled, so it can't be moved.")
    if to is None:
        raise Invalid("Choose the new date.", field="to")
    if to == day.local_date and at is None:
        raise Invalid("That's the date and time it already has. Choose another.", field="to")
    today = today_in(circle.timezone)
    if to < today:
        raise Invalid("That date has passed. Choose today or later.", field="to")
    if at is not None and to == today and at <= local(now(), circle.timezone).time():
        raise Invalid("That time has passed. Choose a later time.", field="at")


def plan_day_move(
    *,
    plan: Plan,
    circle: Circle,
    day: PlanDay,
    to: date | None,
    following: bool,
    actor: User,
    at: time | None = None,
) -> Change:
    """Move a treatment day (and, with `following`, every later one) to `to`, and to the time `at` if given,
    with all that hangs on them."""
    plan_move_check(day=day, circle=circle, to=to, at=at)
    at = None if at == day.start_time else at
    today = today_in(circle.timezone)
    delta = to - day.local_date
    days = days_affected(plan, day, following=following)
    if any(d.local_date + delta > last_plannable(today) for d in days):
        raise Invalid(f"That would move a date past {PLAN_AHEAD_MONTHS} months ahead.", field="to")
    moving = _moving(plan, days, shift=delta, at=at)
    for move in moving:
        if move.task.local_date + delta < today:
            raise Invalid("That would move some help to a date that has passed. Choose a later date.", field="to")
        day_after = move.task.local_date + delta
        if task_moments(move.need, day_after, start=move.start, end=move.end, fold=None)[0] <= now():
            noun = CATEGORIES[move.need.category].noun
            later, field = ("time", "at") if at else ("date", "to")
            raise Invalid(f"That would move a {noun} to a time that has passed. Choose a later {later}.", field=field)
    for moved in days:
        moved.local_date += delta
        moved.start_time = at or moved.start_time
        moved.status = PlanDayStatus.PLANNED if moved.local_date == moved.series_date else PlanDayStatus.MOVED
    for need in {move.need.id: move.need for move in moving}.values():
        need.start_date += delta
    tasks = {}
    for move in moving:
        if move.timed:
            move.need.start_time, move.need.end_time = move.start, move.end
            if move.need.details and "appointment_time" in move.need.details:
                move.need.details = {**move.need.details, "appointment_time": at.strftime("%H:%M")}
        day_after = move.task.local_date + delta
        task_reschedule(move.task, day=day_after, start=move.start, end=move.end, actor=actor, tell=False)
        tasks[move.task.id] = move.task
    claims = _holders(list(tasks))
    db.session.execute(
        update(Claim)
        .where(Claim.id.in_([c.id for c in claims]))
        .values(confirmed_at=None)
        .execution_options(synchronize_session=False)
    )
    told = _tell(kind="plan_moved", circle=circle, claims=claims, tasks=tasks, actor=actor)
    _ask_again([c for c in claims if c.user_id != actor.id], tasks, circle)
    _restart_asking(list(tasks.values()))
    db.session.flush()
    quiet_apply(plan=plan, circle=circle, actor=actor)  # a moved day's quiet stretch may now cover another's visit
    activity_record(
        kind="plan.moved",
        circle_id=circle.id,
        actor_id=actor.id,
        object_type="plan",
        object_id=plan.id,
        data={
            "days": len(days),
            "by_days": delta.days,
            "to_time": at.strftime("%H:%M") if at else None,
            "tasks": len(tasks),
            "told": len(told),
        },
    )
    return Change(days=len(days), tasks=len(tasks), told=len(told))


def plan_tasks_cancel(*, plan: Plan, circle: Circle, linked: list[tuple[Need, Task]], actor: User) -> Change:
    """Cancel these plan-made tasks and their needs, telling each holder once (one text listing them all)."""
    tasks = {task.id: task for _, task in linked}
    claims = _holders(list(tasks))
    told = _tell(kind="plan_cancelled", circle=circle, claims=claims, tasks=tasks, actor=actor)
    for task in tasks.values():
        task_cancel(task=task, actor=actor, tell=False)
    moment = now()
    for need in {need.id: need for need, _ in linked}.values():
        need.cancelled_at = moment
    db.session.flush()
    return Change(days=0, tasks=len(tasks), told=len(told))


def plan_day_cancel(*, plan: Plan, circle: Circle, day: PlanDay, following: bool, actor: User) -> Change:
    """Cancel a treatment day (or it and every later one) and the needs made for them; one text per holder."""
    if day.cancelled:
        raise Invalid("That day is already cancelled.")
    days = days_affected(plan, day, following=following)
    change = plan_tasks_cancel(plan=plan, circle=circle, linked=_linked([d.id for d in days]), actor=actor)
    db.session.execute(  # needs with no task still to come (their dates passed, or not made yet) go too
        update(Need)
        .where(Need.plan_day_id.in_([d.id for d in days]), Need.cancelled_at.is_(None))
        .values(cancelled_at=now())
        .execution_options(synchronize_session=False)
    )
    for cancelled in days:
        cancelled.status = PlanDayStatus.CANCELLED
    db.session.flush()
    activity_record(
        kind="plan.cancelled_days",
        circle_id=circle.id,
        actor_id=actor.id,
        object_type="plan",
        object_id=plan.id,
        data={"days": len(days), "tasks": change.tasks, "told": change.told},
    )
    return Change(days=len(days), tasks=change.tasks, told=change.told)


def plan_change_preview(
    *, plan: Plan, day: PlanDay, following: bool, to: date | None = None, at: time | None = None
) -> Change:
    """What a cancel (or a move to `to`, and `at`) would touch, for the question asked first (nothing written)."""
    days = days_affected(plan, day, following=following)
    if to is None:
        tasks = [task for _, task in _linked([d.id for d in days])]
    else:
        at = None if at == day.start_time else at
        tasks = [move.task for move in _moving(plan, days, shift=to - day.local_date, at=at)]
    holders = {c.user_id for c in _holders([t.id for t in tasks])}
    return Change(days=len(days), tasks=len(tasks), told=len(holders))


def quiet_apply(*, plan: Plan, circle: Circle, actor: User) -> Change:
    """Withdraw posted visits that now fall in a quiet stretch; give posted meals there the drop-off note."""
    quiet = quiet_by_date(plan, live_days(plan))
    if not quiet:
        return Change(days=0, tasks=0, told=0)
    rows = db.session.execute(
        select(Need, Task)
        .join(Task, Task.need_id == Need.id)
        .options(contains_eager(Task.need))
        .where(
            Need.plan_id == plan.id,
            Need.category.in_(VISIT_KINDS | MEAL_KINDS),
            Need.cancelled_at.is_(None),
            Task.status == TaskStatus.OPEN,
            Task.ends_at > now(),
        )
        .order_by(Task.starts_at, Task.id)
    ).all()
    withdrawn = []
    for need, task in rows:
        stretch = quiet.get(task.local_date)
        if quiet_blocks(stretch, need.category, task.start_time, task.end_time):
            withdrawn.append((need, task))
        elif need.category in MEAL_KINDS and stretch is not None and stretch.note:
            if (need.details or {}).get("dropoff") != stretch.note:
                need.details = dict(need.details or {}) | {"dropoff": stretch.note}
    return plan_tasks_cancel(plan=plan, circle=circle, linked=withdrawn, actor=actor)
