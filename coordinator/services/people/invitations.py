"""Sending invitations: one person, or one per line, by text or email, with no app and no password.

A personal invitation is a link sent by text or email, written in the
inviter's words and naming them, with the circle's name up front so it does
not read like spam. Inviting someone who already has a live invitation reuses
it instead of sending another; a current member is not invited at all. The
link itself (its token, opening it, revoking, expiring) is invitation_links.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.errors import Invalid, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle, Membership, MembershipStatus
from coordinator.models.invitations import PERSONAL, Invitation, InvitationStatus
from coordinator.services.health.activity import activity_record
from coordinator.services.people.accounts import email_normalise
from coordinator.services.people.closing import circle_open_check
from coordinator.services.people.invitation_links import invitation_url
from coordinator.services.people.phones import phone_parse
from coordinator.sms.segments import too_many_texts
from coordinator.tokens import token_hash, token_new

MESSAGE_MAX = 600  # characters, for an email; a text is capped by segments (coordinator/sms/segments.py)
MESSAGE_TEXTS = 3  # the most SMS segments an invitation, with the inviter's words, may go as


def invitation_default_message(*, circle: Circle, inviter: User) -> str:
    """A warm, specific default the inviter can edit."""
    patient = circle.patient_first_name
    who = "I'm" if inviter.name == circle.patient_name else f"{patient} is"
    return (
        f"Hi, it's {inviter.first_name}. {who} facing treatment again and we're gathering the people "
        f"who helped before. Would you join {circle.name}? You'll see what would help (rides, meals, "
        "company) and only say yes to what suits you. No app or password needed."
    )


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    email: str | None


def contact_parse(*, name: str, phone: str, email: str, region: str) -> Contact:
    """Check a person's name and how to reach them; at least one of phone and email."""
    cleaned = " ".join((name or "").split())
    problems = Problems.collector()  # the name, the number and the email each say what is wrong, all at once
    with problems.check():
        if len(cleaned) > 120:
            raise Invalid("Keep the name under 120 characters.", field="name")
        if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in cleaned):
            raise Invalid("Remove the control characters from the name.", field="name")
    number = address = None
    with problems.check():
        number = phone_parse(phone, region=region) if (phone or "").strip() else None
    with problems.check():
        address = email_normalise(email) if (email or "").strip() else None
    problems.raise_if_any()
    if number is None and address is None:
        raise Invalid("Enter a mobile number or an email address.", field="phone")
    return Contact(name=cleaned, phone=number, email=address)


def _by_contact(contact: Contact, *, phone_column, email_column) -> list:
    """One simple indexed condition per contact detail (an OR across columns defeats the indexes)."""
    return [
        c
        for c in (
            (phone_column == contact.phone) if contact.phone else None,
            (email_column == contact.email) if contact.email else None,
        )
        if c is not None
    ]


def _member_with(circle_id: int, contact: Contact) -> Membership | None:
    for match in _by_contact(contact, phone_column=User.phone, email_column=User.email):
        member = db.session.scalar(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.circle_id == circle_id, Membership.status == MembershipStatus.ACTIVE, match)
        )
        if member is not None:
            return member
    return None


def _live_invitation(circle_id: int, contact: Contact) -> Invitation | None:
    for match in _by_contact(contact, phone_column=Invitation.phone, email_column=Invitation.email):
        found = db.session.scalar(
            select(Invitation).where(
                Invitation.circle_id == circle_id,
                Invitation.status == InvitationStatus.PENDING,
                Invitation.expires_at > now(),
                match,
            )
        )
        if found is not None:
            return found
    return None


