"""Closing a circle: the patient ends it, and after a grace period they chose, all of it is deleted.

Closing is the patient's decision alone. From that moment the circle is
read-only (no new needs, claims or invitations: `circle_open_check`), every
text or email still waiting about it is cancelled, the scheduler's jobs pass
it by, and each member is told once. Until `purge_after` the patient or a
coordinator can change their mind (`circle_close_cancel`); after it, the
purge job (services/people/purging.py) deletes every row of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from coordinator.clock import local, now
from coordinator.errors import Conflict, Invalid
from coordinator.extensions import db
from coordinator.models.circles import PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.messages import Message, MessageStatus
from coordinator.services.health.activity import activity_record
from coordinator.services.texting.messages import notify

GRACE_CHOICES = (7, 30, 90)  # days the patient can choose between (and the host's default)
CLOSED = "This circle is closing, so nothing new can be added to it."


def grace_choices() -> list[int]:
    """The grace periods offered, in days: a week, a month, three months, and the host's default."""
    return sorted({*GRACE_CHOICES, current_app.config["CIRCLE_PURGE_GRACE_DAYS"]})


def circle_open_check(circle: Circle) -> None:
    """Conflict if the circle is closed: nothing new is asked for, taken or sent out from it."""
    if circle.closed_at is not None:
        raise Conflict(CLOSED)


def circle_close_check(*, actor: Membership) -> None:
    """Conflict unless `actor` is the patient of a circle that is still open."""
    if actor.role != PATIENT:
        raise Conflict("Only the person the circle is for can close it.")
    circle_open_check(actor.circle)


def messages_cancel_pending(*, circle_id: int, user_id: int | None = None, kind: str | None = None) -> int:
    """Cancel every text or email still waiting about a circle (to one person, of one kind); returns how many."""
    statement = update(Message).where(Message.circle_id == circle_id, Message.status == MessageStatus.PENDING)
    if user_id is not None:
        statement = statement.where(Message.user_id == user_id)
    if kind is not None:
        statement = statement.where(Message.kind == kind)
    return db.session.execute(
        statement.values(status=MessageStatus.CANCELLED, updated_at=now()).execution_options(synchronize_session=False)
    ).rowcount


def circle_close(*, actor: Membership, grace_days: int) -> datetime:
    """Close the actor's circle; it is purged `grace_days` from now unless someone cancels. Returns that moment."""
    circle_close_check(actor=actor)
    if grace_days not in grace_choices():
        raise Invalid("Choose how long to keep it from the list.", field="grace_days")
    circle, moment = actor.circle, now()
    circle.closed_at, circle.closed_by_id = moment, actor.user_id
    circle.purge_after = moment + timedelta(days=grace_days)
    db.session.flush()
    messages_cancel_pending(circle_id=circle.id)
    _tell_members(circle, actor=actor)
    activity_record(
        kind="circle.closed",
        circle_id=circle.id,
        actor_id=actor.user_id,
        data={"grace_days": grace_days, "purge_after": circle.purge_after.isoformat()},
    )
    return circle.purge_after


def _tell_members(circle: Circle, *, actor: Membership) -> int:
    """One message to each member but the patient: the circle is closing, nothing more is needed."""
    told = 0
    members = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.ACTIVE)
    )
    for member in members:
        if member.user_id == actor.user_id:
            continue
        told += notify(
            user=member.user,
            kind="circle_closed",
            key=f"circle-closed:{circle.id}:{circle.closed_at:%Y%m%dT%H%M%S}:{member.user_id}",
            context={"circle_name": circle.name, "first_name": circle.patient_first_name},
            circle_id=circle.id,
        )
    return told


def circle_close_cancel(*, actor: Membership) -> None:
    """The patient or a coordinator keeps the circle after all, any time before its purge."""
    circle = actor.circle
    if not actor.manages:
        raise Conflict("Only the patient or a coordinator can keep the circle open.")
    if circle.closed_at is None:
        raise Conflict("This circle is open.")
    if circle.purge_started_at is not None or circle.purge_after <= now():
        raise Conflict("It's too late to keep this circle: it is being deleted.")
    circle.closed_at = circle.closed_by_id = circle.purge_after = None
    messages_cancel_pending(circle_id=circle.id, kind="circle_closed")  # a notice held by quiet hours stays unsent
    activity_record(kind="circle.close_cancelled", circle_id=circle.id, actor_id=actor.user_id)


def closes_on(circle: Circle) -> str:
    """When a closed circle is deleted, in its own zone's words: "Tue 3 Dec"."""
    return f"{local(circle.purge_after, circle.timezone):%a %-d %b}" if circle.purge_after else ""
