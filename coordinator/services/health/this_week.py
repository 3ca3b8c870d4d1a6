"""What the service did this week and why, in plain words, for the coordinators' health page.

The ladder asks people on the circle's behalf (outreach.py), so coordinators
should be able to read what it did: whom it asked about which task, in how many
texts, who said yes, when it told a coordinator, and whom it left alone and
why ("Didn't ask Sam: Sam has had the 2 asks a week they chose"). Issue 18's
rules (one text offering up to three tasks, the best one first, only enough
people) make fewer texts; these lines are how a coordinator sees that they
still reached the right people.

Two queries however big the circle: the week's asks, offers, yeses and alerts
with their tasks and people; and each supporter's asking texts this week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from coordinator.clock import now, today_in
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.activity import Event
from coordinator.models.circles import SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.models.messages import Message
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.health.load import Load
from coordinator.services.texting.ask_budget import ASKING_KINDS, NOT_GOING, WEEK
from coordinator.services.texting.digests import bare_noun

STORY_KINDS = ("ask.sent", "ask.offered", "claim.made", "alert.sent")
MOST_TASKS = 6  # a phone screen: the busiest tasks of the week; the rest in one line


@dataclass
class _Task:
    category: str
    day: date
    open: bool
    asked: set[int] = field(default_factory=set)  # texted about it
    offered: set[int] = field(default_factory=set)  # offered it in a text about another task
    others: int = 0  # the most other tasks one of those texts offered
    yes: list[str] = field(default_factory=list)
    alerted: list[str] = field(default_factory=list)


def task_words(category: str, day: date, today: date) -> str:
    """ "Tuesday's ride", "today's meal", "the ride on Tue 16 Jun"."""
    noun = bare_noun(category)
    ahead = (day - today).days
    if ahead == 0:
        return f"today's {noun}"
    if ahead == 1:
        return f"tomorrow's {noun}"
    if -6 <= ahead < 7:
        return f"{'last ' if ahead < 0 else ''}{day:%A}'s {noun}"
    return f"the {noun} on {day:%a %-d %b}"


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def _names(names: list[str]) -> str:
    first = [n.split()[0] for n in names]
    return first[0] if len(first) == 1 else ", ".join(first[:-1]) + " and " + first[-1]


def _line(task: _Task, today: date) -> str:
    what = task_words(task.category, task.day, today)
    parts = []
    if task.asked:
        said = f"Asked {_people(len(task.asked))} about {what}"
        if task.others:
            texts = "one text each" if len(task.asked) > 1 else "in one text"
            said += f", {texts} with {'another task' if task.others == 1 else 'up to two other tasks'}"
        parts.append(said)
    if task.offered:
        more = f"offered it to {_people(len(task.offered))} in a text about another task"
        parts.append(more if parts else f"Offered {what} to {_people(len(task.offered))} in a text about another task")
    if task.alerted:
        told = f"told {_names(task.alerted)} nobody had said yes"
        parts.append(told if parts else f"Told {_names(task.alerted)} nobody had said yes to {what}")
    if task.yes:
        parts.append(f"{_names(task.yes)} said yes")
    elif task.open and (task.asked or task.offered):
        parts.append("nobody has said yes yet")
    return "; ".join(parts) + "."


def week_story(*, circle: Circle, load: Load) -> dict:
    """What the ladder did in the last seven days, task by task, and whom it spared and why; two queries."""
    moment = now()
    rows = db.session.execute(
        select(Event.kind, Event.subject_id, User.name, Event.object_id, Event.data, Need.category)
        .add_columns(Task.local_date, Task.status, Task.claimed, Task.capacity, Task.covered_elsewhere_at)
        .join(Task, Task.id == Event.object_id)
        .join(Need, Need.id == Task.need_id)
        .outerjoin(User, User.id == Event.subject_id)
        .where(
            Event.circle_id == circle.id,
            Event.object_type == "task",
            Event.kind.in_(STORY_KINDS),
            Event.occurred_at > moment - WEEK,
        )
        .order_by(Event.occurred_at, Event.id)
    ).all()
    tasks: dict[int, _Task] = {}
    for kind, subject, name, task_id, data, category, day, status, claimed, capacity, covered in rows:
        task = tasks.get(task_id)
        if task is None:
            is_open = status == TaskStatus.OPEN and claimed < capacity and covered is None
            task = tasks[task_id] = _Task(category, day, is_open)
        if kind == "ask.sent":
            task.asked.add(subject)
            task.others = max(task.others, len((data or {}).get("with", [])))
        elif kind == "ask.offered":
            task.offered.add(subject)
        elif kind == "claim.made" and name and name not in task.yes:
            task.yes.append(name)
        elif kind == "alert.sent" and name and name not in task.alerted:
            task.alerted.append(name)
    told = [t for t in tasks.values() if t.asked or t.offered or t.alerted]
    told.sort(key=lambda t: t.day)
    today = today_in(circle.timezone)
    return {
        "lines": [_line(t, today) for t in told[:MOST_TASKS]],
        "more": len(told) - MOST_TASKS if len(told) > MOST_TASKS else 0,
        "spared": _spared(circle=circle, load=load),
    }


def _spared(*, circle: Circle, load: Load) -> list[str]:
    """Supporters the service left alone this week, and why: the asks they chose, or their fair share (or more)."""
    moment = now()
    went = func.coalesce(Message.sent_at, Message.due_at)
    rows = db.session.execute(
        select(User.name, Membership.user_id, Membership.asks_per_week, func.count(Message.id))
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(
            Message,
            (Message.user_id == Membership.user_id)
            & (Message.circle_id == circle.id)
            & Message.kind.in_(ASKING_KINDS)
            & Message.status.not_in(NOT_GOING)
            & (went > moment - WEEK),
        )
        .where(
            Membership.circle_id == circle.id,
            Membership.role == SUPPORTER,
            Membership.status == MembershipStatus.ACTIVE,
        )
        .group_by(User.name, Membership.user_id, Membership.asks_per_week)
        .order_by(User.name)
    ).all()
    lines = []
    for name, user_id, chosen, used in rows:
        first = name.split()[0] if name else "Someone"
        if chosen and used >= chosen:
            asks = f"{chosen} ask{'s' if chosen > 1 else ''}"
            lines.append(f"Not asking {first} again this week: they have had the {asks} a week they chose.")
        elif load.above(user_id):
            lines.append(f"Not asking {first} for now: they already carry more than a fair share.")
        elif not load.room_for(user_id):
            lines.append(f"Not asking {first} for now: they already carry their fair share.")
    return lines
