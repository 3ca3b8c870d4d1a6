"""Acting before a need goes unmet: ask the right few, then more, then tell a coordinator.

Run by the scheduler. For each open task it climbs a ladder, one rung at a
time as the day comes closer (the days are per-circle settings):

1. the best one for it (best_few, a setting): they offer that kind of help, are
   free then, are within their asks this week and the spacing between asks
   (services/texting/ask_budget.py) and the fair-share cap, have answered asks
   before, and have been asked least recently; if nobody said yes within 12
   hours, the next one;
2. everyone else who suits it, a batch at a time: the likeliest, only as many as
   should bring 1.5 yeses per open spot (nudges.likely_enough), the next batch a
   day later;
3. the first coordinator in line, with a one-tap page to ask everyone or mark it
   covered another way;
4. if nobody acted on that in time, the next coordinator in line.

A ride on a treatment plan's day must not go uncovered: it climbs each rung twice as early.
Every ask is one text that also offers up to two more open tasks that suit the
person (offers.py). Issue 18's simulation chose these rules (bench/README.md).

Each pass ends with re-engagement (reengage.py): one gentle, concrete ask to
each supporter who is drifting away, and quiet archiving if that goes
unanswered for weeks. Nobody is nagged. Here too: the coordinator's one-tap
answers to an alert ("ask everyone", "we've got it another way").
"""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.circles import COORDINATOR, Circle, Membership, MembershipStatus
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.plan_expansion import VISIT_KINDS
from coordinator.services.care.plan_quiet import quiet_visit_check
from coordinator.services.care.tasks import sms_context
from coordinator.services.health.activity import activity_record
from coordinator.services.health.asking import CircleState, Outcome
from coordinator.services.health.nudges import Nudge, likely_enough, nudge_line, nudge_pick
from coordinator.services.health.offers import offer_queue
from coordinator.services.health.reengage import reengage
from coordinator.services.health.settings import HealthSettings, health_settings
from coordinator.services.texting.coordinator_notices import HOLD, coordinator_acted, coordinator_notice, first_told
from coordinator.sms.segments import segments
from coordinator.urls import public_url

BEST, WIDER, ALERTED, BACKUP = 1, 2, 3, 4
LOOK_AHEAD = timedelta(days=30)
NEXT_FEW_AFTER = timedelta(hours=12)  # nobody of the best few said yes: ask the next few (a yes comes within hours)
NEXT_BATCH_AFTER = timedelta(days=1)  # nobody of the wider rung's batch said yes: ask the next likeliest
MUST_NOT_FAIL = 2  # a treatment-day ride is asked about, asked widely, and alerted on twice as early


def open_tasks(circle_id: int | None = None) -> list[Task]:
    moment = now()
    query = (
        select(Task)
        .join(Need, Need.id == Task.need_id)
        .join(Circle, Circle.id == Task.circle_id)
        .options(contains_eager(Task.need))
        .where(
            Circle.closed_at.is_(None),  # a closing circle asks nothing more of anyone
            Task.status == TaskStatus.OPEN,
            Task.claimed < Task.capacity,
            Task.covered_elsewhere_at.is_(None),
            Task.starts_at > moment + timedelta(hours=1),
            Task.starts_at < moment + LOOK_AHEAD,
        )
        .order_by(Task.circle_id, Task.starts_at)
    )
    if circle_id is not None:
        query = query.where(Task.circle_id == circle_id)
    return list(db.session.scalars(query))


def must_not_fail(task: Task) -> bool:
    """A ride on a treatment plan's day: the need that must not go uncovered (services/care/plans.py)."""
    return task.need.category == "ride" and task.need.plan_day_id is not None


def target_stage(task: Task, settings: HealthSettings) -> int:
    """The rung a task should be on by now; a must-not-fail ride climbs each rung MUST_NOT_FAIL times as early."""
    left = task.starts_at - now()
    factor = MUST_NOT_FAIL if must_not_fail(task) else 1
    if left <= timedelta(days=max(settings.alert_days * factor, factor - 1)):
        return ALERTED
    if left <= timedelta(days=settings.wider_ask_days * factor):
        return WIDER
    if left <= timedelta(days=settings.first_ask_days * factor):
        return BEST
    return 0


