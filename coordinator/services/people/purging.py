"""The purge: a closed circle whose grace period is over is deleted, every row of it, in one transaction.

The scheduler's `purge_circles` job calls `circles_purge`. For each circle due,
`purge_started_at` is set first (the events table lets that circle's rows go
only then: see models/activity.py), then its rows are deleted table by table,
children before parents, and the circle last. One event outside any circle
(`circle.purged`, object "circle" and the old id) says it happened.

People: the patient, coordinators and anyone with a password keep their
accounts (they may be in other circles, or start one). Someone who was only in
this circle and never chose a password (a supporter who came by invitation or
an imported list) had no account of their own making, so they are erased as if
they had deleted it themselves (leaving.account_erase): their row stays, as "A
former member", only because events outside the circle, such as their
sign-ins, still point at it.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.activity import Event
from coordinator.models.circles import Circle, Membership
from coordinator.models.claims import Claim
from coordinator.models.drafts import NeedDraft
from coordinator.models.invitations import ImportBatch, Invitation, JoinRequest, ReopenAnswer, Reopening
from coordinator.models.messages import Message
from coordinator.models.needs import Need, Task
from coordinator.models.plans import Plan, PlanDay, PlanQuiet, PlanRule, PlanTreatment
from coordinator.models.updates import Update, UpdateHeart, UpdateLink, UpdateNote, UpdatePhoto
from coordinator.services.health.activity import activity_record
from coordinator.services.people.leaving import account_erase
from coordinator.services.updates.photos import circle_photos_delete

# Children before parents: each table's rows of the circle, deleted in this order.
CIRCLE_TABLES = (
    Message,
    Event,
    Claim,
    NeedDraft,
    Task,
    Need,
    JoinRequest,
    Invitation,
    ImportBatch,
    UpdateNote,
    UpdatePhoto,
    Update,
)
# A treatment plan's rows hang off the plan (models/plans.py); they go after the needs made from them.
PLAN_TABLES = (PlanQuiet, PlanRule, PlanDay, PlanTreatment)


def circles_purge() -> int:
    """Purge every closed circle whose grace period is over; returns how many were purged."""
    due = list(
        db.session.scalars(
            select(Circle)
            .where(Circle.closed_at.is_not(None), Circle.purge_after <= now(), Circle.purge_started_at.is_(None))
            .order_by(Circle.id)
        )
    )
    for circle in due:
        circle_purge(circle)
    return len(due)


def circle_purge(circle: Circle) -> None:
    """Delete every row of one closed circle, and erase the people who were only ever here without a password."""
    circle_id = circle.id
    circle.purge_started_at = now()
    db.session.flush()
    only_here = _only_here_without_password(circle_id)
    reopenings = select(Reopening.id).where(Reopening.circle_id == circle_id)
    _delete(ReopenAnswer, ReopenAnswer.reopening_id.in_(reopenings))
    _delete(Reopening, Reopening.circle_id == circle_id)
    _delete(UpdateHeart, UpdateHeart.update_id.in_(select(Update.id).where(Update.circle_id == circle_id)))
    _delete(UpdateLink, UpdateLink.membership_id.in_(select(Membership.id).where(Membership.circle_id == circle_id)))
    for model in CIRCLE_TABLES:
        _delete(model, model.circle_id == circle_id)
    plans = select(Plan.id).where(Plan.circle_id == circle_id)
    for model in PLAN_TABLES:
        _delete(model, model.plan_id.in_(plans))
    _delete(Plan, Plan.circle_id == circle_id)
    _delete(Membership, Membership.circle_id == circle_id)
    _delete(Circle, Circle.id == circle_id)
    for user in db.session.scalars(select(User).where(User.id.in_(only_here))):
        account_erase(user=user)
    circle_photos_delete(circle_id)  # the files of its updates' photos, with the rows
    activity_record(
        kind="circle.purged", object_type="circle", object_id=circle_id, data={"people_erased": len(only_here)}
    )
    db.session.flush()


def _delete(model, condition) -> None:
    db.session.execute(delete(model).where(condition).execution_options(synchronize_session=False))


def _only_here_without_password(circle_id: int) -> list[int]:
    """People with no password whose only membership (of any status) is in this circle."""
    other = aliased(Membership)
    elsewhere = (
        select(func.count(other.id)).where(other.user_id == User.id, other.circle_id != circle_id).scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.circle_id == circle_id,
                User.password_hash.is_(None),
                User.deleted_at.is_(None),
                elsewhere == 0,
            )
        )
    )
