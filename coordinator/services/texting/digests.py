"""The weekly digest: one text a week with a couple of open tasks that suit the person.

Sent on Sunday late afternoon in the person's own zone, only if something
suits them (kind of help, free time, who may see it), only within the asks
per week they agreed to and not too soon after another ask (one budget for
every asking text: services/texting/ask_budget.py), and never to someone who
opted out. It counts as one ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.categories import CATEGORIES
from coordinator.clock import local, now, short_time
from coordinator.extensions import db
from coordinator.models.circles import SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.matching import suits
from coordinator.services.health.load import Load, circle_load
from coordinator.services.health.settings import health_settings
from coordinator.services.texting.ask_budget import DIGEST, CircleBudget
from coordinator.services.texting.messages import notify
from coordinator.services.texting.quiet_hours import zone_for
from coordinator.services.updates.delivery import weekly_line

DIGEST_WEEKDAY = 6  # Sunday
DIGEST_HOURS = range(16, 19)  # 16:00-18:59 local
PER_DIGEST = 2


def _open_tasks(circle_id: int) -> list[Task]:
    moment = now()
    return list(
        db.session.scalars(
            select(Task)
            .join(Need, Need.id == Task.need_id)
            .options(contains_eager(Task.need))
            .where(
                Task.circle_id == circle_id,
                Task.status == TaskStatus.OPEN,
                Task.claimed < Task.capacity,
                Task.starts_at > moment + timedelta(hours=12),
                Task.starts_at < moment + timedelta(days=8),
            )
            .order_by(Task.starts_at)
        )
    )


def digest_line(task: Task) -> str:
    """One task in a few words, "Tue 9am ride (TAKE 142)": never a title, note or address.

    A weekday alone is only clear within the coming week; a task seven or more days off is dated ("Tue 9 Jun").
    """
    moment = local(task.starts_at, task.timezone)
    far = (task.local_date - local(now(), task.timezone).date()).days >= 7
    day = f"{task.local_date:%a %-d %b}" if far else f"{task.local_date:%a}"
    when = f"by {day}" if task.anytime else f"{day} {short_time(moment.time())}"
    return f"{when} {CATEGORIES[task.need.category].noun.removeprefix('a ').removeprefix('an ')} (TAKE {task.code})"


@dataclass
class _CircleFacts:
    """What every digest in one circle needs, loaded once per circle (not once per person)."""

    tasks: list[Task]
    load: Load
    budget: CircleBudget
    held: set[tuple[int, int]]

    @classmethod
    def load_for(cls, circle: Circle) -> _CircleFacts:
        held = db.session.execute(
            select(Claim.user_id, Claim.task_id).where(
                Claim.circle_id == circle.id, Claim.status != ClaimStatus.RELEASED
            )
        ).all()
        return cls(
            tasks=_open_tasks(circle.id),
            load=circle_load(circle_id=circle.id, factor=health_settings(circle).fair_share_factor),
            budget=CircleBudget.load_for(circle.id),
            held={(user_id, task_id) for user_id, task_id in held},
        )


def digests_send() -> int:
    """Queue this week's digest for every supporter whose digest time it is; returns how many."""
    queued = 0
    moment = now()
    week = moment.isocalendar()
    members = db.session.scalars(
        select(Membership)
        .join(Circle, Circle.id == Membership.circle_id)
        .options(contains_eager(Membership.circle), joinedload(Membership.user))
        .where(Membership.status == MembershipStatus.ACTIVE, Membership.role == SUPPORTER, Membership.asks_per_week > 0)
        .where(Circle.closed_at.is_(None))
        .order_by(Membership.circle_id)
    )
    facts: dict[int, _CircleFacts] = {}
    for member in members:
        user = member.user
        wall = local(moment, zone_for(user, member.circle.timezone))
        if wall.weekday() != DIGEST_WEEKDAY or wall.hour not in DIGEST_HOURS or not user.can_text:
            continue
        if member.circle_id not in facts:
            facts[member.circle_id] = _CircleFacts.load_for(member.circle)
        circle = facts[member.circle_id]
        if not circle.budget.may_ask(member, DIGEST) or not circle.load.room_for(user.id):
            continue  # asked enough this week or too lately, or carrying more than their share already
        picks = [t for t in circle.tasks if (user.id, t.id) not in circle.held and suits(member, t)][:PER_DIGEST]
        if not picks:
            continue
        sent = notify(
            user=user,
            kind="digest",
            key=f"digest:{member.id}:{week.year}-W{week.week:02d}",
            context={
                "first_name": member.circle.patient_first_name,
                "lines": [digest_line(t) for t in picks],
                "news": weekly_line(member),  # for those who chose to hear of updates weekly
            },
            circle_id=member.circle_id,
            send_by=moment + timedelta(hours=12),
        )
        if sent:
            circle.budget.spend(user.id)
            queued += 1
    return queued
