"""Leaving: a supporter or coordinator steps out of a circle, or deletes their account altogether.

Leaving a circle is what removal does (members.member_withdraw: upcoming tasks
open again, the feed stops, invitations to them are revoked), asked for by the
person themselves: texts still waiting for them about the circle are cancelled
and the coordinators are told once. The patient can't leave their own circle;
they close it instead (closing.py).

Deleting an account erases the person at once: name, email, phone, password
and preferences go, every session and sign-in code or link ends, pending texts
are cancelled, the texts they sent us and invitations addressed to them are
deleted, and they leave every circle as above. The row itself stays, named "A
former member", so the activity record (which points at it) still adds up:
who took which task last spring is history the circle's health figures need.
What is kept on purpose: a STOP recorded for their number (phone_opt_outs
holds only the number, and keeps it from ever being texted again), and
invitations they sent, which keep working (they invite people into the
circle, not to them).
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.clock import now
from coordinator.errors import Conflict, Invalid
from coordinator.extensions import db
from coordinator.models.accounts import PasswordReset, User, UserSession
from coordinator.models.circles import COORDINATOR, PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.inbound import InboundMessage
from coordinator.models.invitations import PERSONAL, Invitation, JoinRequest
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.sign_in_codes import SignInCode
from coordinator.services.health.activity import activity_record
from coordinator.services.people.accounts import account_authenticate
from coordinator.services.people.closing import messages_cancel_pending
from coordinator.services.people.members import member_withdraw
from coordinator.services.texting.messages import notify

FORMER_MEMBER = "A former member"
MISMATCH = "That password isn't right. Enter the one you sign in with."


def member_leave_check(*, member: Membership) -> None:
    """Conflict if `member` can't leave: the patient closes the circle instead."""
    if member.role == PATIENT:
        raise Conflict("This circle is for you, so you can't leave it. You can close it instead.")


def member_leave(*, member: Membership) -> list[int]:
    """Step out of a circle; returns the ids of the tasks that need someone again."""
    member_leave_check(member=member)
    user = member.user
    reopened = _step_out(member, name=user.name)
    activity_record(kind="member.left", circle_id=member.circle_id, actor_id=user.id, subject_id=user.id)
    return reopened


def _step_out(member: Membership, *, name: str) -> list[int]:
    """Withdraw the membership, cancel what waits for them there, and tell the people who run the circle once."""
    reopened = member_withdraw(member=member, released_by=None, tell_coordinators=False)
    messages_cancel_pending(circle_id=member.circle_id, user_id=member.user_id)
    if member.circle.closed_at is None:
        _tell_managers(member, name=name, count=len(reopened))
    return reopened


def _tell_managers(member: Membership, *, name: str, count: int) -> None:
    """The coordinators hear who left and how many tasks need someone again (the patient, if nobody coordinates)."""
    managers = list(
        db.session.scalars(
            select(Membership)
            .options(joinedload(Membership.user))
            .where(
                Membership.circle_id == member.circle_id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.user_id != member.user_id,
                Membership.role.in_((COORDINATOR, PATIENT)),
            )
        )
    )
    coordinators = [m for m in managers if m.role == COORDINATOR]
    for manager in coordinators or managers:
        notify(
            user=manager.user,
            kind="member_left",
            key=f"member-left:{member.id}:{member.removed_at:%Y%m%dT%H%M%S}:{manager.user_id}",
            context={
                "person": name.split()[0] if name.strip() else name,
                "circle_name": member.circle.name,
                "count": count,
            },
            circle_id=member.circle_id,
        )


def account_delete_blocker(*, user: User) -> Circle | None:
    """The open circle `user` is the patient of, if any: it must be closed before the account can go."""
    return db.session.scalar(
        select(Circle)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(
            Membership.user_id == user.id,
            Membership.role == PATIENT,
            Membership.status == MembershipStatus.ACTIVE,
            Circle.closed_at.is_(None),
        )
        .limit(1)
    )


def account_delete(*, user: User, password: str | None) -> None:
    """Delete `user`'s account now: out of every circle, then everything that identifies them erased.

    A person with a password confirms with it; one without (a supporter who
    signs in by code) confirms on the page alone.
    """
    if user.password_hash:
        try:
            account_authenticate(email=user.email or user.phone or "", password=password or "")
        except Invalid:
            raise Invalid(MISMATCH, field="password") from None
    if account_delete_blocker(user=user) is not None:
        raise Conflict("Your circle is still open. Close it first; then you can delete your account.")
    memberships = list(
        db.session.scalars(
            select(Membership)
            .join(Circle, Circle.id == Membership.circle_id)
            .options(contains_eager(Membership.circle))
            .where(Membership.user_id == user.id, Membership.status != MembershipStatus.REMOVED)
        )
    )
    for member in memberships:
        _step_out(member, name=user.name)
        activity_record(kind="account.deleted", circle_id=member.circle_id, actor_id=user.id, subject_id=user.id)
    if not memberships:
        activity_record(kind="account.deleted", actor_id=user.id, subject_id=user.id)
    account_erase(user=user)


def account_erase(*, user: User) -> None:
    """Erase everything that identifies or reaches `user`, keeping the row the activity record points at."""
    phone, email = user.phone, user.email
    _forget_contact(user_id=user.id, phone=phone, email=email)
    user.name, user.email, user.phone, user.password_hash = FORMER_MEMBER, None, None, None
    user.timezone = user.password_changed_at = user.sms_consent_at = None
    user.sms_opted_out_at = user.phone_unreachable_at = None
    user.sms_enabled = user.email_enabled = False
    user.reminder_leads = []
    user.deleted_at = now()
    db.session.flush()


def _forget_contact(*, user_id: int, phone: str | None, email: str | None) -> None:
    """Sessions, codes, reset links, texts to and from them, and invitations addressed to them."""
    for model in (UserSession, SignInCode, PasswordReset):
        db.session.execute(delete(model).where(model.user_id == user_id).execution_options(synchronize_session=False))
    db.session.execute(
        update(Message)
        .where(Message.user_id == user_id, Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Message)
        .where(Message.user_id == user_id)
        .values(to_address="", body="", subject="")
        .execution_options(synchronize_session=False)
    )
    sent_us = [InboundMessage.user_id == user_id] + ([InboundMessage.from_number == phone] if phone else [])
    db.session.execute(delete(InboundMessage).where(or_(*sent_us)).execution_options(synchronize_session=False))
    addressed = [Invitation.phone == phone] if phone else []
    addressed += [Invitation.email == email] if email else []
    if addressed:
        invitations = select(Invitation.id).where(Invitation.kind == PERSONAL, or_(*addressed))
        db.session.execute(
            delete(JoinRequest)
            .where(JoinRequest.invitation_id.in_(invitations))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(Invitation)
            .where(Invitation.kind == PERSONAL, or_(*addressed))
            .execution_options(synchronize_session=False)
        )
