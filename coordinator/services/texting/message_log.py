"""The coordinators' message log, in words a family member understands.

Every text and email the circle sent or will send is a row (services/texting/messages.py);
this names who each went to (an invitee by the name they were invited under, not
"Invitee"), what kind of message it was ("Ask", "Reminder") and what became of it
("Sent", "Waiting for quiet hours to end", "Couldn't be delivered"), with the reason
in plain words when one went wrong. Two queries, however long the log: a page of
LOG_LENGTH messages (about 25 KB on a phone), older ones a page at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from coordinator.clock import local, now
from coordinator.extensions import db
from coordinator.models.circles import Circle
from coordinator.models.invitations import Invitation
from coordinator.models.messages import Message, MessageStatus
from coordinator.services.texting.before_sending import QUIET_EXEMPT
from coordinator.services.texting.dispatch import OPTED_OUT_CODES, UNREACHABLE_CODES
from coordinator.services.texting.quiet_hours import window_for, zone_for

LOG_LENGTH = 40

KINDS = {
    "ask": "Ask",
    "reminder": "Reminder",
    "checkin": "Still on?",
    "invitation": "Invitation",
    "welcome": "Welcome",
    "join_requested": "Asked to join",
    "join_approved": "Let in",
    "claim_assigned": "Signed up by someone",
    "claim_unassigned": "Taken off a task",
    "claim_released": "Gave a task back",
    "task_cancelled": "Cancelled",
    "task_moved": "Time changed",
    "digest": "Weekly summary",
    "alert": "Nobody has said yes",
    "alert_backup": "Still nobody",
    "thanks": "Thank you",
    "note": "Note",
    "reengage": "Checking in",
    "reopen_ask": "Can you help again?",
    "reopen_review": "Please look over",
    "patient_checkin": "How is this week?",
    "patient_low": "Could use support",
    "draft_review": "Asked by text",
    "sign_in_code": "Sign-in code",
    "password_reset": "Password reset",
    "update_news": "New update",
    "update_email": "Update by email",
    "update_week": "The week's updates",
    "update_review": "Update to approve",
    "notes_summary": "Notes for the patient",
}
# A link that signs its one reader in is theirs alone: the log shows where it goes, never the token.
PERSONAL_LINK = re.compile(r"(/(?:u|r|i|link|register/finish|password/reset)/)[A-Za-z0-9_-]{16,}")
# Why the dispatcher did not send something (before_sending.cancel_reason and friends), for a coordinator.
NOT_SENT = {
    "too late: its moment has passed": "Its moment had passed.",
    "the number replied STOP": "They replied STOP, so we don't text them.",
    "texts are off for this person": "They've turned texts off.",
    "the task was cancelled": "The task was cancelled.",
    "somebody already took it": "Someone else had already said yes.",
    "the task was given back": "They had given the task back.",
    "they already said they can still do it": "They had already replied OK.",
    "no longer in the circle": "They're no longer in the circle.",
    "only possible in quiet hours before it stopped mattering": "It could only have gone during their quiet hours.",
    "stale: a digest more than a day old": "The weekly list was more than a day old by then.",
    "stale: the window has closed": "The time to do it had passed.",
    "stale: the task has started": "The task had already started.",
    "stale: too late in the window to ask": "It was too late in the week to ask.",
    "stale: the reminder going now says it": "The reminder going at the same time said it.",
    "over the week's asks": "They'd had all the asks a week they agreed to.",
    "too soon after another ask": "They'd been asked something else shortly before.",
    "re-engagement too soon after another ask": "They'd been asked something else shortly before.",
}


@dataclass(frozen=True)
class LogEntry:
    message: Message
    to_name: str
    kind: str  # what sort of message, in words
    status: str  # what became of it, in words
    tone: str  # "ok", "bad" or "" (how the status is coloured)
    why: str = ""  # why it wasn't sent or didn't arrive, when we know
    words: str = ""  # what it said, or that retention has removed that (services/texting/retention.py)


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    older: int | None  # the message the next page starts below, None when this is the last page


def message_log(*, circle: Circle, before: int | None = None, limit: int = LOG_LENGTH) -> LogPage:
    """The circle's latest messages, newest first, `limit` at a time; `before` (a message id) starts below it."""
    query = (
        select(Message)
        .where(Message.circle_id == circle.id)
        .options(joinedload(Message.user))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit + 1)
    )
    if before is not None:  # keyset: strictly older than that message (of this circle; any other id gives nothing)
        boundary = (
            select(Message.created_at).where(Message.id == before, Message.circle_id == circle.id).scalar_subquery()
        )
        query = query.where(
            or_(Message.created_at < boundary, and_(Message.created_at == boundary, Message.id < before))
        )
    messages = list(db.session.scalars(query))
    older = messages[limit - 1].id if len(messages) > limit else None
    messages = messages[:limit]
    invited = _invitee_names(circle, [m for m in messages if m.user is None])
    moment = now()
    removed = f"(The words were removed after {current_app.config['RETAIN_MESSAGE_BODIES_DAYS']} days.)"
    entries = [
        _entry(m, circle=circle, invitee=invited.get(_invitation_id(m)), moment=moment, removed=removed)
        for m in messages
    ]
    return LogPage(entries=entries, older=older)


