"""Acting before a need goes unmet: ask the right few, then more, then tell a coordinator.

Run by the scheduler. For each open task it climbs a ladder, one rung at a
time as the day comes closer (the days are per-circle settings):

1. the best few supporters for it: they offer that kind of help, are free then,
   are under their weekly ask limit and the fair-share cap, have answered asks
   before, and have been asked least recently;
2. everyone else who suits it;
3. the first coordinator in line, with a one-tap page to ask everyone or mark it
   covered another way;
4. if nobody acted on that in time, the next coordinator in line.

It also sends one gentle, concrete ask to each supporter who is drifting away,
and, if that goes unanswered for weeks, quietly archives them. Nobody is nagged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.activity import Event
from coordinator.models.circles import ACTIVE, ARCHIVED, COORDINATOR, SUPPORTER, Circle, Membership
from coordinator.models.claims import RELEASED, Claim
from coordinator.models.messages import Message
from coordinator.models.needs import Need, Task
from coordinator.services.care.matching import suits
from coordinator.services.care.tasks import sms_context
from coordinator.services.health.activity import activity_record
from coordinator.services.health.load import ACTIVE_KINDS, Load, answered_before, circle_load, drifting
from coordinator.services.health.settings import HealthSettings, health_settings
from coordinator.services.texting.messages import notify
from coordinator.urls import public_url

BEST, WIDER, ALERTED, BACKUP = 1, 2, 3, 4
LOOK_AHEAD = timedelta(days=30)
SMALL_KINDS = ("call", "visit", "errands", "other", "meal")  # good first steps back
REENGAGE_EVERY = timedelta(weeks=8)
NEXT_FEW_AFTER = timedelta(hours=36)  # nobody of the best few said yes: ask the next few
PENDING_FOR = timedelta(days=2)  # an ask this recent may still get a yes, so it counts toward the cap


@dataclass
class Outcome:
    asked: int = 0
    alerts: int = 0
    backups: int = 0
    reengaged: int = 0
    archived: int = 0
    by_task: dict[int, int] = field(default_factory=dict)


@dataclass
class CircleState:
    """What the ladder needs to know about one circle, loaded in a fixed number of queries."""

    circle: Circle
    settings: HealthSettings
    tasks: list[Task]
    supporters: list[Membership]
    coordinators: list[Membership]
    load: Load
    answered: set[int]
    asks_week: Counter
    asked: set[tuple[int, int]]
    pending: Counter  # asks about still-open tasks, sent lately and not yet answered
    holders: set[tuple[int, int]]
    last_ask: dict[int, datetime]
    asked_now: set[int] = field(default_factory=set)

    @classmethod
    def load_for(cls, circle: Circle, tasks: list[Task]) -> CircleState:
        settings = health_settings(circle)
        members = list(
            db.session.scalars(
                select(Membership)
                .options(joinedload(Membership.user))
                .where(Membership.circle_id == circle.id, Membership.status == ACTIVE)
                .order_by(Membership.created_at, Membership.id)
            )
        )
        task_ids = [t.id for t in tasks]
        week_ago = now() - timedelta(days=7)
        asks_week = Counter(
            dict(
                db.session.execute(
                    select(Message.user_id, func.count())
                    .where(
                        Message.circle_id == circle.id,
                        Message.kind.in_(("ask", "digest", "reengage")),
                        Message.created_at > week_ago,
                        Message.status != "cancelled",
                    )
                    .group_by(Message.user_id)
                ).all()
            )
        )
        asks: list = []
        holders: set = set()
        if task_ids:
            asks = db.session.execute(
                select(Message.task_id, Message.user_id, Message.created_at, Message.status).where(
                    Message.kind == "ask", Message.task_id.in_(task_ids)
                )
            ).all()
            holders = set(
                db.session.execute(
                    select(Claim.task_id, Claim.user_id).where(Claim.task_id.in_(task_ids), Claim.status != RELEASED)
                ).all()
            )
        last_ask: dict[int, datetime] = {}
        for task_id, _, at, _ in asks:
            last_ask[task_id] = max(at, last_ask.get(task_id, at))
        lately = now() - PENDING_FOR
        return cls(
            circle=circle,
            settings=settings,
            tasks=tasks,
            supporters=[m for m in members if m.role == SUPPORTER],
            coordinators=[m for m in members if m.role == COORDINATOR],
            load=circle_load(circle_id=circle.id, factor=settings.fair_share_factor),
            answered=answered_before(circle_id=circle.id),
            asks_week=asks_week,
            asked={(task_id, user_id) for task_id, user_id, _, _ in asks},
            pending=Counter(
                user_id
                for task_id, user_id, at, status in asks
                if at > lately and status != "cancelled" and (task_id, user_id) not in holders
            ),
            holders=holders,
            last_ask=last_ask,
        )

    def candidates(self, task: Task, *, limit_to: int | None) -> list[Membership]:
        """Who may be asked about `task`, best first."""
        eligible = [
            m
            for m in self.supporters
            if m.user.can_text
            and (task.id, m.user_id) not in self.asked
            and (task.id, m.user_id) not in self.holders
            and self.asks_week[m.user_id] < m.asks_per_week
            and self.has_room(m.user_id)  # yes to all stays within the cap
            and m.user_id not in self.asked_now  # one ask per person per pass: one clear message, not three
            and suits(m, task)
        ]
        epoch = datetime.min.replace(tzinfo=now().tzinfo)
        eligible.sort(
            key=lambda m: (m.user_id not in self.answered, m.last_asked_at or epoch, self.load.counts[m.user_id], m.id)
        )
        return eligible if limit_to is None else eligible[:limit_to]

    def has_room(self, user_id: int) -> bool:
        """Whether a yes to one more ask, and to every ask still out to them, keeps them within their fair share."""
        return self.load.room_for(user_id, pending=self.pending[user_id])

    def everyone_left(self, task: Task) -> tuple[list[Membership], list[Membership]]:
        """Who "ask everyone" would text now, and who it spares because they already carry their fair share.

        Everyone reachable who has not been asked and did not say never to asks,
        whatever kind of help they offered and however many asks they had this week.
        """
        reachable = [
            m
            for m in self.supporters
            if m.user.can_text
            and m.asks_per_week > 0
            and (task.id, m.user_id) not in self.asked
            and (task.id, m.user_id) not in self.holders
        ]
        room = [m for m in reachable if self.has_room(m.user_id)]
        return room, [m for m in reachable if m not in room]


def open_tasks(circle_id: int | None = None) -> list[Task]:
    moment = now()
    query = (
        select(Task)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .where(
            Task.status == "open",
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


def target_stage(task: Task, settings: HealthSettings) -> int:
    left = task.starts_at - now()
    if left <= timedelta(days=settings.alert_days):
        return ALERTED
    if left <= timedelta(days=settings.wider_ask_days):
        return WIDER
    if left <= timedelta(days=settings.first_ask_days):
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
        states[cid] = state = CircleState.load_for(db.session.get(Circle, cid), circle_tasks)
        for task in circle_tasks:
            climb(task, state, outcome)
    backups(outcome, circle_id=circle_id)
    circles = [circle_id] if circle_id is not None else list(db.session.scalars(select(Circle.id)))
    for cid in circles:
        reengage(db.session.get(Circle, cid), outcome, state=states.get(cid))
    return outcome


def climb(task: Task, state: CircleState, outcome: Outcome) -> None:
    target = target_stage(task, state.settings)
    if target == BEST == task.ask_stage and _quiet_since(task, state):
        ask(task, state.candidates(task, limit_to=state.settings.best_few), state, outcome)  # the next few
        return
    if target <= task.ask_stage:
        return
    if target >= BEST and task.ask_stage < BEST and target == BEST:
        ask(task, state.candidates(task, limit_to=state.settings.best_few), state, outcome)
    if target >= WIDER and task.ask_stage < WIDER:
        ask(task, state.candidates(task, limit_to=None), state, outcome)
    if target >= ALERTED and task.ask_stage < ALERTED and state.coordinators:
        alert(task, state.coordinators[0], state.circle, backup=False)
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


def _quiet_since(task: Task, state: CircleState) -> bool:
    last = state.last_ask.get(task.id)
    return last is not None and last < now() - NEXT_FEW_AFTER


def ask(task: Task, people: list[Membership], state: CircleState, outcome: Outcome) -> None:
    context = sms_context(task)
    for member in people:
        sent = notify(
            user=member.user,
            kind="ask",
            key=f"ask:{task.id}:{member.user_id}",
            context=context,
            circle_id=task.circle_id,
            task_id=task.id,
            send_by=task.starts_at - timedelta(hours=1),
        )
        if sent:
            member.last_asked_at = now()
            state.asked.add((task.id, member.user_id))
            state.asked_now.add(member.user_id)
            state.pending[member.user_id] += 1
            state.asks_week[member.user_id] += 1
            activity_record(
                kind="ask.sent",
                circle_id=task.circle_id,
                subject_id=member.user_id,
                object_type="task",
                object_id=task.id,
            )
            outcome.asked += 1
            outcome.by_task[task.id] = outcome.by_task.get(task.id, 0) + 1


def alert(task: Task, coordinator: Membership, circle: Circle, *, backup: bool) -> None:
    context = sms_context(task) | {"url": public_url("outreach.task", circle_id=circle.id, task_id=task.id)}
    notify(
        user=coordinator.user,
        kind="alert_backup" if backup else "alert",
        key=f"alert:{task.id}:{coordinator.user_id}",
        context=context,
        circle_id=circle.id,
        task_id=task.id,
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
    """Alerts nobody acted on in time go to the next coordinator in line."""
    moment = now()
    query = select(Task).where(
        Task.ask_stage == ALERTED,
        Task.alert_handled_at.is_(None),
        Task.covered_elsewhere_at.is_(None),
        Task.status == "open",
        Task.claimed < Task.capacity,
        Task.starts_at > moment,
    )
    if circle_id is not None:
        query = query.where(Task.circle_id == circle_id)
    for task in db.session.scalars(query):
        circle = db.session.get(Circle, task.circle_id)
        wait = timedelta(hours=health_settings(circle).backup_after_hours)
        if task.alerted_at is None or task.alerted_at + wait > moment:
            continue
        line = list(
            db.session.scalars(
                select(Membership)
                .where(Membership.circle_id == circle.id, Membership.role == COORDINATOR, Membership.status == ACTIVE)
                .order_by(Membership.created_at, Membership.id)
            )
        )
        task.ask_stage = BACKUP
        if len(line) > 1:
            alert(task, line[1], circle, backup=True)
            outcome.backups += 1


def reengage(circle: Circle, outcome: Outcome, *, state: CircleState | None = None) -> None:
    """One low-pressure, concrete ask for each drifting supporter; long silence after it: archive quietly.

    `state` is this pass's view of the circle's open tasks (None: it has none),
    so someone just asked about a task is not sent a second text as well.
    """
    settings = health_settings(circle)
    if not settings.reengage:
        return
    moment = now()
    members = {
        m.user_id: m
        for m in db.session.scalars(
            select(Membership)
            .options(joinedload(Membership.user))
            .where(Membership.circle_id == circle.id, Membership.role == SUPPORTER, Membership.status == ACTIVE)
        )
    }
    _archive_silent(circle, members, settings, outcome)
    drifts = drifting(circle_id=circle.id)
    small = [
        t
        for t in (state.tasks if state else [])
        if t.need.category in SMALL_KINDS and t.starts_at < moment + timedelta(days=14) and t.claimed < t.capacity
    ]
    for drift in drifts:
        member = members.get(drift.user_id)
        if member is None or member.status != ACTIVE or not member.user.can_text:
            continue
        if member.reengaged_at is not None and member.reengaged_at > moment - REENGAGE_EVERY:
            continue
        if state and member.user_id in state.asked_now:
            continue  # they were just asked about a task: one clear message, not two
        # A concrete small task, unless even that (with any asks still out) would take them past their fair share.
        room = state is not None and state.has_room(member.user_id)
        task = next((t for t in small if room and (t.id, member.user_id) not in state.asked and suits(member, t)), None)
        context = (sms_context(task) if task else {"first_name": circle.patient_first_name}) | {
            "name": member.user.first_name,
            "has_task": task is not None,
        }
        if notify(
            user=member.user,
            kind="reengage",
            key=f"reengage:{member.id}:{moment:%Y%m%d}",
            context=context,
            circle_id=circle.id,
            task_id=task.id if task else None,
        ):
            member.reengaged_at = moment
            activity_record(
                kind="member.reengaged", circle_id=circle.id, subject_id=member.user_id, data={"reason": drift.reason}
            )
            outcome.reengaged += 1


def _archive_silent(circle: Circle, members: dict[int, Membership], settings: HealthSettings, outcome: Outcome) -> None:
    moment = now()
    waited = [
        m
        for m in members.values()
        if m.reengaged_at is not None and m.reengaged_at < moment - timedelta(weeks=settings.archive_after_weeks)
    ]
    if not waited:
        return
    since = min(m.reengaged_at for m in waited)
    lately = set(
        db.session.scalars(
            select(Event.subject_id).where(
                Event.circle_id == circle.id, Event.kind.in_(ACTIVE_KINDS), Event.occurred_at >= since
            )
        )
    )
    for member in waited:
        if member.user_id in lately:
            member.reengaged_at = None  # they came back; the next drift may be asked about again
            continue
        member.status = ARCHIVED
        activity_record(
            kind="member.archived",
            circle_id=circle.id,
            subject_id=member.user_id,
            data={"why": "no answer after a gentle ask"},
        )
        outcome.archived += 1


def ask_everyone(*, task: Task, actor: Membership) -> int:
    """A coordinator's one tap: ask everyone reachable not yet asked (not those who said never, nor the overloaded)."""
    state = CircleState.load_for(actor.circle, [task])
    people, _ = state.everyone_left(task)
    before = len(state.asked)
    ask(task, people, state, Outcome())
    alert_handled(task=task, actor=actor)
    return len(state.asked) - before


@dataclass(frozen=True)
class AskPicture:
    """How far asking has got for one open task, for the coordinator deciding what to do next."""

    asked: int  # people texted about it so far
    left: int  # people "ask everyone" would text now
    resting: int  # people who could be asked but already carry their fair share


def ask_picture(*, task: Task, circle: Circle) -> AskPicture:
    state = CircleState.load_for(circle, [task])
    left, resting = state.everyone_left(task)
    asked = db.session.scalar(
        select(func.count()).where(Message.kind == "ask", Message.task_id == task.id, Message.status != "cancelled")
    )
    return AskPicture(asked=asked, left=len(left), resting=len(resting))


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