def outreach_run(*, circle_id: int | None = None) -> Outcome:
    """One pass of the ladder, re-engagement and archiving over every circle (or one)."""
    outcome = Outcome()
    tasks = open_tasks(circle_id)
    by_circle: dict[int, list[Task]] = {}
    for task in tasks:
        by_circle.setdefault(task.circle_id, []).append(task)
    states = {}
    for cid, circle_tasks in by_circle.items():
        quiet = quiet_visit_check(cid) if any(t.need.category in VISIT_KINDS for t in circle_tasks) else None
        # a visit on the patient's no-visitor days (her treatment plan): nobody is asked, nor offered it
        askable = [t for t in circle_tasks if quiet is None or not quiet(t)]
        states[cid] = state = CircleState.load_for(db.session.get(Circle, cid), askable)
        for task in askable:
            climb(task, state, outcome)
    backups(outcome, circle_id=circle_id)
    open_circles = select(Circle.id).where(Circle.closed_at.is_(None))
    if circle_id is not None:
        open_circles = open_circles.where(Circle.id == circle_id)
    circles = list(db.session.scalars(open_circles))
    for cid in circles:
        reengage(db.session.get(Circle, cid), outcome, state=states.get(cid))
    return outcome


def climb(task: Task, state: CircleState, outcome: Outcome) -> None:
    target = target_stage(task, state.settings)
    if target == BEST == task.ask_stage and _quiet_since(task, state, NEXT_FEW_AFTER):
        ask(task, state.candidates(task, limit_to=state.settings.best_few), state, outcome)  # the next few
        return
    if target == WIDER == task.ask_stage and _quiet_since(task, state, NEXT_BATCH_AFTER, never=True):
        ask(task, wider_batch(task, state), state, outcome)  # no yes from the last batch: the next likeliest
        return
    if target <= task.ask_stage:
        return
    if target >= BEST and task.ask_stage < BEST and target == BEST:
        ask(task, state.candidates(task, limit_to=state.settings.best_few), state, outcome)
    if target >= WIDER and task.ask_stage < WIDER:
        ask(task, wider_batch(task, state), state, outcome)
    if target >= ALERTED and task.ask_stage < ALERTED and state.coordinators:
        alert(task, state.coordinators[0], state.circle, backup=False, nudge=nudge_pick(state=state, task=task))
        task.alerted_at = now()
        outcome.alerts += 1
    task.ask_stage = min(target, ALERTED)
    activity_record(
        kind="task.escalated",
        circle_id=task.circle_id,
        object_type="task",
        object_id=task.id,
        data={"stage": task.ask_stage},
    )


def _quiet_since(task: Task, state: CircleState, wait: timedelta, *, never: bool = False) -> bool:
    """Nobody said yes in `wait` since the last ask about `task` (`never`: or nobody was ever asked)."""
    last = state.last_ask.get(task.id)
    return never if last is None else last < now() - wait


def wider_batch(task: Task, state: CircleState) -> list[Membership]:
    """Everyone else who suits it, likeliest first, but only as many as should bring a yes per open spot."""
    people = state.candidates(task, limit_to=None, stretch=must_not_fail(task))
    return likely_enough(state=state, task=task, people=people)


def ask(task: Task, people: list[Membership], state: CircleState, outcome: Outcome) -> None:
    """One text to each person: about `task`, and up to two more open tasks that suit them (offers.py)."""
    context = sms_context(task)
    for member in people:
        offered = offer_queue(
            state=state, member=member, task=task, context=context, send_by=task.starts_at - timedelta(hours=1)
        )
        if offered:
            member.last_asked_at = now()
            state.asked_now.add(member.user_id)
            state.pending[member.user_id] += 1  # one text: a yes to one of its tasks
            state.budget.spend(member.user_id)
            activity_record(
                kind="ask.sent",
                circle_id=task.circle_id,
                subject_id=member.user_id,
                object_type="task",
                object_id=task.id,
                data={"with": [t.id for t in offered[1:]]} if len(offered) > 1 else {},
            )
            outcome.asked += 1
            outcome.by_task[task.id] = outcome.by_task.get(task.id, 0) + 1


