"""Queuing texts and emails: `notify` for people we know, `message_queue` for anyone.

Both render a short text from templates/sms/ and write it as a pending Message
row in the caller's transaction, so a message exists exactly when the change
that caused it commits. The idempotency key makes repeating harmless: a key is
written once. Delivery happens elsewhere (the dispatcher).
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
from coordinator.models.messages import Message, MessageStatus
from coordinator.plain_text import text_clean
from coordinator.services.same_work import insert_for_user
from coordinator.sms.segments import gsm_plain


def message_queue(
    *,
    channel: str,
    to_address: str,
    kind: str,
    key: str,
    body: str,
    subject: str = "",
    user_id: int | None = None,
    circle_id: int | None = None,
    task_id: int | None = None,
    claim_id: int | None = None,
    due_at: datetime | None = None,
    send_by: datetime | None = None,
    only_to_a_user: bool = False,
) -> bool:
    """Write one pending message unless `key` was already used; True if written.

    `only_to_a_user`: write it only if `user_id` is an account's (services/same_work.py), so a request
    about someone unknown runs the very same statement and writes nothing (sign-in codes, resets).
    """
    moment = now()
    values = {
        "idempotency_key": key,
        "circle_id": circle_id,
        "user_id": user_id,
        "task_id": task_id,
        "claim_id": claim_id,
        "kind": kind,
        "channel": channel,
        "to_address": to_address,
        # The last defence (coordinator/plain_text.py): no control or direction character is ever sent.
        "subject": text_clean(subject, multiline=False),
        "body": text_clean(gsm_plain(body) if channel == "sms" else body),
        "status": MessageStatus.PENDING,
        "due_at": due_at or moment,
        "send_by": send_by,
        "attempts": 0,
        "created_at": moment,
        "updated_at": moment,
    }
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    written = insert_for_user(Message, values, user_id=user_id) if only_to_a_user else insert(Message).values(**values)
    statement = written.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Message.id)
    # RETURNING, not rowcount: an ORM-enabled insert on PostgreSQL reports rowcount -1.
    return db.session.execute(statement).first() is not None


def notify(
    *,
    user: User,
    kind: str,
    key: str,
    context: dict[str, Any],
    circle_id: int | None = None,
    task_id: int | None = None,
    claim_id: int | None = None,
    due_at: datetime | None = None,
    send_by: datetime | None = None,
    subject: str = "",
    template: str | None = None,
) -> bool:
    """Queue one message of `kind` to `user` by text, or by email if they can't be texted.

    The words come from templates/sms/<template or kind>.txt (an ask offering several tasks is still an "ask").
    Returns False if it was already queued, or the person can't be reached at all.
    """
    body = render_template(f"sms/{template or kind}.txt", **context).strip()
    if user.can_text:
        channel, address = "sms", user.phone
    elif user.email and user.email_enabled:
        channel, address = "email", user.email
        subject = subject or body.split(". ")[0][:120]
    else:
        return False
    return message_queue(
        channel=channel,
        to_address=address,
        kind=kind,
        key=key,
        body=body,
        subject=subject,
        user_id=user.id,
        circle_id=circle_id,
        task_id=task_id,
        claim_id=claim_id,
        due_at=due_at,
        send_by=send_by,
    )


def messages_cancel(
    *, task_id: int | None = None, user_id: int | None = None, kinds: tuple[str, ...] | None = None
) -> int:
    """Cancel pending messages about a task and/or to a person (of some kinds); returns how many."""
    query = select(Message).where(Message.status == MessageStatus.PENDING)
    if task_id is not None:
        query = query.where(Message.task_id == task_id)
    if user_id is not None:
        query = query.where(Message.user_id == user_id)
    if kinds:
        query = query.where(Message.kind.in_(kinds))
    cancelled = 0
    for message in db.session.scalars(query):
        message.status = MessageStatus.CANCELLED
        cancelled += 1
    return cancelled
