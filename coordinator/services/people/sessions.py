"""Sign-in sessions as rows, so they can be ended from the server.

The browser's cookie holds only a random token; the row holds its hash. Ending
a session (sign-out, password change, removal from the service) revokes the
row, and any copy of the cookie stops working at its next request.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Select, and_, bindparam, select, update
from sqlalchemy.orm import contains_eager

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User, UserSession
from coordinator.models.circles import Circle, Membership, MembershipStatus
from coordinator.services.health.activity import activity_record
from coordinator.services.people.circles import circle_count_column
from coordinator.tokens import token_hash, token_new

# How a person got in, in the words their security history uses (the session row keeps the exact way).
SIGN_IN_METHODS = {
    "password": "password",
    "sms_code": "code",
    "email_link": "link",
    "invitation": "link",
    "reopen_link": "link",
    "update_link": "link",
}


def session_start(*, user: User, method: str, user_agent: str = "") -> str:
    """Open a session for `user` and return its token (shown to no one but the cookie).

    It goes in their security history as "account.signed_in" with how (password, code or link);
    where from (address, browser) is not recorded there.
    """
    token = token_new()
    lifetime: timedelta = current_app.config["PERMANENT_SESSION_LIFETIME"]
    db.session.add(
        UserSession(
            user=user,
            token_hash=token_hash(token),
            method=method,
            user_agent=(user_agent or "")[:200],
            expires_at=now() + lifetime,
        )
    )
    db.session.flush()
    user.session_token = token
    activity_record(
        kind="account.signed_in", actor_id=user.id, subject_id=user.id, data={"method": SIGN_IN_METHODS[method]}
    )
    return token


def session_user(token: str) -> User | None:
    """The user a live session token belongs to, or None if it is unknown, expired or ended."""
    if not token:
        return None
    user = db.session.scalar(_session_user_statement(), {"token_hash": token_hash(token), "moment": now()})
    if user is not None:
        user.session_token = token
    return user


def session_member(*, token: str, circle_id: int) -> tuple[User | None, Membership | None, int]:
    """`session_user` and the person's active membership of `circle_id` (with its circle), in one query.

    For circle pages, whose guard needs both: (user, membership, how many circles they are in).
    The user is None when the token is unknown, expired or ended, exactly as `session_user`; the
    membership is None when they are not an active member (the guard's 404, `circles.membership_allowed`).
    """
    if not token:
        return None, None, 0
    row = db.session.execute(
        _session_member_statement(), {"token_hash": token_hash(token), "moment": now(), "circle_id": circle_id}
    ).first()
    if row is None:
        return None, None, 0
    user, membership, circle_count = row
    user.session_token = token
    return user, membership, circle_count or 0


@cache
def _session_user_statement() -> Select:
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > bindparam("moment"),
        )
    )


@cache
def _session_member_statement() -> Select:
    """Built on first use, once: building it on every request cost more than running it (bench/PROFILE.md)."""
    return (
        select(User, Membership, circle_count_column(User.id))
        .select_from(UserSession)
        .join(User, User.id == UserSession.user_id)
        .outerjoin(
            Membership,
            and_(
                Membership.user_id == User.id,
                Membership.circle_id == bindparam("circle_id"),
                Membership.status == MembershipStatus.ACTIVE,
            ),
        )
        .outerjoin(Circle, Circle.id == Membership.circle_id)
        .options(contains_eager(Membership.circle))
        .where(
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > bindparam("moment"),
        )
    )


def sessions_end_all(*, user: User, keep_token: str | None = None) -> int:
    """End every session of `user` except the one holding `keep_token`; returns how many ended."""
    statement = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_token:
        statement = statement.where(UserSession.token_hash != token_hash(keep_token))
    return db.session.execute(statement.values(revoked_at=now())).rowcount
