"""The one guard for circle-scoped pages.

Every view with a `circle_id` in its URL is wrapped in `circle_view`. It signs
strangers in first, then looks the membership up through `circle_access`;
anyone without an active membership in an allowed role gets a plain 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from coordinator.errors import NotFound
from coordinator.models.circles import MANAGING_ROLES, ROLES
from coordinator.services.people.circles import circle_access


def circle_view(roles: tuple[str, ...] = ROLES) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(circle_id: int, **kwargs):
            try:
                membership = circle_access(circle_id=circle_id, user=current_user, roles=roles)
            except NotFound:
                abort(404)
            g.membership = membership
            g.circle = membership.circle
            g.my_circle_count = getattr(membership, "circle_count", None) or 1
            return view(membership=membership, circle=membership.circle, **kwargs)

        wrapped.circle_scoped = True  # lets the url_map walk test find unguarded views
        return wrapped

    return decorate


def managing_view() -> Callable:
    """For pages only the patient and coordinators may see."""
    return circle_view(roles=MANAGING_ROLES)
