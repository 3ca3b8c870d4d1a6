"""One voice to coordinators: notices about one task held briefly, so two events in minutes make one text.

A supporter's DROP and the ladder's alert for the same task used to reach a coordinator as two texts in
the same minute. Every notice a coordinator gets about a task goes through `coordinator_notice`: it is
queued due `HOLD` from now, and a second notice for the same coordinator and task while the first has
not gone yet (held, waiting out quiet hours, or overdue because no dispatcher ran) is said inside it (one body that says both) instead of becoming a second text. The second notice's
idempotency key is still written, as a cancelled row naming the message that carries it, so a retried job
never doubles it and the log shows where it went.

`first_told` says when the coordinators were first told that a task needs someone (the backup
coordinator's wait is measured from it), and `coordinator_acted` whether any of them did something
about the task since (took it, assigned someone, covered it, asked everyone, changed it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import render_template
from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.activity import Event
from coordinator.models.circles import COORDINATOR, Membership
from coordinator.models.claims import Claim
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.needs import Task
from coordinator.services.care.tasks import sms_context
from coordinator.services.texting.messages import notify
from coordinator.sms.segments import gsm_plain
from coordinator.urls import public_url

HOLD = timedelta(minutes=5)  # how long a coordinator's notice waits for another about the same task
TASK_NOTICE_KINDS = ("claim_released", "alert", "alert_backup")  # what tells coordinators a task needs someone
# Two notices with a wording of their own when said together (any other pair is joined with "Also:").
TOGETHER = {frozenset({"claim_released", "alert"}): "claim_released_alert"}


def coordinator_notice(
    *, user: User, kind: str, key: str, context: dict[str, Any], task: Task, claim_id: int | None = None
) -> bool:
    """Queue a notice to a coordinator about `task`, or say it in the one already waiting; True if new."""
    waiting = _waiting(user.id, task.id)
    if not notify(
        user=user,
        kind=kind,
        key=key,
        context=context,
        circle_id=task.circle_id,
        task_id=task.id,
        claim_id=claim_id,
        due_at=now() + HOLD,
    ):
        return False  # already queued once (a retried job), or the person can't be reached
    if waiting is None:
        return True
    new = db.session.scalar(select(Message).where(Message.idempotency_key == key))
    _merge(waiting, new, task)
    return True


def _waiting(user_id: int, task_id: int) -> Message | None:
    return db.session.scalar(
        select(Message)
        .where(
            Message.user_id == user_id,
            Message.task_id == task_id,
            Message.kind.in_(TASK_NOTICE_KINDS),
            Message.status == MessageStatus.PENDING,  # not gone yet: held, overdue (no dispatcher ran), or quiet hours
        )
        .order_by(Message.id)
        .limit(1)
    )


def _merge(waiting: Message, new: Message, task: Task) -> None:
    """Say `new` inside `waiting` (still held) and record `new` as said there."""
    together = TOGETHER.get(frozenset({waiting.kind, new.kind}))
    if together and waiting.channel == new.channel == "sms" and not _carries_another(waiting):
        body = render_template(f"sms/{together}.txt", **_context(task, waiting, new)).strip()
        waiting.body = gsm_plain(body)
    else:
        waiting.body = f"{waiting.body} Also: {new.body}"
    waiting.claim_id = waiting.claim_id or new.claim_id
    new.status = MessageStatus.CANCELLED
    new.last_error = _said_in(waiting)
    new.updated_at = now()


def _said_in(message: Message) -> str:
    return f"said in message {message.id}, sent with it"


def _carries_another(message: Message) -> bool:
    """Already says a second notice (its own wording would drop one): join the next one instead."""
    return (
        db.session.scalar(
            select(Message.id)
            .where(Message.task_id == message.task_id, Message.last_error == _said_in(message))
            .limit(1)
        )
        is not None
    )


def _context(task: Task, *messages: Message) -> dict[str, Any]:
    context = sms_context(task) | {"url": public_url("outreach.task", circle_id=task.circle_id, task_id=task.id)}
    for message in messages:
        if message.claim_id:
            claim = db.session.get(Claim, message.claim_id)
            context["person"] = claim.user.first_name
    return context


def first_told(task: Task) -> datetime | None:
    """When coordinators were first told this task needs someone, since it was last taken (None: not yet).

    A notice still held counts from when it is due to go.
    """
    last_taken = db.session.scalar(select(func.max(Claim.created_at)).where(Claim.task_id == task.id))
    query = select(func.min(func.coalesce(Message.sent_at, Message.due_at))).where(
        Message.task_id == task.id,
        Message.kind.in_(TASK_NOTICE_KINDS),
        Message.status != MessageStatus.CANCELLED,
        Message.user_id.in_(_coordinator_ids(task.circle_id)),
    )
    if last_taken is not None:
        query = query.where(Message.created_at >= last_taken)
    return db.session.scalar(query)


def coordinator_acted(task: Task, *, since: datetime) -> bool:
    """Did any coordinator of the circle do something about this task since `since`?"""
    return (
        db.session.scalar(
            select(Event.id)
            .where(
                Event.object_type == "task",
                Event.object_id == task.id,
                Event.actor_id.in_(_coordinator_ids(task.circle_id)),
                Event.occurred_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def _coordinator_ids(circle_id: int):
    return select(Membership.user_id).where(Membership.circle_id == circle_id, Membership.role == COORDINATOR)
