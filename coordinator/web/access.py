"""The one guard for circle-scoped pages, and who is signed in.

Every view with a `circle_id` in its URL is wrapped in `circle_view`. It signs
strangers in first, then checks the membership; anyone without an active
membership in an allowed role gets a plain 404.

The session and the membership cost one query together: Flask-Login asks
`user_load` who holds the cookie's token, and on a circle page that same query
(`sessions.session_member`) brings the person's membership of the circle in the
URL, which waits on `g` for the guard. Anywhere else (or if someone was signed in
by other means first) the guard asks `circle_access` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, request
from flask_login import current_user, login_required

from coordinator.errors import NotFound
from coordinator.models.accounts import User
from coordinator.models.circles import MANAGING_ROLES, ROLES
from coordinator.services.people.circles import circle_access, membership_allowed
from coordinator.services.people.sessions import session_member, session_user


def user_load(token: str) -> User | None:
    """Flask-Login's user loader: the session's person, and on a circle page their membership, in one query."""
    circle_id = (request.view_args or {}).get("circle_id")
    view = current_app.view_functions.get(request.endpoint or "")
    if circle_id is None or not getattr(view, "circle_scoped", False):
        return session_user(token)
    user, membership, circle_count = session_member(token=token, circle_id=circle_id)
    g.membership_found = (circle_id, user, membership, circle_count)
    return user


def circle_view(roles: tuple[str, ...] = ROLES) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(circle_id: int, **kwargs):
            try:
                membership = _membership(circle_id, roles)
            except NotFound:
                abort(404)
            g.membership = membership
            g.circle = membership.circle
            g.my_circle_count = getattr(membership, "circle_count", None) or 1
            return view(membership=membership, circle=membership.circle, **kwargs)

        wrapped.circle_scoped = True  # lets the url_map walk test find unguarded views
        return wrapped

    return decorate


def _membership(circle_id: int, roles: tuple[str, ...]):
    found = g.pop("membership_found", None)
    if found is not None and found[0] == circle_id and found[1] is current_user._get_current_object():
        return membership_allowed(found[2], roles=roles, circle_count=found[3])
    return circle_access(circle_id=circle_id, user=current_user, roles=roles)


def managing_view() -> Callable:
    """For pages only the patient and coordinators may see."""
    return circle_view(roles=MANAGING_ROLES)
