"""Secret calendar feeds: each member's tasks as an iCalendar file their calendar app subscribes to.

Calendar apps fetch a feed with no cookie and no password, so the link itself
is the key. It is never stored: the token is the membership's id plus an HMAC
of that id and `feed_version` under the app's SECRET_KEY, so a database leak
reveals no working link, bumping the version kills the old link at once, and a
removed member's link stops working because only active memberships answer.

What a feed shows follows the same privacy rule as the pages: supporters see
only the tasks they hold, with the address while the task is still theirs to
do (tasks.can_see_address); the patient and coordinators see
every task, with who is doing it. Nobody's phone number or email goes in.
Times are the circle's wall time with a TZID and its VTIMEZONE, so a weekly
9:00 ride stays at 9:00 when the clocks change.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coordinator.categories import CATEGORIES
from coordinator.clock import local, now
from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.models.circles import Membership, MembershipStatus
from coordinator.models.claims import Claim
from coordinator.models.needs import Task, TaskStatus
from coordinator.services.care.tasks import can_see_address, claims_by_task, tasks_mine, visible_tasks

SIGNATURE_HEX = 32  # 128 bits of HMAC-SHA256
PAST_DAYS = 30  # how far back a feed still lists tasks
_TOKEN = re.compile(rf"([1-9][0-9]{{0,9}})-([0-9a-f]{{{SIGNATURE_HEX}}})")
_ID_MAX = 2**31 - 1  # memberships.id is a 32-bit integer on PostgreSQL
PRODID = "-//Coordinator//Calendar feed//EN"


def _signature(membership_id: int, version: int) -> str:
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    message = f"feed:{membership_id}:{version}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:SIGNATURE_HEX]


def feed_token(membership: Membership) -> str:
    """The secret part of the member's feed address; changes when `feed_reset` is called."""
    return f"{membership.id}-{_signature(membership.id, membership.feed_version)}"


def feed_membership(token: str) -> Membership:
    """The active membership a feed token belongs to (circle loaded); NotFound for anything else."""
    match = _TOKEN.fullmatch(token or "")
    if match is None or int(match.group(1)) > _ID_MAX:
        raise NotFound("No such calendar.")
    membership = db.session.scalar(
        select(Membership)
        .options(joinedload(Membership.circle))
        .where(Membership.id == int(match.group(1)), Membership.status == MembershipStatus.ACTIVE)
    )
    if membership is None:
        raise NotFound("No such calendar.")
    expected = _signature(membership.id, membership.feed_version)
    if not hmac.compare_digest(expected, match.group(2)):
        raise NotFound("No such calendar.")
    return membership


def feed_reset(membership: Membership) -> None:
    """Give the member a new feed address; the old one answers 404 from now on."""
    membership.feed_version = Membership.feed_version + 1  # atomic, even if two resets race
    db.session.flush()
    db.session.refresh(membership, ["feed_version"])


def feed_tasks(membership: Membership) -> list[tuple[Task, list[Claim]]]:
    """The feed's tasks, from PAST_DAYS ago on, each with the claims its description may name.

    Supporters: the tasks they hold (their own claim only). Managers: every
    task that is not cancelled, with all its live claims and claimers.
    Three queries at most, however many tasks there are.
    """
    if not membership.manages:
        mine = tasks_mine(membership, include_past_days=PAST_DAYS)
        return [(task, [claim]) for task, claim in mine if not task.cancelled]
    since = now() - timedelta(days=PAST_DAYS)
    tasks = list(
        db.session.scalars(
            visible_tasks(membership)
            .where(Task.status == TaskStatus.OPEN, Task.ends_at > since)
            .order_by(Task.starts_at, Task.id)
        )
    )
    claims = claims_by_task([task.id for task in tasks])
    return [(task, claims.get(task.id, [])) for task in tasks]


def feed_ics(membership: Membership) -> bytes:
    """The member's feed as an iCalendar file (RFC 5545)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.calendar_name = membership.circle.name
    stamp = now()
    days: list[date] = []
    for task, claims in feed_tasks(membership):
        calendar.add_component(_event(task, claims, membership=membership, stamp=stamp))
        days.append(task.local_date)
    if days:
        # Transitions for a year either side of the feed's tasks: enough, and keeps the file small.
        calendar.add_missing_timezones(
            first_date=min(days) - timedelta(days=366), last_date=max(days) + timedelta(days=366)
        )
    return calendar.to_ical()


def _event(task: Task, claims: list[Claim], *, membership: Membership, stamp: datetime) -> CalendarEvent:
    need = task.need
    event = CalendarEvent()
    event.add("uid", f"task-{task.id}@coordinator")
    event.add("dtstamp", stamp)
    event.add("last-modified", max(task.updated_at, need.updated_at))
    if task.anytime:
        event.add("summary", f"Due: {need.title}")
        event.add("dtstart", task.local_date)
        event.add("dtend", task.local_date + timedelta(days=1))
    else:
        event.add("summary", need.title)
        event.add("dtstart", _wall(task.starts_at, task.timezone))
        event.add("dtend", _wall(task.ends_at, task.timezone))
    event.add("description", _description(task, claims, manages=membership.manages))
    own = next((claim for claim in claims if claim.user_id == membership.user_id), None)
    if need.address and can_see_address(membership, task, own, at=stamp):
        event.add("location", need.address)
    return event


def _wall(moment: datetime, zone_name: str) -> datetime:
    """`moment` as wall time in its zone; in UTC when that wall time happens twice and this is the second.

    iCalendar reads a repeated wall time as its first occurrence, so only UTC
    can name the second 1:30 of the night the clocks go back.
    """
    wall = local(moment, zone_name)
    if wall.replace(fold=0).astimezone(UTC) != moment:
        return moment.astimezone(UTC)
    return wall


def _description(task: Task, claims: list[Claim], *, manages: bool) -> str:
    need = task.need
    category = CATEGORIES.get(need.category)
    lines = [category.label if category else need.category]
    notes = task.notes if task.notes is not None else need.notes
    if notes:
        lines.append(notes)
    if manages:
        names = [claim.user.name for claim in claims if claim.live]
        lines.append(f"Who's doing it: {', '.join(names)}" if names else "Nobody has taken this yet.")
    return "\n\n".join(lines)