def alert(task: Task, coordinator: Membership, circle: Circle, *, backup: bool, nudge: Nudge | None = None) -> None:
    """Tell a coordinator nobody has said yes; naming the one person worth a call if the text stays one segment."""
    context = sms_context(task) | {"url": public_url("outreach.task", circle_id=circle.id, task_id=task.id)}
    if nudge is not None:
        line = nudge_line(nudge)
        if segments(render_template("sms/alert.txt", **context, nudge=line).strip()).count <= 1:
            context["nudge"] = line  # else the outreach page the text links to names them (ask_picture)
    coordinator_notice(  # said with a DROP notice for this task still held for this coordinator, if any
        user=coordinator.user,
        kind="alert_backup" if backup else "alert",
        key=f"alert:{task.id}:{coordinator.user_id}",
        context=context,
        task=task,
    )
    activity_record(
        kind="alert.sent",
        circle_id=circle.id,
        subject_id=coordinator.user_id,
        object_type="task",
        object_id=task.id,
        data={"backup": backup},
    )


def backups(outcome: Outcome, *, circle_id: int | None) -> None:
    """Alerts nobody acted on in time go to the next coordinator in line.

    The wait runs from when coordinators were first told the task needs someone (a DROP notice may come
    before the alert), and any coordinator acting on the task since then keeps the backup out of it.
    """
    moment = now()
    query = (
        select(Task)
        .join(Circle, Circle.id == Task.circle_id)
        .where(
            Circle.closed_at.is_(None),
            Task.ask_stage == ALERTED,
            Task.alert_handled_at.is_(None),
            Task.covered_elsewhere_at.is_(None),
            Task.status == TaskStatus.OPEN,
            Task.claimed < Task.capacity,
            Task.starts_at > moment,
        )
    )
    if circle_id is not None:
        query = query.where(Task.circle_id == circle_id)
    for task in db.session.scalars(query):
        circle = db.session.get(Circle, task.circle_id)
        wait = timedelta(hours=health_settings(circle).backup_after_hours)
        told = first_told(task) or task.alerted_at
        if task.alerted_at is None or task.alerted_at + HOLD > moment or told + wait > moment:
            continue
        if coordinator_acted(task, since=told):
            task.ask_stage = BACKUP  # a coordinator has it in hand
            continue
        line = list(
            db.session.scalars(
                select(Membership)
                .where(
                    Membership.circle_id == circle.id,
                    Membership.role == COORDINATOR,
                    Membership.status == MembershipStatus.ACTIVE,
                )
                .order_by(Membership.created_at, Membership.id)
            )
        )
        task.ask_stage = BACKUP
        if len(line) > 1:
            alert(task, line[1], circle, backup=True)
            outcome.backups += 1


def ask_everyone(*, task: Task, actor: Membership) -> int:
    """A coordinator's one tap: ask everyone reachable not yet asked who may see the task (not those who said
    never, nor the overloaded: asking.everyone_left)."""
    state = CircleState.load_for(actor.circle, [task])
    people = state.everyone_left(task, stretch=must_not_fail(task)).left
    before = len(state.asked)
    ask(task, people, state, Outcome())
    alert_handled(task=task, actor=actor)
    return len(state.asked) - before


def covered_elsewhere(*, task: Task, actor: Membership) -> None:
    """ "We've got it another way": stop asking, count it as covered."""
    task.covered_elsewhere_at = now()
    alert_handled(task=task, actor=actor)
    activity_record(
        kind="task.covered_elsewhere",
        circle_id=task.circle_id,
        actor_id=actor.user_id,
        object_type="task",
        object_id=task.id,
    )


def alert_handled(*, task: Task, actor: Membership) -> None:
    if task.alert_handled_at is None:
        db.session.execute(update(Task).where(Task.id == task.id).values(alert_handled_at=now()))
        db.session.refresh(task)
        activity_record(
            kind="alert.handled",
            circle_id=task.circle_id,
            actor_id=actor.user_id,
            object_type="task",
            object_id=task.id,
        )
