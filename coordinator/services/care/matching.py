"""Who suits a task: the kinds of help they offered, the times they said they're free.

Shared by the weekly digest and by the asks that network health sends, so
"the right few, not everyone" means the same thing everywhere.
"""

from __future__ import annotations

from datetime import time

from coordinator.models.circles import Membership
from coordinator.models.needs import Need, Task
from coordinator.services.care.recurrence import WEEKDAYS

PARTS = (("morning", time(5), time(12)), ("afternoon", time(12), time(17)), ("evening", time(17), time(23, 59)))


def part_of_day(start: time | None) -> str | None:
    if start is None:
        return None
    for name, begins, ends in PARTS:
        if begins <= start < ends:
            return name
    return "evening" if start >= time(17) else "morning"


def offers(member: Membership, category: str) -> bool:
    return not member.help_categories or category in member.help_categories


def free_at(member: Membership, task: Task) -> bool:
    """Whether the task falls in a time the member said they're usually free (no grid: any time)."""
    if not member.availability or task.anytime:
        return True
    parts = member.availability.get(WEEKDAYS[task.local_date.weekday()], [])
    return part_of_day(task.start_time) in parts


def may_see(member: Membership, need: Need) -> bool:
    return need.visibility == "circle" or member.manages or member.inner_circle


def suits(member: Membership, task: Task) -> bool:
    return may_see(member, task.need) and offers(member, task.need.category) and free_at(member, task)
