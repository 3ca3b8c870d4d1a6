"""Signing someone in on this device: a session row the server can end, then a fresh cookie holding its token.

Two steps, with the view's commit between them, so the cookie never points at a row that was not saved:

    with refusals(form=form) as attempt:
        user = account_authenticate(email=..., password=...)
        session_open(user, method="password")
    if attempt.ok:
        cookie_set(user)

Every way in (password, texted code, emailed link, invitation, a reopening's "yes") goes through here.
"""

from __future__ import annotations

from flask import request, session
from flask_login import login_user

from coordinator.models.accounts import User
from coordinator.services.people.sessions import session_start


def session_open(user: User, *, method: str) -> None:
    """Add the session row for `user` (how they signed in, and on what browser); the view commits it."""
    session_start(user=user, method=method, user_agent=request.user_agent.string)


def cookie_set(user: User) -> None:
    """Once the row is committed: a new cookie (never the one from before signing in) that names it.

    `user` must be the very object `session_open` was given: the token is on it, never in the database,
    so hold it in a variable across the commit (an expired relationship would load a fresh copy).
    """
    session.clear()
    session.permanent = True
    login_user(user)
