"""The weekly digest: one text a week with up to three open tasks that suit the person.

Sent on Sunday late afternoon in the person's own zone, only if something
suits them (kind of help, free time, who may see it), only within the asks
per week they agreed to and not too soon after another ask (one budget for
every asking text: services/texting/ask_budget.py), only if a yes to it and
to the asks still out to them keeps them within their fair share (as the
ladder counts them), and never to someone who opted out. It counts as one ask.

Issue 18's "enough" (bench/README.md): it goes to the likeliest people first
(services/health/nudges.py) and only until they should bring one yes per open
spot of the week (DIGEST_ENOUGH_YES); a circle with few spots open texts few
people. The week's tasks have been through the ladder's first rung already.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.categories import CATEGORIES
from coordinator.clock import local, now, short_time
from coordinator.extensions import db
from coordinator.models.circles import SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.matching import suits
from coordinator.services.care.plan_quiet import quiet_visits_left_out
from coordinator.services.health.load import Load, circle_load
from coordinator.services.health.nudges import record_in, record_totals, records
from coordinator.services.health.settings import health_settings
from coordinator.services.texting.ask_budget import ASK, DIGEST, CircleBudget
from coordinator.services.texting.messages import notify
from coordinator.services.texting.quiet_hours import zone_for
from coordinator.services.updates.delivery import weekly_line
from coordinator.sms.segments import segments

DIGEST_WEEKDAY = 6  # Sunday
DIGEST_HOURS = range(16, 19)  # 16:00-18:59 local
PER_DIGEST = 3  # the third only if the text still goes as one segment
# Expected yeses per open spot the digests aim for. In the simulation's grid (bench/README.md), 1.0 instead of the
# wider rung's 1.5 covered 0.2 points less and cost 0.28 fewer asks per filled slot (a digest was the lowest-yield
# ask: one yes in eight to ten).
DIGEST_ENOUGH_YES = 1.0
PENDING_FOR = timedelta(days=2)  # as services/health/asking.PENDING_FOR: an ask this recent may still get a yes


def _open_tasks(circle_id: int) -> list[Task]:
    """The week's open spots a digest may offer: never a visit on the patient's no-visitor days (as the ladder)."""
    moment = now()
    tasks = list(
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
    return quiet_visits_left_out(tasks)


def bare_noun(category: str) -> str:
    """The kind of help without its article: "ride", "errand", "housework", "pet care"."""
    noun = CATEGORIES[category].noun
    for article in ("a ", "an ", "some "):
        noun = noun.removeprefix(article)
    return noun


def digest_line(task: Task) -> str:
    """One task in a few words, "Tue 9am ride (TAKE 142)": never a title, note or address.

    A weekday alone is only clear within the coming week; a task seven or more days off is dated ("Tue 9 Jun").
    """
    moment = local(task.starts_at, task.timezone)
    far = (task.local_date - local(now(), task.timezone).date()).days >= 7
    day = f"{task.local_date:%a %-d %b}" if far else f"{task.local_date:%a}"
    when = f"by {day}" if task.anytime else f"{day} {short_time(moment.time())}"
    return f"{when} {bare_noun(task.need.category)} (TAKE {task.code})"


@dataclass
class _CircleFacts:
    """What every digest in one circle needs, loaded once per circle (not once per person)."""

    tasks: list[Task]
    load: Load
    budget: CircleBudget
    held: set[tuple[int, int]]
    pending: Counter  # asks still out to each person, as the ladder counts them (asking.CircleState)
    digested: set[int]  # people who have this week's digest already
    history: dict  # each person's yeses and asks by kind of help (nudges.records)

    @classmethod
    def load_for(cls, circle: Circle) -> _CircleFacts:
        moment = now()
        held = {
            (user_id, task_id)
            for user_id, task_id in db.session.execute(
                select(Claim.user_id, Claim.task_id).where(
                    Claim.circle_id == circle.id, Claim.status != ClaimStatus.RELEASED
                )
            )
        }
        out = db.session.execute(
            select(Message.user_id, Message.task_id)
            .join(Task, Task.id == Message.task_id)
            .where(
                Message.circle_id == circle.id,
                Message.kind == ASK,
                Message.created_at > moment - PENDING_FOR,
                Message.status != MessageStatus.CANCELLED,
                Task.status == TaskStatus.OPEN,
                Task.claimed < Task.capacity,
            )
        ).all()
        digested = db.session.scalars(
            select(Message.user_id).where(
                Message.circle_id == circle.id,
                Message.kind == DIGEST,
                Message.status != MessageStatus.CANCELLED,
                Message.created_at > moment - timedelta(days=6),
            )
        )
        return cls(
            tasks=_open_tasks(circle.id),
            load=circle_load(circle_id=circle.id, factor=health_settings(circle).fair_share_factor),
            budget=CircleBudget.load_for(circle.id),
            held=held,
            pending=Counter(user_id for user_id, task_id in out if (user_id, task_id) not in held),
            digested=set(digested),
            history=records(circle_id=circle.id),
        )

    def chance(self, user_id: int, task: Task) -> float:
        return record_in(self.history, self.totals, user_id, task.need.category).chance

    @property
    def totals(self) -> dict[int, tuple[int, int]]:
        return record_totals(self.history)

    @property
    def spots(self) -> int:
        return sum(max(t.capacity - t.claimed, 0) for t in self.tasks)


def digests_send() -> int:
    """Queue this week's digest for every supporter whose digest time it is; returns how many."""
    moment = now()
    members = db.session.scalars(
        select(Membership)
        .join(Circle, Circle.id == Membership.circle_id)
        .options(contains_eager(Membership.circle), joinedload(Membership.user))
        .where(Membership.status == MembershipStatus.ACTIVE, Membership.role == SUPPORTER, Membership.asks_per_week > 0)
        .where(Circle.closed_at.is_(None))
        .order_by(Membership.circle_id, Membership.created_at, Membership.id)
    )
    due: dict[int, list[Membership]] = {}
    for member in members:
        wall = local(moment, zone_for(member.user, member.circle.timezone))
        if wall.weekday() == DIGEST_WEEKDAY and wall.hour in DIGEST_HOURS and member.user.can_text:
            due.setdefault(member.circle_id, []).append(member)
    return sum(_circle_digests(people) for people in due.values())


