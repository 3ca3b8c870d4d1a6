"""What the People page's confirmation pages say: each change to a person, in plain words, before it happens.

"Remove Sam Carter from Team Maria?" names the tasks that will need someone
again, says who will be told and how to undo it, so a coordinator decides
knowing what follows (web/confirming.py renders it).
"""

from __future__ import annotations

from flask import url_for

from coordinator.models.circles import COORDINATOR, Circle, Membership
from coordinator.models.needs import Task
from coordinator.services.people.members import member_upcoming_tasks
from coordinator.web.confirming import Confirmation
from coordinator.web.templating import day

TASKS_NAMED = 4  # a confirmation names this many tasks, then says how many more


def _people(circle: Circle) -> str:
    return url_for("members.index", circle_id=circle.id)


def tasks_in_words(tasks: list[Task]) -> str:
    """The first few by day and title ("Tue 3 Dec: Ride to the clinic, Fri 6 Dec: Meal"), then how many more."""
    named = [f"{day(task.local_date)}: {task.need.title}" for task in tasks[:TASKS_NAMED]]
    if len(tasks) > TASKS_NAMED:
        named.append(f"and {len(tasks) - TASKS_NAMED} more")
    return ", ".join(named)


def reopened_in_words(first: str, tasks: list[Task], kind: str = "upcoming") -> str:
    """What a change does to the tasks someone said yes to, in one sentence."""
    if not tasks:
        return f"{first} hasn't said yes to any {kind} task, so no task loses its helper."
    what = f"{kind} task" if len(tasks) == 1 else f"{len(tasks)} {kind} tasks"
    return (
        f"{first}'s {what} ({tasks_in_words(tasks)}) will need someone again, and any other coordinators will be told."
    )


def role_confirmation(circle: Circle, member: Membership, role: str) -> Confirmation:
    name, first = member.user.name, member.user.first_name
    if role == COORDINATOR:
        consequences = (
            f"{first} will see everyone's phone numbers and emails, post needs, invite people, "
            "and let people in or remove them.",
            f"{first} will be told when a task loses its helper or someone asks to join.",
            f"You can make {first} a supporter again at any time.",
        )
        danger, back = False, "Not now"
    else:
        consequences = (
            f"{first} will no longer post needs, invite people, or see everyone's phone numbers and emails.",
            f"{first} stays in the inner circle and keeps every task {first} already said yes to.",
            f"You can make {first} a coordinator again at any time.",
        )
        danger, back = True, f"Keep {first} as a coordinator"
    return Confirmation(
        title=f"Make {name} a {role}?",
        action=url_for("members.role", circle_id=circle.id, member_id=member.id, role=role),
        button=f"Make {first} a {role}",
        back=_people(circle),
        back_label=back,
        consequences=consequences,
        danger=danger,
    )


def removal_confirmation(circle: Circle, member: Membership) -> Confirmation:
    name, first = member.user.name, member.user.first_name
    return Confirmation(
        title=f"Remove {name} from {circle.name}?",
        action=url_for("members.remove", circle_id=circle.id, member_id=member.id),
        button=f"Remove {first}",
        back=_people(circle),
        back_label=f"Keep {first}",
        consequences=(
            reopened_in_words(first, member_upcoming_tasks(member=member)),
            f"{first} won't get texts or emails from this circle any more, and can't see it.",
            f"To have {first} back later, invite {first} again.",
        ),
    )


def inner_circle_confirmation(circle: Circle, member: Membership) -> Confirmation:
    name, first = member.user.name, member.user.first_name
    action = url_for("circles.inner_circle", circle_id=circle.id, member_id=member.id)
    if not member.inner_circle:
        return Confirmation(
            title=f"Put {name} in the inner circle?",
            action=action,
            button=f"Put {first} in the inner circle",
            back=_people(circle),
            back_label="Not now",
            consequences=(f"{first} will also see needs marked “inner circle only”.",),
            fields={"inside": "yes"},
            danger=False,
        )
    tasks = member_upcoming_tasks(member=member, inner_only=True)
    return Confirmation(
        title=f"Take {name} out of the inner circle?",
        action=action,
        button=f"Take {first} out",
        back=_people(circle),
        back_label=f"Keep {first} in",
        consequences=(
            f"{first} won't see needs marked “inner circle only” any more.",
            *([reopened_in_words(first, tasks, "inner-circle")] if tasks else []),
            f"You can put {first} back in the inner circle at any time.",
        ),
        fields={"inside": "no"},
    )
