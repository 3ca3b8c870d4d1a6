"""Circles and who may see them.

`circle_access` is the one gate every circle-scoped page goes through: a
person who is not an active member gets NotFound, exactly as if the circle did
not exist, so circle ids reveal nothing.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
from sqlalchemy import Label, Select, bindparam, case, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from coordinator.clock import is_known_zone
from coordinator.errors import Invalid, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, ROLES, Circle, Membership, MembershipStatus
from coordinator.services.health.activity import activity_record

NAME_MAX = 120


def _clean_name(raw: str, *, field: str, what: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise Invalid(f"Enter {what}.", field=field)
    if len(name) > NAME_MAX:
        raise Invalid(f"Keep {what} under {NAME_MAX} characters.", field=field)
    if any(ord(ch) < 32 for ch in name):
        raise Invalid(f"Remove the control characters from {what}.", field=field)
    return name


def circle_create(
    *,
    creator: User,
    for_self: bool,
    patient_name: str,
    name: str,
    timezone: str,
    phone_region: str,
) -> Circle:
    """Start a circle. The creator is its patient (for_self) or its first coordinator."""
    patient = creator.name if for_self else _clean_name(patient_name, field="patient_name", what="their name")
    title = _clean_name(name, field="name", what="a name for the circle") if name.strip() else None
    if not is_known_zone(timezone):
        raise Invalid("Choose a time zone from the list.", field="timezone")
    region = (phone_region or "").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise Invalid("Choose a country from the list.", field="phone_region")
    first = patient.split()[0]
    circle = Circle(
        name=title or f"Helping {first}",
        patient_name=patient,
        timezone=timezone,
        phone_region=region,
        created_by_id=creator.id,
    )
    db.session.add(circle)
    db.session.flush()
    membership = Membership(circle=circle, user=creator, role=PATIENT if for_self else COORDINATOR)
    db.session.add(membership)
    db.session.flush()
    activity_record(kind="circle.created", circle_id=circle.id, actor_id=creator.id)
    activity_record(
        kind="member.joined",
        circle_id=circle.id,
        actor_id=creator.id,
        subject_id=creator.id,
        data={"role": membership.role},
    )
    return circle


def circle_access(*, circle_id: int, user: User, roles: tuple[str, ...] = ROLES) -> Membership:
    """The user's active membership of the circle, if its role is in `roles`; else NotFound.

    Members whose role is not allowed also get NotFound: a supporter learns no
    more about a coordinator-only page than a stranger does. (A signed-in page
    usually has the membership already, from the session's own query:
    `sessions.session_member`, checked here by `membership_allowed`.)
    """
    if not getattr(user, "is_authenticated", False):
        raise NotFound("No such circle.")
    row = db.session.execute(_membership_statement(), {"circle_id": circle_id, "user_id": user.id}).first()
    return membership_allowed(row[0] if row else None, roles=roles, circle_count=row.circle_count if row else 0)


def membership_allowed(membership: Membership | None, *, roles: tuple[str, ...], circle_count: int) -> Membership:
    """`membership` if it is there and its role is one of `roles`; NotFound otherwise, exactly as for no circle."""
    if membership is None or membership.role not in roles:
        raise NotFound("No such circle.")
    membership.circle_count = circle_count  # how many circles the person is in, for the navigation
    return membership


def circle_count_column(user_id) -> Label[int]:
    """How many circles the person `user_id` (a column or a bound value) is an active member of, as a column."""
    mine = aliased(Membership, name="mine")
    return (
        select(func.count(mine.id))
        .where(mine.user_id == user_id, mine.status == MembershipStatus.ACTIVE)
        .scalar_subquery()
        .label("circle_count")
    )


@cache
def _membership_statement() -> Select:
    """Built once on first use: constructing the statement cost more than running it (bench/PROFILE.md)."""
    return (
        select(Membership, circle_count_column(bindparam("user_id")))
        .join(Circle, Circle.id == Membership.circle_id)
        .where(
            Membership.circle_id == bindparam("circle_id"),
            Membership.user_id == bindparam("user_id"),
            Membership.status == MembershipStatus.ACTIVE,
        )
        .options(contains_eager(Membership.circle))
    )


def circles_for_user(*, user: User) -> list[Membership]:
    """The user's active memberships with their circles, newest circle first."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Circle, Circle.id == Membership.circle_id)
            .where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE)
            .options(contains_eager(Membership.circle))
            .order_by(Circle.created_at.desc(), Circle.id.desc())
        )
    )


def circle_count_for_user(*, user: User) -> int:
    """How many circles the person is an active member of."""
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE)
    )


def circle_members_screen(*, circle_id: int, offset: int = 0, limit: int = 20) -> tuple[list[Membership], int]:
    """One screen of the People page and how many members there are in all, in one query.

    The patient first, then coordinators, then supporters, each in the order they joined, with their users.
    """
    role_order = case((Membership.role == PATIENT, 0), (Membership.role == COORDINATOR, 1), else_=2)
    rows = db.session.execute(
        select(Membership, func.count().over().label("total"))
        .where(Membership.circle_id == circle_id, Membership.status == MembershipStatus.ACTIVE)
        .options(joinedload(Membership.user))
        .order_by(role_order, Membership.created_at, Membership.id)
        .offset(max(offset, 0))
        .limit(limit)
    ).all()
    return [row[0] for row in rows], rows[0].total if rows else 0


def circle_members(*, circle_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.circle_id == circle_id, Membership.status == MembershipStatus.ACTIVE)
            .options(joinedload(Membership.user))
            .order_by(Membership.created_at, Membership.id)
        )
    )