def _circle_digests(people: list[Membership]) -> int:
    """One circle's digests: the likeliest people first, only until they should bring DIGEST_ENOUGH_YES per spot."""
    moment = now()
    week = moment.isocalendar()
    circle = _CircleFacts.load_for(people[0].circle)
    offers = []
    for member in people:
        user_id = member.user_id
        if user_id in circle.digested or not circle.budget.may_ask(member, DIGEST):
            continue  # had it this week, asked enough this week or too lately
        if not circle.load.room_for(user_id, pending=circle.pending[user_id]):
            continue  # a yes, and yeses to the asks still out to them, would take them past their share
        picks = [t for t in circle.tasks if (user_id, t.id) not in circle.held and suits(member, t)][:PER_DIGEST]
        if picks:
            offers.append((member, picks))
    offers.sort(key=lambda offer: -circle.chance(offer[0].user_id, offer[1][0]))
    wanted = DIGEST_ENOUGH_YES * circle.spots
    first = circle.tasks[0] if circle.tasks else None
    expected = sum(circle.chance(user_id, first) for user_id in circle.digested) if first else 0.0  # an hour ago
    queued = 0
    for member, picks in offers:
        if expected >= wanted - 1e-9:
            break  # enough people have the week's open spots in front of them
        context = {
            "first_name": member.circle.patient_first_name,
            "lines": [digest_line(t) for t in picks],
            "news": weekly_line(member),  # for those who chose to hear of updates weekly
        }
        while (
            len(context["lines"]) > PER_DIGEST - 1 and segments(render_template("sms/digest.txt", **context)).count > 1
        ):
            context["lines"] = context["lines"][:-1]  # the third task only if it still goes as one text
        sent = notify(
            user=member.user,
            kind="digest",
            key=f"digest:{member.id}:{week.year}-W{week.week:02d}",
            context=context,
            circle_id=member.circle_id,
            send_by=moment + timedelta(hours=12),
        )
        if sent:
            circle.budget.spend(member.user_id)
            expected += circle.chance(member.user_id, picks[0])
            queued += 1
    return queued