def _expire_stale(circle_id: int, contact: Contact) -> None:
    """Invitations past their date stop counting as live, so a fresh one can be made."""
    for match in _by_contact(contact, phone_column=Invitation.phone, email_column=Invitation.email):
        db.session.execute(
            update(Invitation)
            .where(
                Invitation.circle_id == circle_id,
                Invitation.status == InvitationStatus.PENDING,
                Invitation.expires_at <= now(),
                match,
            )
            .values(status=InvitationStatus.EXPIRED)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class InviteResult:
    invitation: Invitation | None
    outcome: str  # "sent", "reused", "member"
    token: str | None = None


def invitation_send(*, circle: Circle, inviter: User, contact: Contact, message: str) -> InviteResult:
    """Invite one person; reuse their live invitation if they have one; skip current members."""
    circle_open_check(circle)
    text = (message or "").strip()
    if len(text) > MESSAGE_MAX:
        raise Invalid(f"Keep the message under {MESSAGE_MAX} characters.", field="message")
    if contact.phone and text:
        _fits_in_texts(text, circle=circle, inviter=inviter)
    if _member_with(circle.id, contact) is not None:
        return InviteResult(None, "member")
    existing = _live_invitation(circle.id, contact)
    if existing is not None:
        return InviteResult(existing, "reused")
    _expire_stale(circle.id, contact)
    token = token_new()
    invitation = Invitation(
        circle_id=circle.id,
        inviter_id=inviter.id,
        kind=PERSONAL,
        name=contact.name,
        phone=contact.phone,
        email=contact.email,
        message=text,
        token_hash=token_hash(token),
        expires_at=now() + timedelta(days=current_app.config["INVITATION_DAYS"]),
        sent_at=now(),
    )
    db.session.add(invitation)
    db.session.flush()
    _queue_invitation(invitation, circle=circle, inviter=inviter, token=token)
    activity_record(
        kind="invitation.sent",
        circle_id=circle.id,
        actor_id=inviter.id,
        object_type="invitation",
        object_id=invitation.id,
        data={"channel": "sms" if contact.phone else "email"},
    )
    return InviteResult(invitation, "sent", token)


def _fits_in_texts(text: str, *, circle: Circle, inviter: User) -> None:
    """The inviter's words, inside the invitation as it will be texted, go as at most MESSAGE_TEXTS texts."""
    from flask import render_template

    sample = {"circle": circle, "inviter": inviter, "message": text, "url": invitation_url(token_new())}
    problem = too_many_texts(render_template("sms/invitation.txt", **sample).strip(), most=MESSAGE_TEXTS)
    if problem:
        raise Invalid(problem, field="message")


def _queue_invitation(invitation: Invitation, *, circle: Circle, inviter: User, token: str) -> None:
    from flask import render_template

    from coordinator.services.texting.messages import message_queue

    context = {
        "circle": circle,
        "inviter": inviter,
        "invitation": invitation,
        "message": invitation.message or invitation_default_message(circle=circle, inviter=inviter),
        "url": invitation_url(token),
    }
    if invitation.phone:
        message_queue(
            channel="sms",
            to_address=invitation.phone,
            kind="invitation",
            key=f"invitation:{invitation.id}:sms",
            body=render_template("sms/invitation.txt", **context).strip(),
            circle_id=circle.id,
        )
    else:
        message_queue(
            channel="email",
            to_address=invitation.email,
            kind="invitation",
            key=f"invitation:{invitation.id}:email",
            subject=f"{inviter.name} invited you to {circle.name}",
            body=render_template("email/invitation.txt", **context).strip(),
            circle_id=circle.id,
        )


@dataclass(frozen=True)
class LineResult:
    line: int
    text: str
    outcome: str  # sent, reused, member, or "not sent"
    reason: str = ""


def _line_contact(line: str) -> tuple[str, str, str]:
    """ "Sam Carter, 202-555-0110, sam@example.org" (any order) -> name, phone, email."""
    name_parts, phone, email = [], "", ""
    for part in (p.strip() for p in line.split(",")):
        if "@" in part and not email:
            email = part
        elif any(ch.isdigit() for ch in part) and not any(ch.isalpha() for ch in part) and not phone:
            phone = part
        elif part:
            name_parts.append(part)
    return " ".join(name_parts), phone, email


def invitations_send_lines(*, circle: Circle, inviter: User, text: str, message: str) -> list[LineResult]:
    """Invite one person per line; every line gets an outcome, and a bad line never stops the rest."""
    results = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, phone, email = _line_contact(line)
        try:
            contact = contact_parse(name=name, phone=phone, email=email, region=circle.phone_region)
            outcome = invitation_send(circle=circle, inviter=inviter, contact=contact, message=message).outcome
        except Invalid as error:
            results.append(LineResult(number, line.strip(), "not sent", error.message))
        else:
            results.append(LineResult(number, line.strip(), outcome))
    return results
