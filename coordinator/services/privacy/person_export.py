"""Everything the service holds about one person, as a ZIP they download from their account page.

Their profile, the circles they are in and how they want to help there, the tasks
they took, every text and email sent to them, the texts they sent us, their
sign-ins and what the activity record says about them. Nothing about other
people beyond what they already see: other members are named only when they
coordinate (or are the patient), and nobody else's number or email is in it.
"""

from __future__ import annotations

from typing import IO

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User, UserSession
from coordinator.models.activity import Event
from coordinator.models.circles import MANAGING_ROLES, Circle, Membership
from coordinator.models.claims import Claim
from coordinator.models.inbound import InboundMessage, PhoneOptOut
from coordinator.models.messages import Message
from coordinator.models.needs import Need, Task
from coordinator.services.health.activity import SECURITY_KINDS, activity_record
from coordinator.services.privacy.archive import COMMON_NOTES, Archive, Progress, Sheet
from coordinator.services.texting.message_log import KINDS as MESSAGE_KINDS
from coordinator.services.texting.quiet_hours import window_for

# Messages whose body held a sign-in code or a password link: a ZIP left in Downloads must not sign anyone in.
CODE_KINDS = frozenset({"sign_in_code", "password_reset"})
HIDDEN_BODY = "(not included: it held a sign-in code or link)"


def person_export(*, user: User, out: IO[bytes], progress: Progress | None = None) -> None:
    """Write `user`'s ZIP to `out` and record that they took their data (account.exported)."""
    archive = Archive(out, progress=progress)
    archive.json("profile.json", "Your name, how we reach you, your settings and consent.", _profile(user))
    for sheet in (
        _circles(user),
        _claims(user),
        _messages(user),
        _inbound(user),
        _sign_ins(user),
        _activity(user, security=True),
        _activity(user, security=False),
    ):
        archive.sheet(sheet)
    archive.close(title=f"Everything we hold about {user.name}", notes=COMMON_NOTES)
    activity_record(kind="account.exported", actor_id=user.id, subject_id=user.id)


def _profile(user: User) -> dict:
    stopped = db.session.scalar(select(PhoneOptOut.opted_out_at).where(PhoneOptOut.phone == user.phone))
    return {
        "name": user.name,
        "email": user.email,
        "mobile": user.phone,
        "account_created_at": user.created_at,
        "has_password": user.password_hash is not None,
        "password_changed_at": user.password_changed_at,
        "time_zone": user.timezone,
        "quiet_hours_start": window_for(user)[0],  # what applies: theirs, or the host's usual ones
        "quiet_hours_end": window_for(user)[1],
        "quiet_hours_chosen": user.quiet_start is not None,
        "texts_on": user.sms_enabled,
        "email_on": user.email_enabled,
        "reminders_before_tasks": list(user.reminder_leads or []),
        "agreed_to_texts_at": user.sms_consent_at,
        "replied_stop_at": user.sms_opted_out_at,
        "number_stopped_at": stopped if user.phone else None,
        "phone_company_refused_at": user.phone_unreachable_at,
        "exported_at": now(),
    }


def _circles(user: User) -> Sheet:
    query = (
        select(Membership, Circle.name, Circle.patient_name)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Membership.user_id == user.id)
    )
    return Sheet(
        name="circles.csv",
        about="Each circle you are or were in: your role, and what you said you are glad to do there.",
        columns=(
            "circle",
            "patient",
            "your_role",
            "status",
            "joined_at",
            "removed_at",
            "inner_circle",
            "kinds_of_help",
            "free_times",
            "asks_per_week",
            "last_asked_at",
        ),
        query=query,
        key=Membership.id,
        key_of=lambda row: row[0].id,
        cells=lambda row: (
            row.name,
            row.patient_name,
            row[0].role,
            row[0].status,
            row[0].created_at,
            row[0].removed_at,
            row[0].inner_circle,
            row[0].help_categories or "any",
            _free_times(row[0].availability),
            row[0].asks_per_week,
            row[0].last_asked_at,
        ),
    )


def _free_times(availability: dict) -> str:
    return "; ".join(f"{day} {', '.join(parts)}" for day, parts in (availability or {}).items()) or "any time"


def _claims(user: User) -> Sheet:
    query = (
        select(
            Claim.id,
            Task.id.label("code"),
            Circle.name.label("circle"),
            Need.title,
            Need.category,
            Task.local_date,
            Task.start_time,
            Task.end_time,
            Claim.status,
            Claim.created_at,
            Claim.released_at,
            Claim.release_note,
            Claim.done_at,
            Claim.confirmed_at,
            Claim.thanked_at,
        )
        .join(Task, Task.id == Claim.task_id)
        .join(Need, Need.id == Task.need_id)
        .join(Circle, Circle.id == Claim.circle_id)
        .where(Claim.user_id == user.id)
    )
    return Sheet(
        name="claims.csv",
        about="Every task you said yes to (or were signed up for), and what became of it.",
        columns=(
            "task_code",
            "circle",
            "task",
            "kind",
            "date",
            "starts",
            "ends",
            "status",
            "taken_at",
            "given_back_at",
            "note_when_given_back",
            "done_at",
            "confirmed_at",
            "thanked_at",
        ),
        query=query,
        key=Claim.id,
        cells=lambda row: row[1:],
    )


