"""Reminders and check-ins before the tasks people hold.

By default each held task gets a check-in the evening before ("Still good for
a ride for Maria tomorrow at 9am? Reply OK 42 or DROP 42") and a reminder two
hours before; people can choose other lead times. Every text lands inside the
person's allowed hours, is written once (its key names the claim, the lead
and the task's start, so a moved task gets fresh ones), and goes stale at the
task's start. Releasing or cancelling cancels what is still waiting.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from coordinator.clock import local, now, to_utc_lenient
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.tasks import sms_context
from coordinator.services.texting.messages import notify
from coordinator.services.texting.quiet_hours import is_quiet, latest_allowed, next_allowed, window_for, zone_for
from coordinator.services.texting.send_time import last_call, last_day

EVENING = time(18, 0)  # "the day before at a sensible local hour"
MORNING = time(10, 0)  # an any-time task's check-in: the morning before its last day, never its last evening
LEADS = {"2h": timedelta(hours=2), "30m": timedelta(minutes=30)}
LEAD_CHOICES = {
    "day_before": "The evening before (asks you to confirm)",
    "2h": "Two hours before",
    "30m": "Thirty minutes before",
}
HORIZON = timedelta(hours=48)
FRESH_CLAIM = timedelta(hours=12)
MIN_NOTICE = timedelta(
    minutes=20
)  # a reminder moved out of quiet hours must still come this early  # someone who just said yes doesn't need "still good?" the same day


def _held_soon():
    moment = now()
    return db.session.execute(
        select(Claim, Task, User, Circle)
        .join(Task, Task.id == Claim.task_id)
        .join(Need, Need.id == Task.need_id)
        .join(User, User.id == Claim.user_id)
        .join(Circle, Circle.id == Task.circle_id)
        .join(Membership, (Membership.circle_id == Claim.circle_id) & (Membership.user_id == Claim.user_id))
        .options(contains_eager(Task.need))
        .where(
            Claim.status == ClaimStatus.HELD,
            Task.status == TaskStatus.OPEN,
            Task.starts_at > moment,
            Task.starts_at <= moment + HORIZON,
            Membership.status == MembershipStatus.ACTIVE,
            Circle.closed_at.is_(None),  # a closing circle asks nothing more of anyone
        )
    ).all()


def check_in_time(task: Task, user: User, zone: str) -> datetime:
    """The evening before the task, pulled earlier if that's inside quiet hours.

    An any-time task ("by Sunday") is checked on the morning of the day before its last day
    (Saturday), leaving a day to find someone else; never on its last evening.
    """
    if task.anytime:
        day_before = last_day(task) - timedelta(days=1)
        evening = to_utc_lenient(day_before, MORNING, zone)
    else:
        day_before = local(task.starts_at, task.timezone).date() - timedelta(days=1)
        evening = to_utc_lenient(day_before, EVENING, zone)
    start, end = window_for(user)
    return latest_allowed(evening, zone=zone, start=start, end=end)


def reminders_plan() -> int:
    """Write any missing check-ins and reminders for tasks starting in the next two days."""
    written = 0
    moment = now()
    for claim, task, user, circle in _held_soon():
        zone = zone_for(user, circle.timezone)
        start, end = window_for(user)
        for lead in user.reminder_leads or []:
            if lead == "day_before":
                due = check_in_time(task, user, zone)
                if due < moment or claim.created_at > due - FRESH_CLAIM or task.anytime and due >= task.starts_at:
                    continue
                kind = "checkin"
            elif lead in LEADS and not task.anytime:
                due = task.starts_at - LEADS[lead]
                if is_quiet(local(due, zone).time(), start, end):
                    due = next_allowed(due, zone=zone, start=start, end=end)  # later, still before it starts
                    if due > task.starts_at - MIN_NOTICE:
                        continue  # nothing useful fits; the evening check-in covered it
                if due < moment:
                    continue
                kind = "reminder"
            else:
                continue
            context = sms_context(task, on=local(due, task.timezone).date())
            written += notify(
                user=user,
                kind=kind,
                key=f"{kind}:{claim.id}:{lead}:{task.starts_at:%Y%m%dT%H%M}",
                context=context,
                circle_id=task.circle_id,
                task_id=task.id,
                due_at=due,
                send_by=last_call(task) if task.anytime else task.starts_at,
                claim_id=claim.id,
            )
    return written
