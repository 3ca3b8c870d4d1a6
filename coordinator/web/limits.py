"""Rate limits by the name of their setting, read when a request is checked.

The limits and their defaults live in config.py (SIGNIN_LIMIT_PER_IP, INVITATION_LIMIT_PER_IP, ...).
Reading them per request rather than at import lets a host or a test change one without
re-importing the views, and every blueprint names its limits the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app
from limits import parse_many

from coordinator.extensions import limiter


def configured_limit(setting: str) -> Callable[[], str]:
    """For `limiter.limit(...)`: the limit string held by `setting` in the app's config."""
    return lambda: current_app.config[setting]


def counted_within(setting: str, *key: str) -> bool:
    """Count one more for `key` against every limit in `setting`; False once any is exceeded.

    For limits a view decides itself, after checks a decorator would run too early for (a webhook's
    signature, whether the sender is known). Counted in the same store as every other limit; the key
    is hashed, so a phone number never sits in Redis. Every try counts, including refused ones.
    """
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    digest = hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:32]
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    items = parse_many(current_app.config[setting])
    return all([limiter.limiter.hit(item, prefix, setting, digest) for item in items])