def _messages(user: User) -> Sheet:
    """Messages to them, and messages to their number or email before they had an account (an invitation)."""
    mine = [Message.user_id == user.id]
    contacts = [address for address in (user.phone, user.email) if address]
    if contacts:
        mine.append(and_(Message.user_id.is_(None), Message.to_address.in_(contacts)))
    query = (
        select(
            Message.id,
            Message.created_at,
            Message.sent_at,
            Circle.name,
            Message.channel,
            Message.to_address,
            Message.kind,
            Message.status,
            Message.subject,
            Message.body,
        )
        .outerjoin(Circle, Circle.id == Message.circle_id)
        .where(or_(*mine))
    )
    return Sheet(
        name="messages.csv",
        about="Every text and email we sent you or planned to send: when, what kind, what became of it, "
        "and what it said (unless the words were already deleted after the time we keep them).",
        columns=("created_at", "sent_at", "circle", "channel", "to", "kind", "status", "subject", "body"),
        query=query,
        key=Message.id,
        cells=lambda row: (
            row.created_at,
            row.sent_at,
            row.name,
            row.channel,
            row.to_address,
            MESSAGE_KINDS.get(row.kind, row.kind),
            row.status,
            row.subject,
            HIDDEN_BODY if row.kind in CODE_KINDS else row.body,
        ),
    )


def _inbound(user: User) -> Sheet:
    mine = [InboundMessage.user_id == user.id]
    if user.phone:
        mine.append(and_(InboundMessage.user_id.is_(None), InboundMessage.from_number == user.phone))
    query = select(
        InboundMessage.id,
        InboundMessage.received_at,
        InboundMessage.from_number,
        InboundMessage.body,
        InboundMessage.command,
        InboundMessage.reply,
    ).where(or_(*mine))
    return Sheet(
        name="inbound.csv",
        about="Texts you sent us (unless already deleted after the time we keep them), and what we answered.",
        columns=("received_at", "from", "text", "understood_as", "our_reply"),
        query=query,
        key=InboundMessage.id,
        cells=lambda row: row[1:],
    )


def _sign_ins(user: User) -> Sheet:
    query = select(
        UserSession.id,
        UserSession.created_at,
        UserSession.method,
        UserSession.user_agent,
        UserSession.expires_at,
        UserSession.revoked_at,
    ).where(UserSession.user_id == user.id)
    return Sheet(
        name="sign_ins.csv",
        about="Each time you signed in: how, on what browser, until when, and when it was ended.",
        columns=("signed_in_at", "method", "browser", "expires_at", "ended_at"),
        query=query,
        key=UserSession.id,
        cells=lambda row: row[1:],
    )


def _activity(user: User, *, security: bool) -> Sheet:
    """Events the person did or that concern them; someone else who did something is named if they coordinate."""
    actor, subject = aliased(User), aliased(User)
    actor_role = aliased(Membership)
    query = (
        select(
            Event.id,
            Event.occurred_at,
            Circle.name,
            Event.kind,
            Event.actor_id,
            actor.name,
            actor_role.role,
            Event.subject_id,
            subject.name,
            Event.data,
        )
        .outerjoin(Circle, Circle.id == Event.circle_id)
        .outerjoin(actor, actor.id == Event.actor_id)
        .outerjoin(subject, subject.id == Event.subject_id)
        .outerjoin(actor_role, and_(actor_role.circle_id == Event.circle_id, actor_role.user_id == Event.actor_id))
        .where(or_(Event.actor_id == user.id, Event.subject_id == user.id))
    )
    if security:
        query = query.where(Event.kind.in_(SECURITY_KINDS))
    return Sheet(
        name="security.csv" if security else "activity.csv",
        about=(
            "Security events: sign-ins, failed sign-ins, password and role changes, exports."
            if security
            else "Everything the circle's activity record says you did, or that concerns you."
        ),
        columns=("occurred_at", "circle", "what", "by", "about", "details"),
        query=query,
        key=Event.id,
        cells=lambda row: (row[1], row[2], row[3], _by(row, user), _about(row, user), row[9]),
    )


def _by(row, user: User) -> str:
    actor_id, actor_name, role = row[4], row[5], row[6]
    if actor_id is None:
        return "the service"
    if actor_id == user.id:
        return "you"
    return actor_name if role in MANAGING_ROLES else "another member"


def _about(row, user: User) -> str:
    subject_id, subject_name = row[7], row[8]
    if subject_id is None:
        return ""
    return "you" if subject_id == user.id else subject_name  # they did it, so they know whom it was about
