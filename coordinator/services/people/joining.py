"""Accepting an invitation: a name, a mobile number, a yes to texts, and you're in.

No password. A personal invitation lets its person straight in (it works
once); joining through a circle's shared link asks a coordinator first.
Someone whose number or email already has an account is attached to it only
when the invitation was sent to that same number or address, so a forwarded
link cannot be used to take over somebody else's account. Someone who was in
the circle before gets their old membership back rather than a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from coordinator.clock import now
from coordinator.errors import Conflict, Expired, Invalid, NotFound, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.models.invitations import SHARED_LINK, Invitation, InvitationStatus, JoinRequest, JoinRequestStatus
from coordinator.services.health.activity import activity_record
from coordinator.services.people.closing import circle_open_check
from coordinator.services.people.invitation_links import EXPIRED
from coordinator.services.people.invitations import Contact, contact_parse
from coordinator.services.texting.messages import notify
from coordinator.urls import public_url


@dataclass
class JoinInput:
    name: str
    phone: str = ""
    email: str = ""
    consent: bool = False


@dataclass(frozen=True)
class JoinOutcome:
    user: User
    membership: Membership | None
    request: JoinRequest | None


def join_accept(*, invitation: Invitation, data: JoinInput, signed_in: User | None = None) -> JoinOutcome:
    """Let the person in (personal invitation) or ask a coordinator (shared link)."""
    circle = invitation.circle
    circle_open_check(circle)
    user = signed_in if signed_in is not None else _person(invitation, circle, data)
    if signed_in is not None and data.phone.strip() and not signed_in.phone:
        _attach_phone(signed_in, circle, data)
    if invitation.kind == SHARED_LINK:
        return JoinOutcome(user, None, _request(invitation, circle, user))
    _use(invitation, user)
    membership = membership_for(circle_id=circle.id, user=user, role=SUPPORTER)
    activity_record(
        kind="invitation.accepted",
        circle_id=circle.id,
        actor_id=user.id,
        subject_id=user.id,
        object_type="invitation",
        object_id=invitation.id,
    )
    _welcome(user, circle, membership)
    return JoinOutcome(user, membership, None)


def _use(invitation: Invitation, user: User) -> None:
    used = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id, Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > now()
        )
        .values(status=InvitationStatus.ACCEPTED, accepted_at=now(), accepted_user_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise Expired(EXPIRED)


def _person(invitation: Invitation, circle: Circle, data: JoinInput) -> User:
    problems = Problems.collector()  # a new supporter hears every problem after one tap, not one at a time
    with problems.check():
        if not " ".join((data.name or "").split()):
            raise Invalid("Tell us your name, as your friends know you.", field="name")
    contact = None
    with problems.check():
        contact = contact_parse(name=data.name, phone=data.phone, email=data.email, region=circle.phone_region)
    with problems.check():
        has_phone = contact.phone if contact else (data.phone or "").strip()
        has_email = contact.email if contact else (data.email or "").strip()
        if has_phone and not data.consent and not has_email:
            raise Invalid("Tick the box so we can text you, or give an email address instead.", field="consent")
    problems.raise_if_any()
    existing = _existing(contact)
    if existing is not None:
        if not _invited_at(invitation, contact, existing):
            raise Conflict(
                "That number or email already has an account. Sign in with a code first, then open your invitation again.",
                field="phone",
            )
        _consent(existing, contact, data.consent)
        return existing
    user = User(name=contact.name, phone=contact.phone, email=contact.email, timezone=circle.timezone)
    _consent(user, contact, data.consent)
    db.session.add(user)
    db.session.flush()
    return user


def _existing(contact: Contact) -> User | None:
    matches = []
    if contact.phone:
        matches.append(User.phone == contact.phone)
    if contact.email:
        matches.append(User.email == contact.email)
    found = list(db.session.scalars(select(User).where(or_(*matches))))
    if len(found) > 1:
        raise Conflict(
            "That number and that email belong to two different accounts. Use just one of them.", field="phone"
        )
    return found[0] if found else None


def _invited_at(invitation: Invitation, contact: Contact, user: User) -> bool:
    """The invitation went to this very account's number or address."""
    return bool(
        (invitation.phone and invitation.phone == user.phone == contact.phone)
        or (invitation.email and invitation.email == user.email == contact.email)
    )


