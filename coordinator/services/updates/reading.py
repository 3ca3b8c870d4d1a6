"""Who may read which update, and the pages of updates each member sees.

One rule, used by every page, photo and texted link: the patient and coordinators
read every update of their circle (those waiting for approval too); a supporter
reads published updates for the whole circle, and inner-circle ones only while in
the inner circle. Anything else is NotFound, the same answer as for an update that
does not exist. A page of updates costs the same few queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.models.circles import MANAGING_ROLES, PATIENT, Membership, MembershipStatus
from coordinator.models.updates import Audience, Update, UpdateHeart, UpdateNote, UpdateStatus

PER_PAGE = 10


def readable(member: Membership) -> ColumnElement[bool]:
    """The WHERE clause for "updates this member may read" (their circle's, by the rule above)."""
    mine = Update.circle_id == member.circle_id
    if member.manages:
        return mine
    audience = true() if member.inner_circle else Update.audience == Audience.CIRCLE
    return and_(mine, Update.status == UpdateStatus.PUBLISHED, audience)


def may_read(member: Membership, update: Update) -> bool:
    if update.circle_id != member.circle_id:
        return False
    if member.manages:
        return True
    return update.status == UpdateStatus.PUBLISHED and (update.audience == Audience.CIRCLE or member.inner_circle)


def may_change(member: Membership, update: Update) -> bool:
    """The author may edit or delete an update, and the patient any update of her circle."""
    return member.manages and (member.role == PATIENT or update.author_id == member.user_id)


def update_for(member: Membership, update_id: int) -> Update:
    """The update, if this member may read it; NotFound otherwise (the same as for none at all)."""
    update = db.session.scalar(
        select(Update)
        .options(selectinload(Update.photos), joinedload(Update.author))
        .where(Update.id == update_id, readable(member))
    )
    if update is None:
        raise NotFound("No such update.")
    return update


@dataclass
class UpdatesPage:
    """One page of updates with what each one's card shows, loaded in a fixed number of queries."""

    updates: list[Update]
    page: int
    has_next: bool
    hearts: dict[int, int] = field(default_factory=dict)  # update id -> how many
    hearted: set[int] = field(default_factory=set)  # the ones this member sent love to
    notes: dict[int, int] = field(default_factory=dict)  # update id -> notes this member may see


def notes_visible(member: Membership, circle_notes_shared: bool) -> ColumnElement[bool]:
    """Notes this member may read: the patient and coordinators all but hidden ones (the patient: all);
    a supporter their own, and others' only when the patient shares notes."""
    mine = UpdateNote.circle_id == member.circle_id
    if member.role == PATIENT:
        return mine
    shown = and_(mine, UpdateNote.hidden_at.is_(None))
    if member.manages or circle_notes_shared:
        return shown
    return and_(shown, UpdateNote.author_id == member.user_id)


def updates_page(member: Membership, *, page: int = 1, per_page: int = PER_PAGE) -> UpdatesPage:
    """Newest first: the page's updates (authors and photos with them), hearts and note counts: four queries."""
    page = max(1, page)
    rows = list(
        db.session.scalars(
            select(Update)
            .options(selectinload(Update.photos), joinedload(Update.author))
            .where(readable(member))
            .order_by(
                (Update.status == UpdateStatus.PENDING).desc(),
                func.coalesce(Update.published_at, Update.created_at).desc(),
                Update.id.desc(),
            )
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    result = UpdatesPage(updates=rows[:per_page], page=page, has_next=len(rows) > per_page)
    _counts_add(result, member)
    return result


def _counts_add(result: UpdatesPage, member: Membership) -> None:
    ids = [u.id for u in result.updates]
    if not ids:
        return
    counts = db.session.execute(
        select(
            UpdateHeart.update_id,
            func.count(),
            func.max(func.cast(UpdateHeart.user_id == member.user_id, db.Integer)),
        )
        .where(UpdateHeart.update_id.in_(ids))
        .group_by(UpdateHeart.update_id)
    ).all()
    result.hearts = {update_id: count for update_id, count, _ in counts}
    result.hearted = {update_id for update_id, _, mine in counts if mine}
    shared = member.circle.notes_shared
    result.notes = dict(
        db.session.execute(
            select(UpdateNote.update_id, func.count())
            .where(UpdateNote.update_id.in_(ids), notes_visible(member, shared))
            .group_by(UpdateNote.update_id)
        ).all()
    )


def update_latest(member: Membership) -> Update | None:
    """The newest published update this member may read (the circle's first page shows it), with its photos."""
    return db.session.scalar(
        select(Update)
        .options(selectinload(Update.photos), joinedload(Update.author))
        .where(readable(member), Update.status == UpdateStatus.PUBLISHED)
        .order_by(Update.published_at.desc(), Update.id.desc())
        .limit(1)
    )


def pending_count(member: Membership) -> int:
    """How many updates wait for the patient's approval (shown to the patient and coordinators)."""
    if not member.manages:
        return 0
    return db.session.scalar(
        select(func.count(Update.id)).where(Update.circle_id == member.circle_id, Update.status == UpdateStatus.PENDING)
    )


def notes_for(member: Membership, update: Update) -> list[UpdateNote]:
    """The notes on one update this member may read, oldest first, authors loaded: one query."""
    return list(
        db.session.scalars(
            select(UpdateNote)
            .options(joinedload(UpdateNote.author))
            .where(UpdateNote.update_id == update.id, notes_visible(member, member.circle.notes_shared))
            .order_by(UpdateNote.created_at, UpdateNote.id)
        )
    )


def hearts_on(member: Membership, update: Update) -> tuple[int, bool]:
    """(how many hearts, whether this member sent one): one query."""
    count, mine = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.max(func.cast(UpdateHeart.user_id == member.user_id, db.Integer)), 0),
        ).where(UpdateHeart.update_id == update.id)
    ).one()
    return count, bool(mine)


def readers(update: Update) -> ColumnElement[bool]:
    """The WHERE clause on memberships for "active members who may read this published update" (delivery)."""
    audience = (
        true()
        if update.audience == Audience.CIRCLE
        else or_(Membership.inner_circle.is_(True), Membership.role.in_(MANAGING_ROLES))
    )
    return and_(Membership.circle_id == update.circle_id, Membership.status == MembershipStatus.ACTIVE, audience)
