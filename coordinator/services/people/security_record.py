"""Security history, in words: what a person sees of their own account, and what a circle's managers see of it.

The activity record holds the events (services/health/activity.py, SECURITY_KINDS).
A person's account page shows the latest ones about them ("Signed in with a code",
"Someone tried to sign in with a wrong password") and the sessions still open. The
patient and coordinators see the circle's own: role changes, removals, people who
left or deleted their account, downloads of the circle's records, closing. Either
is read with a fixed number of queries however long the history is. An account
that was deleted is named "A former member".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User, UserSession
from coordinator.models.activity import Event
from coordinator.models.circles import Circle, Membership
from coordinator.services.health.activity import SECURITY_KINDS
from coordinator.services.people.sessions import SIGN_IN_METHODS
from coordinator.tokens import token_hash

ACCOUNT_HISTORY_LENGTH = 10
CIRCLE_PAGE_LENGTH = 50
FORMER_MEMBER = "A former member"
HOW = {"password": "a password", "code": "a code", "link": "a link"}
ROLE_WORDS = {"coordinator": "a coordinator", "supporter": "a supporter", "patient": "the patient"}
# What happens to the circle as a whole; shown on the circle's page, never as one person's history.
CIRCLE_KINDS = SECURITY_KINDS - {
    "account.signed_in",
    "account.sign_in_failed",
    "account.registration_attempted",
    "account.password_changed",
    "account.password_reset",
    "account.exported",
}


@dataclass(frozen=True)
class SecurityEntry:
    at: datetime
    words: str


@dataclass(frozen=True)
class OpenSession:
    since: datetime
    how: str  # "a code"
    device: str  # "Firefox on Android", or "" when the browser didn't say
    this_device: bool


@dataclass(frozen=True)
class AccountSecurity:
    entries: list[SecurityEntry]
    sessions: list[OpenSession]
    zone: str  # where to show the times: the person's own zone, else their first circle's


@dataclass(frozen=True)
class CircleSecurityPage:
    entries: list[SecurityEntry]
    older: int | None  # where the next page starts (an event id), None when this is the last


def account_security(*, user: User, limit: int = ACCOUNT_HISTORY_LENGTH) -> AccountSecurity:
    """`user`'s latest security events and open sessions: three queries."""
    actor, circle = aliased(User), aliased(Circle)
    mine = select(Membership.circle_id).where(Membership.user_id == user.id)
    rows = db.session.execute(
        select(Event, actor.name, actor.deleted_at, circle.name)
        .outerjoin(actor, actor.id == Event.actor_id)
        .outerjoin(circle, circle.id == Event.circle_id)
        .where(
            Event.subject_id == user.id,  # uses the (circle_id, subject_id, occurred_at) index, both ways
            or_(Event.circle_id.is_(None), Event.circle_id.in_(mine)),
            Event.kind.in_(SECURITY_KINDS),
        )
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()
    entries = [
        SecurityEntry(event.occurred_at, _yours(event, actor=_name(name, deleted), circle=circle_name or "a circle"))
        for event, name, deleted, circle_name in rows
    ]
    return AccountSecurity(entries=entries, sessions=_open_sessions(user), zone=_zone(user))


def _open_sessions(user: User) -> list[OpenSession]:
    current = token_hash(user.session_token) if user.session_token else None
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > now())
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())
    )
    return [
        OpenSession(
            since=row.created_at,
            how=HOW[SIGN_IN_METHODS.get(row.method, "link")],
            device=device_words(row.user_agent),
            this_device=row.token_hash == current,
        )
        for row in rows
    ]


def _zone(user: User) -> str:
    if user.timezone:
        return user.timezone
    first = db.session.scalar(
        select(Circle.timezone)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.id)
        .limit(1)
    )
    return first or "UTC"


def circle_security_record(
    *, circle: Circle, before: int | None = None, limit: int = CIRCLE_PAGE_LENGTH
) -> CircleSecurityPage:
    """The circle's own security events, newest first, `limit` at a time (older pages from `before`): one query."""
    actor, subject = aliased(User), aliased(User)
    query = (
        select(Event, actor.name, actor.deleted_at, subject.name, subject.deleted_at)
        .outerjoin(actor, actor.id == Event.actor_id)
        .outerjoin(subject, subject.id == Event.subject_id)
        .where(Event.circle_id == circle.id, Event.kind.in_(CIRCLE_KINDS))
        .order_by(Event.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(Event.id < before)
    rows = db.session.execute(query).all()
    entries = [
        SecurityEntry(event.occurred_at, _theirs(event, actor=_name(a, a_gone, "Someone"), subject=_name(s, s_gone)))
        for event, a, a_gone, s, s_gone in rows[:limit]
    ]
    older = rows[limit - 1][0].id if len(rows) > limit else None
    return CircleSecurityPage(entries=entries, older=older)


def _name(name: str | None, deleted_at: datetime | None, nobody: str = "The service") -> str:
    if deleted_at is not None:
        return FORMER_MEMBER
    return name or nobody


def _yours(event: Event, *, actor: str, circle: str) -> str:
    """One event about the person reading, said to them."""
    data = event.data or {}
    how = HOW.get(data.get("method", ""), "a link")
    words = {
        "account.signed_in": f"Signed in with {how}",
        "account.sign_in_failed": (
            "A wrong sign-in code was tried" if data.get("method") == "code" else "Someone tried a wrong password"
        ),
        "account.registration_attempted": "Someone tried to register again with your email",
        "account.password_changed": "Password changed",
        "account.password_reset": "Password reset with an emailed link",
        "account.exported": "You downloaded your data",
        "member.role_changed": f"{actor} {_role_change(data, 'you')} in {circle}",
        "member.removed": f"{actor} took you out of {circle}",
        "member.left": f"You left {circle}",
    }
    return words.get(event.kind, event.kind)


def _theirs(event: Event, *, actor: str, subject: str) -> str:
    """One event in the circle, said to its managers."""
    data = event.data or {}
    words = {
        "member.role_changed": f"{actor} {_role_change(data, subject)}",
        "member.removed": f"{actor} took {subject} out of the circle",
        "member.left": f"{subject} left the circle",
        "account.deleted": f"{subject} deleted their account",
        "circle.exported": f"{actor} downloaded the circle's records",
        "circle.closed": f"{actor} closed the circle",
        "circle.close_cancelled": f"{actor} kept the circle open",
    }
    return words.get(event.kind, event.kind)


def _role_change(data: dict, whom: str) -> str:
    if "inner_circle" in data:
        return f"put {whom} in the inner circle" if data["inner_circle"] else f"took {whom} out of the inner circle"
    return f"made {whom} {ROLE_WORDS.get(data.get('role', ''), 'a member')}"


def device_words(user_agent: str) -> str:
    """ "Firefox on Android" from a browser's User-Agent, enough to recognise one's own phone; "" if unsure."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system


# Order matters: Edge and Chrome say "Safari" too, and Android says "Linux".
_BROWSERS = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
_SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
]