def _consent(user: User, contact: Contact, consent: bool) -> None:
    if contact.phone and consent:
        user.sms_consent_at, user.sms_enabled = now(), True
    elif contact.phone and user.sms_consent_at is None:
        user.sms_enabled = False


def _attach_phone(user: User, circle: Circle, data: JoinInput) -> None:
    contact = contact_parse(name=user.name, phone=data.phone, email="", region=circle.phone_region)
    if db.session.scalar(select(User.id).where(User.phone == contact.phone, User.id != user.id)) is not None:
        raise Conflict("That number belongs to another account.", field="phone")
    user.phone = contact.phone
    _consent(user, contact, data.consent)


def _welcome(user: User, circle: Circle, membership: Membership) -> None:
    """The first text to a new number says who we are and how to stop."""
    activity_record(
        kind="member.joined", circle_id=circle.id, actor_id=user.id, subject_id=user.id, data={"role": membership.role}
    )
    notify(
        user=user,
        kind="welcome",
        key=f"welcome:{user.id}",
        context={"circle_name": circle.name, "first_name": circle.patient_first_name},
        circle_id=circle.id,
    )


def _request(invitation: Invitation, circle: Circle, user: User) -> JoinRequest:
    active = db.session.scalar(
        select(Membership.id).where(
            Membership.circle_id == circle.id,
            Membership.user_id == user.id,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    if active is not None:
        raise Conflict("You're already in this circle.")
    request = db.session.scalar(
        select(JoinRequest).where(
            JoinRequest.circle_id == circle.id,
            JoinRequest.user_id == user.id,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    )
    if request is not None:
        return request
    request = JoinRequest(circle_id=circle.id, invitation_id=invitation.id, user_id=user.id)
    db.session.add(request)
    db.session.flush()
    activity_record(kind="join.requested", circle_id=circle.id, actor_id=user.id, subject_id=user.id)
    url = public_url("members.index", circle_id=circle.id)  # People shows who is waiting first
    for coordinator in db.session.scalars(
        select(Membership).where(
            Membership.circle_id == circle.id,
            Membership.role == COORDINATOR,
            Membership.status == MembershipStatus.ACTIVE,
        )
    ):
        notify(
            user=coordinator.user,
            kind="join_requested",
            key=f"join-requested:{request.id}:{coordinator.user_id}",
            context={"person": user.name, "circle_name": circle.name, "url": url},
            circle_id=circle.id,
        )
    return request


def join_decide(*, circle: Circle, request_id: int, approve: bool, actor: User) -> JoinRequest:
    """A coordinator lets someone in through the shared link, or quietly declines."""
    request = db.session.scalar(
        select(JoinRequest).where(JoinRequest.id == request_id, JoinRequest.circle_id == circle.id)
    )
    if request is None:
        raise NotFound("No such request.")
    decided = db.session.execute(
        update(JoinRequest)
        .where(JoinRequest.id == request.id, JoinRequest.status == JoinRequestStatus.PENDING)
        .values(
            status=JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DECLINED,
            decided_at=now(),
            decided_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(request)
    if decided != 1:
        return request
    activity_record(
        kind="join.approved" if approve else "join.declined",
        circle_id=circle.id,
        actor_id=actor.id,
        subject_id=request.user_id,
    )
    if approve:
        membership = membership_for(circle_id=circle.id, user=request.user, role=SUPPORTER)
        _welcome(request.user, circle, membership)
    return request


def join_requests_of(*, user: User) -> list[JoinRequest]:
    """Requests this person made through shared links that no coordinator has answered yet."""
    return list(
        db.session.scalars(
            select(JoinRequest)
            .options(joinedload(JoinRequest.circle))
            .where(JoinRequest.user_id == user.id, JoinRequest.status == JoinRequestStatus.PENDING)
            .order_by(JoinRequest.created_at)
        )
    )


def membership_for(*, circle_id: int, user: User, role: str) -> Membership:
    """Make `user` an active member (reusing an archived or removed membership)."""
    membership = db.session.scalar(
        select(Membership).where(Membership.circle_id == circle_id, Membership.user_id == user.id)
    )
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        raise Conflict("You're already in this circle.")
    if membership is None:
        membership = Membership(circle_id=circle_id, user_id=user.id, role=role)
        db.session.add(membership)
    else:
        if membership.status == MembershipStatus.REMOVED and membership.role != role:
            membership.role = role
        membership.status, membership.removed_at = MembershipStatus.ACTIVE, None
    db.session.flush()
    return membership