def _invitation_id(message: Message) -> int | None:
    """Invitations are queued under the key "invitation:<id>:<channel>" (services/people/invitations.py)."""
    parts = message.idempotency_key.split(":")
    return (
        int(parts[1])
        if message.kind == "invitation" and len(parts) == 3 and parts[1].isascii() and parts[1].isdigit()
        else None
    )


def _invitee_names(circle: Circle, messages: list[Message]) -> dict[int, str]:
    ids = {i for i in map(_invitation_id, messages) if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Invitation.id, Invitation.name).where(Invitation.circle_id == circle.id, Invitation.id.in_(ids))
    )
    return {row.id: row.name for row in rows}


def _entry(message: Message, *, circle: Circle, invitee: str | None, moment, removed: str) -> LogEntry:
    if message.user is not None:
        name = message.user.name
    else:
        name = invitee or ("Someone you invited" if message.kind == "invitation" else "Someone not in the circle")
    status, tone, why = message_status(message, circle_zone=circle.timezone, moment=moment)
    kind = KINDS.get(message.kind, message.kind.replace("_", " ").capitalize())
    words = PERSONAL_LINK.sub(r"\1…", message.body) if message.body else removed
    return LogEntry(message, name, kind, status, tone, why, words=words)


def message_status(message: Message, *, circle_zone: str, moment=None) -> tuple[str, str, str]:
    """(status, tone, why) for one message, in words."""
    moment = moment or now()
    state = message.status
    if state == MessageStatus.PENDING:
        if message.due_at > moment:
            return (
                ("Waiting for quiet hours to end", "", "")
                if _held_for_quiet(message, circle_zone)
                else ("Planned", "", "")
            )
        return (
            ("Trying again", "", "The first try didn't go through.") if message.last_error else ("Sending now", "", "")
        )
    if state in (MessageStatus.SENDING, MessageStatus.UNKNOWN):
        return "Sending now" if state == MessageStatus.SENDING else "Checking it went", "", ""
    if state == MessageStatus.SENT:
        return "Sent", "ok", ""
    if state == MessageStatus.DELIVERED:
        return "Delivered", "ok", ""
    if state == MessageStatus.CANCELLED:
        return "Not sent", "", NOT_SENT.get(message.last_error, "It was no longer needed.")
    return "Couldn't be delivered", "bad", _undelivered_why(message)


def _held_for_quiet(message: Message, circle_zone: str) -> bool:
    """Whether a future text is due exactly when the recipient's quiet hours end (and so waits for them)."""
    if message.channel != "sms" or message.kind in QUIET_EXEMPT:
        return False
    _start, end = window_for(message.user)
    wall = local(message.due_at, zone_for(message.user, circle_zone))
    return (wall.hour, wall.minute) == (end.hour, end.minute)


def _undelivered_why(message: Message) -> str:
    code = message.error_code or ""
    if code in OPTED_OUT_CODES:
        return "They had replied STOP, so their phone company won't pass texts on."
    if code in UNREACHABLE_CODES:
        return "That number can't receive texts. Check it with them."
    if message.channel == "email":
        return "The email couldn't be delivered. Check the address with them."
    return "Their phone company didn't pass it on. It may be switched off or out of signal."
