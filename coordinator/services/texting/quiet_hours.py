"""Quiet hours: when a person may be texted, in their own time zone.

Each person has a quiet window in their zone (theirs, else their circle's):
the one they chose, or, while they haven't (both times empty), the host's
SMS_DEFAULT_QUIET_START/END, so a host changing those moves everyone who never
chose. A text due inside it waits for the window's end. The
window may wrap midnight, and daylight-saving days are handled by computing
the end as a wall time in the zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app

from coordinator.clock import local, parse_time, to_utc_lenient
from coordinator.models.accounts import User


def _parse(value: str) -> time:
    """The configured default ("21:00", "21:00:00" or "9pm"), read by the one time parser."""
    return parse_time(value)


def default_window() -> tuple[time, time]:
    """The host's usual quiet hours, for everyone who hasn't chosen their own."""
    config = current_app.config
    return _parse(config["SMS_DEFAULT_QUIET_START"]), _parse(config["SMS_DEFAULT_QUIET_END"])


def window_for(user: User | None) -> tuple[time, time]:
    if user is not None and user.quiet_start is not None and user.quiet_end is not None:
        return user.quiet_start, user.quiet_end
    return default_window()


def window_to_store(
    user: User, *, usual: bool, start: time | None, end: time | None
) -> tuple[time | None, time | None]:
    """What a saved preferences page means: (None, None) for "the usual hours", else the times given.

    "Use the usual quiet hours" ticked means exactly that, unless the times were changed from the ones the
    page showed (this person's window): someone who types new times without unticking it chose them.
    """
    if usual and (start, end) in {window_for(user), (None, None)}:
        return None, None
    return start, end


def zone_for(user: User | None, circle_zone: str | None) -> str:
    return (
        (user.timezone if user is not None and user.timezone else None)
        or circle_zone
        or current_app.config["DEFAULT_TIMEZONE"]
    )


def is_quiet(wall: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end


def next_allowed(moment: datetime, *, zone: str, start: time, end: time) -> datetime:
    """`moment` itself if texting is fine then, else the first minute after the quiet window."""
    wall = local(moment, zone)
    if not is_quiet(wall.time().replace(tzinfo=None), start, end):
        return moment
    day = wall.date()
    if start > end and wall.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)  # quiet started this evening; it ends tomorrow morning
    return to_utc_lenient(day, end, zone)


def latest_allowed(moment: datetime, *, zone: str, start: time, end: time) -> datetime:
    """`moment` if fine, else the last minute before the quiet window began (for "the evening before")."""
    wall = local(moment, zone)
    if not is_quiet(wall.time().replace(tzinfo=None), start, end):
        return moment
    day = wall.date()
    if start > end and wall.time().replace(tzinfo=None) < end:
        day -= timedelta(days=1)  # it's early morning; quiet began yesterday evening
    return to_utc_lenient(day, start, zone) - timedelta(minutes=1)
