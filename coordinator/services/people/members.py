"""People in a circle: roles, the inner circle, removal, who waits to be let in, and how each supporter wants to help.

Only the patient hands out the coordinator role (or, in a circle run for
someone without an account, the coordinators). Removing someone takes effect
at their very next request: their sessions end, invitations to them are
revoked, their calendar feed stops, their upcoming tasks open up again, and
texts still waiting to go to them are cancelled.

Anything that takes something away from a person is asked about first, so each
such change has a `*_check` (or a list of what it would reopen) that the
confirmation page shows before the change itself runs the same rules again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.categories import CATEGORIES
from coordinator.clock import is_known_zone, now
from coordinator.errors import Conflict, Invalid, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.invitations import Invitation, InvitationStatus, JoinRequest, JoinRequestStatus
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.models.updates import NotesBy, UpdatesBy
from coordinator.services.care.claims import claim_release
from coordinator.services.care.recurrence import WEEKDAYS
from coordinator.services.health.activity import activity_record
from coordinator.services.people.sessions import sessions_end_all
from coordinator.services.texting.messages import messages_cancel
from coordinator.services.texting.quiet_hours import window_to_store
from coordinator.services.texting.reminders import LEAD_CHOICES

PARTS_OF_DAY = ("morning", "afternoon", "evening")
ASKS_MAX = 14


def member_get(*, circle_id: int, member_id: int) -> Membership:
    member = db.session.scalar(
        select(Membership).where(
            Membership.id == member_id, Membership.circle_id == circle_id, Membership.status == MembershipStatus.ACTIVE
        )
    )
    if member is None:
        raise NotFound("That person isn't in this circle.")
    return member


def can_grant_roles(actor: Membership) -> bool:
    """The patient decides who coordinates; without a patient account, the coordinators do."""
    if actor.role == PATIENT:
        return True
    has_patient = db.session.scalar(
        select(Membership.id).where(
            Membership.circle_id == actor.circle_id,
            Membership.role == PATIENT,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    return actor.role == COORDINATOR and has_patient is None


def member_role_check(*, actor: Membership, member: Membership, role: str) -> None:
    """Conflict (or Invalid) if `actor` may not make `member` a `role`; nothing happens."""
    if role not in (COORDINATOR, SUPPORTER):
        raise Invalid("Choose coordinator or supporter.")
    if not can_grant_roles(actor):
        raise Conflict("Only the patient can change who coordinates.")
    if member.role == PATIENT:
        raise Conflict("The patient's role can't be changed.")
    if member.user_id == actor.user_id:
        raise Conflict("You can't change your own role here.")


def member_set_role(*, actor: Membership, member: Membership, role: str) -> None:
    """Make someone a coordinator, or a supporter again.

    A coordinator made a supporter stays in the inner circle: they keep seeing
    the tasks they already took, and someone trusted to coordinate is trusted
    with "inner circle only" needs. Taking them out is a separate, confirmed step.
    """
    member_role_check(actor=actor, member=member, role=role)
    if member.role == role:
        return
    if member.role == COORDINATOR:
        member.inner_circle = True
    member.role = role
    activity_record(
        kind="member.role_changed",
        circle_id=member.circle_id,
        actor_id=actor.user_id,
        subject_id=member.user_id,
        data={"role": role},
    )


def member_upcoming_tasks(*, member: Membership, inner_only: bool = False) -> list[Task]:
    """The tasks `member` said yes to that haven't ended (and aren't cancelled), soonest first, needs loaded: one query.

    What the confirmation pages name when a change would reopen them.
    """
    query = (
        select(Task)
        .join(Claim, Claim.task_id == Task.id)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .where(
            Claim.user_id == member.user_id,
            Claim.circle_id == member.circle_id,
            Claim.status == ClaimStatus.HELD,
            Task.ends_at > now(),
            Task.status == TaskStatus.OPEN,
        )
        .order_by(Task.starts_at, Task.id)
    )
    if inner_only:
        query = query.where(Need.visibility != "circle")
    return list(db.session.scalars(query))


def member_inner_circle_check(*, member: Membership) -> None:
    """Conflict unless `member` is a supporter: coordinators and the patient see every need anyway."""
    if member.role != SUPPORTER:
        raise Conflict("Coordinators and the patient already see every need.")


def member_set_inner_circle(*, actor: Membership, member: Membership, inside: bool) -> int:
    """Put a supporter in or out of the inner circle, which sees "inner circle only" needs.

    Going out, the upcoming inner-circle tasks they took open up again (they
    could no longer see them); returns how many did.
    """
    member_inner_circle_check(member=member)
    if member.inner_circle == inside:
        return 0
    reopened = 0
    if not inside:
        for task in member_upcoming_tasks(member=member, inner_only=True):
            reopened += claim_release(membership=member, task_id=task.id, released_by=actor.user)
    member.inner_circle = inside
    activity_record(
        kind="member.role_changed",
        circle_id=member.circle_id,
        actor_id=actor.user_id,
        subject_id=member.user_id,
        data={"inner_circle": inside},
    )
    return reopened


def member_remove_check(*, actor: Membership, member: Membership) -> None:
    """Conflict if `actor` may not remove `member`; nothing happens."""
    if member.role == PATIENT:
        raise Conflict("The patient can't be removed from their own circle.")
    if member.user_id == actor.user_id:
        raise Conflict("You can't remove yourself here.")
    if member.role == COORDINATOR and not can_grant_roles(actor):
        raise Conflict("Only the patient can remove a coordinator.")


def member_remove(*, actor: Membership, member: Membership) -> None:
    """Take someone out of the circle; everything of theirs stops at their next request."""
    member_remove_check(actor=actor, member=member)
    user = member.user
    member_withdraw(member=member, released_by=actor.user)
    messages_cancel(user_id=user.id)
    sessions_end_all(user=user)
    activity_record(kind="member.removed", circle_id=member.circle_id, actor_id=actor.user_id, subject_id=user.id)


def member_withdraw(*, member: Membership, released_by: User | None, tell_coordinators: bool = True) -> list[int]:
    """What taking anyone out of a circle does, whoever asked (removal, leaving, deleting an account).

    Their held tasks that haven't ended open up again (returns those task ids),
    the membership is marked removed, their calendar feed stops, and invitations
    still waiting for their number or email in this circle are revoked.
    """
    user = member.user
    reopened = []
    for task_id in db.session.scalars(
        select(Claim.task_id)
        .join(Task, Task.id == Claim.task_id)
        .where(
            Claim.user_id == user.id,
            Claim.circle_id == member.circle_id,
            Claim.status == ClaimStatus.HELD,
            Task.ends_at > now(),
        )
    ):
        if claim_release(
            membership=member, task_id=task_id, released_by=released_by, tell_coordinators=tell_coordinators
        ):
            reopened.append(task_id)
    member.status, member.removed_at, member.inner_circle = MembershipStatus.REMOVED, now(), False
    member.feed_version += 1
    contacts = [
        c
        for c in (
            Invitation.phone == user.phone if user.phone else None,
            Invitation.email == user.email if user.email else None,
        )
        if c is not None
    ]
    if contacts:
        db.session.execute(
            update(Invitation)
            .where(
                Invitation.circle_id == member.circle_id, Invitation.status == InvitationStatus.PENDING, or_(*contacts)
            )
            .values(status=InvitationStatus.REVOKED, revoked_at=now())
            .execution_options(synchronize_session=False)
        )
    return reopened


UPDATES_BY = frozenset(UpdatesBy)
NOTES_BY = frozenset(NotesBy)


@dataclass
class Preferences:
    categories: list[str] = field(default_factory=list)
    availability: dict[str, list[str]] = field(default_factory=dict)
    asks_per_week: int | None = 3
    timezone: str = ""
    quiet_start: time | None = None
    quiet_end: time | None = None
    quiet_usual: bool = False  # "Use the usual quiet hours": the host's, not chosen (see quiet_hours.window_to_store)
    sms_enabled: bool = True
    email_enabled: bool = True
    reminder_leads: list[str] | None = None  # None: leave as they are
    updates_by: str | None = None  # how to hear of updates (models/updates.UpdatesBy); None: leave as it is
    notes_by: str | None = None  # the patient's and coordinators': how to hear of notes (NotesBy); None: leave


def preferences_update(*, member: Membership, prefs: Preferences) -> None:
    """Save what a supporter is glad to do, when, how often to ask, and how to reach them."""
    unknown = [c for c in prefs.categories if c not in CATEGORIES]
    if unknown:
        raise Invalid("Choose kinds of help from the list.", field="categories")
    availability = {}
    for day, parts in prefs.availability.items():
        if day not in WEEKDAYS or any(p not in PARTS_OF_DAY for p in parts):
            raise Invalid("Choose days and times from the grid.", field="availability")
        if parts:
            availability[day] = sorted(set(parts), key=PARTS_OF_DAY.index)
    if prefs.asks_per_week is None or not 0 <= prefs.asks_per_week <= ASKS_MAX:
        raise Invalid(f"Choose between 0 and {ASKS_MAX} asks a week.", field="asks_per_week")
    if prefs.timezone and not is_known_zone(prefs.timezone):
        raise Invalid("Choose a time zone from the list.", field="timezone")
    if prefs.reminder_leads is not None and any(lead not in LEAD_CHOICES for lead in prefs.reminder_leads):
        raise Invalid("Choose reminders from the list.", field="reminder_leads")
    if prefs.updates_by is not None and prefs.updates_by not in UPDATES_BY:
        raise Invalid("Choose how to hear of updates from the list.", field="updates_by")
    if prefs.notes_by is not None and (prefs.notes_by not in NOTES_BY or not member.manages):
        raise Invalid("Choose how to hear of notes from the list.", field="notes_by")
    user = member.user
    quiet = window_to_store(user, usual=prefs.quiet_usual, start=prefs.quiet_start, end=prefs.quiet_end)
    if (quiet[0] is None) != (quiet[1] is None):
        raise Invalid("Choose when quiet hours start and end.", field="quiet_start")
    if not prefs.sms_enabled and not (prefs.email_enabled and user.email):
        raise Invalid(
            "Keep texts or email on, or we can't reach you at all. To leave, ask a coordinator.", field="sms_enabled"
        )
    member.help_categories = [c for c in CATEGORIES if c in prefs.categories]
    member.availability = availability
    member.asks_per_week = prefs.asks_per_week
    user.timezone = prefs.timezone or None
    user.quiet_start, user.quiet_end = quiet
    user.sms_enabled, user.email_enabled = prefs.sms_enabled, prefs.email_enabled
    if prefs.updates_by is not None:
        member.updates_by = prefs.updates_by
    if prefs.notes_by is not None:
        member.notes_by = prefs.notes_by
    if prefs.reminder_leads is not None:
        user.reminder_leads = [lead for lead in LEAD_CHOICES if lead in prefs.reminder_leads]
    activity_record(kind="member.preferences_changed", circle_id=member.circle_id, actor_id=user.id, subject_id=user.id)


def circle_names_visible(*, circle: Circle, actor: User, visible: bool) -> None:
    """The patient's choice: whether supporters see each other's names (never numbers or emails)."""
    circle.names_visible = visible
    activity_record(
        kind="circle.settings_changed", circle_id=circle.id, actor_id=actor.id, data={"names_visible": visible}
    )


def people_waiting(*, circle_id: int) -> list[JoinRequest]:
    """People who used the shared link and wait for a coordinator's yes, oldest first, names loaded: one query."""
    return list(
        db.session.scalars(
            select(JoinRequest)
            .options(joinedload(JoinRequest.user))
            .where(JoinRequest.circle_id == circle_id, JoinRequest.status == JoinRequestStatus.PENDING)
            .order_by(JoinRequest.created_at, JoinRequest.id)
        )
    )
