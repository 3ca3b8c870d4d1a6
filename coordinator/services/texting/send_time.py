"""What a text says about "when", and whether it still makes sense, decided at the moment it is sent.

A text can wait in the outbox for hours (quiet hours, a scheduler host that
didn't run), so "tomorrow at 5pm" written on Thursday is a lie on Friday, and a
check-in that arrives after the task began is noise. The dispatcher calls
`stale_reason` (through before_sending.py) and `words_refresh` on every row
right before sending: the relative phrase is written again for the moment of
sending, in the recipient's zone, and a text whose moment has passed is dropped.
An offer of several tasks (services/health/offers.py) names only those somebody
could still take when it goes (`offer_trim`): "TAKE 150" for a task taken an hour
ago would only earn "someone already has it".

Any-time tasks ("any time by Sunday": `Task.anytime`, `starts_at` the end of
the last day) are worded as such and never asked about on their last afternoon.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from coordinator.clock import local, now, short_time, to_utc_lenient
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.needs import Task, TaskStatus
from coordinator.plain_text import text_clean
from coordinator.services.texting.quiet_hours import zone_for
from coordinator.sms.segments import gsm_plain, segments

ASKING_KINDS = {"ask", "checkin", "reengage"}  # they ask something of someone about a task
TIMED_KINDS = {"reminder"} | ASKING_KINDS  # worthless once the task has begun
LAST_CALL = time(12, 0)  # an any-time task is not asked about after noon of its last day
DIGEST_LIFE = timedelta(days=1)
TAKE_CODE = re.compile(r"\(TAKE (\d+)\)")  # how an offer's line names its task (services/texting/digests.digest_line)


def last_day(task: Task) -> date:
    """The day an any-time task must be done by (its `starts_at` is the midnight after it)."""
    return (local(task.starts_at, task.timezone) - timedelta(seconds=1)).date()


def last_call(task: Task) -> datetime:
    """After this, asking about an any-time task or checking in on it comes too late to be useful."""
    return to_utc_lenient(last_day(task), LAST_CALL, task.timezone)


def when_words(task: Task, moment: datetime, zone: str, *, short: bool = False) -> str:
    """Words true at `moment` in `zone`: "today at 5pm", "tomorrow at 5pm", "Fri 4 Dec at 5pm", "any time by Sunday".

    `short` drops "any time" when the longer words would take a text past its one segment.
    """
    today = local(moment, zone).date()
    if task.anytime:
        last = last_day(task)
        if last == today:
            return "any time today" if not short else "today"
        day = f"{last:%A}" if 0 < (last - today).days < 7 else f"{last:%a %-d %b}"
        return f"by {day}" if short else f"any time by {day}"
    start = local(task.starts_at, task.timezone)
    hour = short_time(start.time())
    if start.date() == today:
        return f"today at {hour}"
    if start.date() == today + timedelta(days=1):
        return f"tomorrow at {hour}"
    return f"{start:%a %-d %b} at {hour}"


def _phrases(task: Task) -> list[str]:
    """Every way a text may have put this task's time when it was written, longest first."""
    if task.anytime:
        last = last_day(task)
        dated, weekday = f"by {last:%a %-d %b}", f"by {last:%A}"
        return [f"any time {dated}", f"any time {weekday}", "any time today", dated, weekday, "today"]
    start = local(task.starts_at, task.timezone)
    hour = short_time(start.time())
    return [f"{start:%a %-d %b} at {hour}", f"tomorrow at {hour}", f"today at {hour}"]


def _recipient_zone(message: Message, task: Task) -> str:
    user = db.session.get(User, message.user_id) if message.user_id else None
    circle_zone = db.session.scalar(select(Circle.timezone).where(Circle.id == message.circle_id))
    return zone_for(user, circle_zone or task.timezone)


def _rewrite(text: str, task: Task, new: str) -> str:
    for old in _phrases(task):
        if old in text:
            return text.replace(old, new, 1)
    return text


def words_refresh(message: Message) -> bool:
    """Write the row's "when" words again for now; True if its body changed (the caller commits)."""
    if not message.task_id or not message.body:
        return False
    trimmed = offer_trim(message)
    task = db.session.get(Task, message.task_id)
    if task is None:
        return False
    zone, moment = _recipient_zone(message, task), now()
    body = _rewrite(message.body, task, when_words(task, moment, zone))
    if message.channel == "sms" and segments(body).count > max(segments(message.body).count, 1):
        body = _rewrite(message.body, task, when_words(task, moment, zone, short=True))
    body = text_clean(gsm_plain(body) if message.channel == "sms" else body)
    if body == message.body:
        return trimmed
    message.body = body
    if message.subject:
        message.subject = text_clean(_rewrite(message.subject, task, when_words(task, moment, zone)), multiline=False)
    return True


def offer_trim(message: Message) -> bool:
    """Take out of an offer ("For Maria: Tue 9am ride (TAKE 142); Thu 5pm meal (TAKE 150). Can you do one? ...") the
    lines of tasks nobody can take any more (taken, cancelled, begun); True if the body changed.

    before_sending.cancel_reason has already decided the text still goes, so at least one line stays.
    """
    if message.kind != "ask" or not message.body:
        return False
    body = message.body
    codes = TAKE_CODE.findall(body)
    if len(codes) < 2 or ": " not in body:
        return False
    start, end = body.index(": ") + 2, [m.end() for m in TAKE_CODE.finditer(body)][-1]
    lines = body[start:end].split("; ")
    if [c for line in lines for c in TAKE_CODE.findall(line)] != codes or any(
        len(TAKE_CODE.findall(line)) != 1 for line in lines
    ):
        return False  # not the shape an offer is written in: leave it as it is
    takeable = set(
        db.session.scalars(
            select(Task.id).where(
                Task.id.in_([int(c) for c in codes]),
                Task.circle_id == message.circle_id,
                Task.status == TaskStatus.OPEN,
                Task.claimed < Task.capacity,
                Task.starts_at > now(),
            )
        )
    )
    kept = [line for line in lines if int(TAKE_CODE.findall(line)[0]) in takeable]
    if not kept or len(kept) == len(lines):
        return False
    message.body = body[:start] + "; ".join(kept) + body[end:]
    return True


def stale_reason(message: Message) -> str | None:
    """Why a text's moment has passed (checked right before sending), or None."""
    moment = now()
    if message.kind == "digest" and message.created_at < moment - DIGEST_LIFE:
        return "stale: a digest more than a day old"
    if message.kind not in TIMED_KINDS or not message.task_id:
        return None
    task = db.session.get(Task, message.task_id)
    if task is None:
        return None
    if task.starts_at <= moment:
        return "stale: the window has closed" if task.anytime else "stale: the task has started"
    if task.anytime and message.kind in ASKING_KINDS and moment >= last_call(task):
        return "stale: too late in the window to ask"
    if message.kind == "checkin" and message.claim_id and _reminder_due(message, moment):
        return "stale: the reminder going now says it"  # one clear text, not "still good?" and "reminder" at once
    return None


def _reminder_due(message: Message, moment: datetime) -> bool:
    """A reminder for the same claim is due too (a dispatcher that didn't run overnight): it alone should go."""
    found = db.session.scalar(
        select(Message.id).where(
            Message.kind == "reminder",
            Message.claim_id == message.claim_id,
            Message.status.in_((MessageStatus.PENDING, MessageStatus.SENDING)),
            Message.due_at <= moment,
        )
    )
    return found is not None
