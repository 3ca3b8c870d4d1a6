"""Reading a circle's health from its activity record: who helps, who carries too much, who drifts.

Everything here is computed from the append-only events (and claims), in a
fixed number of queries per circle, so the health page and the nightly
outreach cost the same for a circle of ten or of three hundred.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.activity import Event
from coordinator.models.circles import ACTIVE, SUPPORTER, Membership
from coordinator.models.claims import RELEASED, Claim
from coordinator.models.needs import Task

# What counts as helping or saying yes.
ACTIVE_KINDS = ("claim.made", "claim.assigned", "claim.confirmed", "claim.done", "sms.replied", "member.reactivated")
LOAD_WEEKS = 8
DRIFT_RECENT = timedelta(weeks=3)
UNANSWERED_IN_A_ROW = 3


def loads(*, circle_id: int, weeks: int = LOAD_WEEKS) -> Counter:
    """Tasks each person held or did, among tasks in the last `weeks` weeks and the next two."""
    moment = now()
    rows = db.session.execute(
        select(Claim.user_id, func.count())
        .join(Task, Task.id == Claim.task_id)
        .where(
            Claim.circle_id == circle_id,
            Claim.status != RELEASED,
            Task.status == "open",
            Task.starts_at >= moment - timedelta(weeks=weeks),
            Task.starts_at < moment + timedelta(weeks=2),
        )
        .group_by(Claim.user_id)
    ).all()
    return Counter(dict(rows))


def fair_share_cap(load: Counter, *, factor: float) -> float:
    """The most anyone should carry: `factor` times the median of those who carry anything (at least 2)."""
    carried = [n for n in load.values() if n > 0]
    return max(2.0, factor * median(carried)) if carried else float("inf")


@dataclass(frozen=True)
class Drift:
    user_id: int
    earlier_per_week: float
    recent_per_week: float
    unanswered_asks: int
    reason: str


def drifting(*, circle_id: int) -> list[Drift]:
    """Supporters well below their own earlier pace, or with several unanswered asks in a row."""
    moment = now()
    since = moment - timedelta(weeks=LOAD_WEEKS) - DRIFT_RECENT
    members = set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.circle_id == circle_id, Membership.role == SUPPORTER, Membership.status == ACTIVE
            )
        )
    )
    events = db.session.execute(
        select(Event.subject_id, Event.kind, Event.occurred_at)
        .where(
            Event.circle_id == circle_id,
            Event.occurred_at >= since,
            Event.kind.in_((*ACTIVE_KINDS, "ask.sent")),
            Event.subject_id.is_not(None),
        )
        .order_by(Event.occurred_at)
    ).all()
    timeline: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for subject, kind, at in events:
        if subject in members:
            timeline[subject].append((kind, at))
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
        found.append(Drift(user_id, earlier_rate, recent_rate, unanswered, reason))
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
