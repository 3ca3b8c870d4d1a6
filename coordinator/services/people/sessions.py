"""Sign-in sessions as rows, so they can be ended from the server.

The browser's cookie holds only a random token; the row holds its hash. Ending
a session (sign-out, password change, removal from the service) revokes the
row, and any copy of the cookie stops working at its next request.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User, UserSession
from coordinator.services.health.activity import activity_record
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
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == token_hash(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now(),
        )
    )
    if user is not None:
        user.session_token = token
    return user


def sessions_end_all(*, user: User, keep_token: str | None = None) -> int:
    """End every session of `user` except the one holding `keep_token`; returns how many ended."""
    statement = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_token:
        statement = statement.where(UserSession.token_hash != token_hash(keep_token))
    return db.session.execute(statement.values(revoked_at=now())).rowcount
