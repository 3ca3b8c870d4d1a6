"""Reading a circle's health from its activity record: who helps, who carries too much, who drifts.

Everything here is computed from the append-only events (and claims), in a
fixed number of queries per circle, so the health page and the nightly
outreach cost the same for a circle of ten or of three hundred.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.activity import Event
from coordinator.models.circles import COORDINATOR, PATIENT, SUPPORTER, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Task, TaskStatus
from coordinator.services.care.tasks import task_for
from coordinator.services.health.settings import health_settings

# What counts as helping or saying yes.
ACTIVE_KINDS = (
    "claim.made",
    "claim.assigned",
    "claim.confirmed",
    "claim.done",
    "sms.replied",
    "member.reactivated",
    # Showing up without a task: a note or a heart to the patient, an update posted.
    "note.sent",
    "heart.sent",
    "update.posted",
)
LOAD_WEEKS = 8
DRIFT_RECENT = timedelta(weeks=3)
UNANSWERED_IN_A_ROW = 3
MIN_CAP = 2  # however small the circle's load, two tasks is never "too much"


@dataclass(frozen=True)
class Load:
    """Who carries what, and the most anyone should: `factor` times a fair share.

    The fair share is the spots the patient needed in the window, split evenly
    among everyone who could take them (active members but the patient). It
    depends on the need and the circle, not on who happened to help: so it
    does not drop when a newcomer takes their first task, nor when tasks go
    unfilled (which would shut out the willing just when they are needed); and
    it flags the case a median of helpers hides, where three people carry it
    all. The cap is a whole number of tasks, so it does not flicker.
    """

    counts: Counter
    slots: int
    helpers: int
    factor: float
    names: dict[int, str] = field(default_factory=dict)  # of everyone in `counts`, for the health page's table

    @property
    def even_share(self) -> float:
        return self.slots / self.helpers if self.helpers else 0.0

    @property
    def cap(self) -> float:
        if not self.helpers:
            return float("inf")
        return max(MIN_CAP, math.floor(self.factor * self.even_share + 0.5))

    def above(self, user_id: int) -> bool:
        return self.counts[user_id] > self.cap

    def room_for(self, user_id: int, *, pending: int = 0) -> bool:
        """Whether saying yes to one more (and to the `pending` asks already out) keeps them within the cap."""
        return self.counts[user_id] + pending + 1 <= self.cap


def circle_load(*, circle_id: int, factor: float, weeks: int = LOAD_WEEKS) -> Load:
    """Spots held or done by each person among tasks from `weeks` weeks ago to two weeks ahead; two queries."""
    moment = now()
    in_window = (
        Task.circle_id == circle_id,
        Task.status == TaskStatus.OPEN,
        Task.starts_at >= moment - timedelta(weeks=weeks),
        Task.starts_at < moment + timedelta(weeks=2),
    )
    rows = db.session.execute(
        select(Claim.user_id, User.name, func.count())
        .join(Task, Task.id == Claim.task_id)
        .join(User, User.id == Claim.user_id)
        .where(Claim.status != ClaimStatus.RELEASED, *in_window)
        .group_by(Claim.user_id, User.name)
    ).all()
    slots = select(func.coalesce(func.sum(Task.capacity), 0)).where(*in_window).scalar_subquery()
    helpers = (
        select(func.count())
        .where(
            Membership.circle_id == circle_id, Membership.status == MembershipStatus.ACTIVE, Membership.role != PATIENT
        )
        .scalar_subquery()
    )
    total, people = db.session.execute(select(slots, helpers)).one()
    counts = Counter({user_id: count for user_id, _name, count in rows})
    return Load(counts, int(total), int(people), factor, {user_id: name for user_id, name, _count in rows})


@dataclass(frozen=True)
class Heavy:
    """Taking `task` would carry this person past their fair share: `count` tasks already, the cap `cap`."""

    task: Task
    count: int
    cap: int


def share_check(*, membership: Membership, task_id: int) -> Heavy | None:
    """Before someone takes a task themselves: would it carry them past their fair share while others can be asked?

    Only while the task is further off than the "ask everyone" rung: nearer
    than that, everyone suited has been asked already and any willing hand is
    welcome. NotFound if they may not see the task.
    """
    task = task_for(membership, task_id)
    settings = health_settings(membership.circle)
    if task.starts_at - now() <= timedelta(days=settings.wider_ask_days):
        return None
    load = circle_load(circle_id=membership.circle_id, factor=settings.fair_share_factor)
    if load.room_for(membership.user_id):
        return None
    return Heavy(task, load.counts[membership.user_id], int(load.cap))


def above_share(*, viewer: Membership) -> set[int]:
    """Who carries more than a fair share, for a coordinator choosing whom to sign up; nobody else is told."""
    if viewer.role != COORDINATOR:
        return set()
    load = circle_load(circle_id=viewer.circle_id, factor=health_settings(viewer.circle).fair_share_factor)
    return {user_id for user_id in load.counts if load.above(user_id)}


@dataclass(frozen=True)
class Drift:
    user_id: int
    earlier_per_week: float
    recent_per_week: float
    unanswered_asks: int
    reason: str
    name: str


def drifting(*, circle_id: int) -> list[Drift]:
    """Supporters well below their own earlier pace, or with several unanswered asks in a row."""
    moment = now()
    since = moment - timedelta(weeks=LOAD_WEEKS) - DRIFT_RECENT
    events = db.session.execute(
        select(Event.subject_id, User.name, Event.kind, Event.occurred_at)
        .join(Membership, and_(Membership.circle_id == Event.circle_id, Membership.user_id == Event.subject_id))
        .join(User, User.id == Event.subject_id)
        .where(
            Event.circle_id == circle_id,
            Event.occurred_at >= since,
            Event.kind.in_((*ACTIVE_KINDS, "ask.sent")),
            Membership.role == SUPPORTER,
            Membership.status == MembershipStatus.ACTIVE,
        )
        .order_by(Event.occurred_at)
    ).all()  # one query: only active supporters' events, with their names
    timeline: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    names: dict[int, str] = {}
    for subject, name, kind, at in events:
        timeline[subject].append((kind, at))
        names[subject] = name
    found = []
    for user_id, history in timeline.items():
        earlier = [at for kind, at in history if kind in ACTIVE_KINDS and at < moment - DRIFT_RECENT]
        recent = [at for kind, at in history if kind in ACTIVE_KINDS and at >= moment - DRIFT_RECENT]
        earlier_rate = len(earlier) / LOAD_WEEKS
        recent_rate = len(recent) / (DRIFT_RECENT.days / 7)
        unanswered = _unanswered_in_a_row(history)
        if len(earlier) >= 2 and recent_rate < earlier_rate / 2:
            reason = f"{len(recent)} in the last 3 weeks, down from about {earlier_rate:.1f} a week"
        elif unanswered >= UNANSWERED_IN_A_ROW:
            reason = f"{unanswered} asks in a row without an answer"
        else:
            continue
        found.append(Drift(user_id, earlier_rate, recent_rate, unanswered, reason, names[user_id]))
    return sorted(found, key=lambda d: (-d.unanswered_asks, d.recent_per_week))


def _unanswered_in_a_row(history: list[tuple[str, datetime]]) -> int:
    count = 0
    for kind, _ in reversed(history):
        if kind == "ask.sent":
            count += 1
        elif kind in ACTIVE_KINDS:
            break
    return count


def answered_before(*, circle_id: int) -> set[int]:
    """People who have ever said yes or replied in this circle."""
    return set(
        db.session.scalars(
            select(Event.subject_id).where(Event.circle_id == circle_id, Event.kind.in_(ACTIVE_KINDS)).distinct()
        )
    )
