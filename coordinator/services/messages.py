"""`notify`: the one way the service says something to a person.

It renders a short text from templates/sms/ (or an email when the person has
no mobile number), and writes it as a pending Message row in the caller's
transaction. The idempotency key makes repeating a notice harmless: the same
key is written once. Delivery happens elsewhere (the dispatcher).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.messages import Message


def notify(
    *,
    user: User,
    kind: str,
    key: str,
    context: dict[str, Any],
    circle_id: int | None = None,
    task_id: int | None = None,
    due_at: datetime | None = None,
    send_by: datetime | None = None,
    subject: str = "",
) -> bool:
    """Queue one message of `kind` to `user`; returns False if it was already queued or can't reach them."""
    if user.phone:
        channel, address = "sms", user.phone
        body = render_template(f"sms/{kind}.txt", **context).strip()
    elif user.email:
        channel, address = "email", user.email
        body = render_template(f"sms/{kind}.txt", **context).strip()
        subject = subject or body.split(". ")[0][:120]
    else:
        return False
    values = {
        "idempotency_key": key,
        "circle_id": circle_id,
        "user_id": user.id,
        "task_id": task_id,
        "kind": kind,
        "channel": channel,
        "to_address": address,
        "subject": subject,
        "body": body,
        "status": "pending",
        "due_at": due_at or now(),
        "send_by": send_by,
        "attempts": 0,
        "created_at": now(),
        "updated_at": now(),
    }
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = db.session.execute(
        insert(Message).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    return result.rowcount == 1


def messages_cancel(*, task_id: int, user_id: int | None = None, kinds: tuple[str, ...] | None = None) -> int:
    """Cancel pending messages about a task (for one person, of some kinds); returns how many."""
    query = select(Message).where(Message.task_id == task_id, Message.status == "pending")
    if user_id is not None:
        query = query.where(Message.user_id == user_id)
    if kinds:
        query = query.where(Message.kind.in_(kinds))
    cancelled = 0
    for message in db.session.scalars(query):
        message.status = "cancelled"
        cancelled += 1
    return cancelled
