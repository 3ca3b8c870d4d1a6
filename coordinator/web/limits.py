"""Rate limits by the name of their setting, read when a request is checked.

The limits and their defaults live in config.py (SIGNIN_LIMIT_PER_IP, INVITATION_LIMIT_PER_IP, ...).
Reading them per request rather than at import lets a host or a test change one without
re-importing the views, and every blueprint names its limits the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app


def configured_limit(setting: str) -> Callable[[], str]:
    """For `limiter.limit(...)`: the limit string held by `setting` in the app's config."""
    return lambda: current_app.config[setting]
