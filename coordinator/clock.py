"""The one clock, and the rules for turning wall time into moments.

Everything asks `now()`; tests move it with time-machine. Wall times are
stored with an IANA zone and UTC is computed here, so daylight-saving rules
live in one place: a time that does not exist (clocks spring forward past it)
is refused, and a time that happens twice (clocks fall back) must say which.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from coordinator.errors import Invalid


class AmbiguousTime(Invalid):
    """The wall time happens twice on that day; `choices` are the two moments, earlier first."""

    def __init__(self, message: str, *, field: str | None, choices: tuple[datetime, datetime]):
        super().__init__(message, field=field)
        self.choices = choices


def now() -> datetime:
    """The current moment as an aware UTC datetime."""
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_zone(name: str) -> bool:
    return name in known_zones()


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, zone_name: str) -> datetime:
    """`moment` as wall time in `zone_name`."""
    return moment.astimezone(zone(zone_name))


def today_in(zone_name: str) -> date:
    return local(now(), zone_name).date()


_TIME = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE)


def parse_time(text: str, *, field: str | None = None) -> time:
    """ "9", "9:30", "0930", "9:30pm", "21:30" -> a time; anything else is Invalid."""
    match = _TIME.match(text or "")
    if not match:
        raise Invalid("Enter a time like 9:30 or 14:00.", field=field)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            raise Invalid("Enter a time like 9:30am or 2:00pm.", field=field)
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise Invalid("Enter a time like 9:30 or 14:00.", field=field)
    return time(hour, minute)


def is_nonexistent(day: date, wall: time, zone_name: str) -> bool:
    naive = datetime.combine(day, wall)
    moment = naive.replace(tzinfo=zone(zone_name))
    return moment.astimezone(UTC).astimezone(zone(zone_name)).replace(tzinfo=None) != naive


def is_ambiguous(day: date, wall: time, zone_name: str) -> bool:
    moment = datetime.combine(day, wall, tzinfo=zone(zone_name))
    return not is_nonexistent(day, wall, zone_name) and (
        moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset()
    )


def to_utc(day: date, wall: time, zone_name: str, *, fold: int | None = None, field: str | None = None) -> datetime:
    """The UTC moment of wall time `wall` on `day` in `zone_name`.

    Refuses a time skipped by a spring-forward change. For a time repeated by a
    fall-back change, `fold` chooses (0: the first, still on summer time; 1: the
    second); without it, AmbiguousTime says so and offers both.
    """
    if is_nonexistent(day, wall, zone_name):
        raise Invalid(
            f"{wall:%H:%M} doesn't exist on {day:%a %-d %b}: the clocks go forward that night. "
            "Choose a time an hour later or earlier.",
            field=field,
        )
    moment = datetime.combine(day, wall, tzinfo=zone(zone_name))
    if is_ambiguous(day, wall, zone_name):
        if fold is None:
            first, second = moment.replace(fold=0), moment.replace(fold=1)
            raise AmbiguousTime(
                f"{wall:%H:%M} happens twice on {day:%a %-d %b} because the clocks go back. "
                f"Choose the first ({first.tzname()}) or the second ({second.tzname()}).",
                field=field,
                choices=(first.astimezone(UTC), second.astimezone(UTC)),
            )
        moment = moment.replace(fold=fold)
    return moment.astimezone(UTC)


def to_utc_lenient(day: date, wall: time, zone_name: str) -> datetime:
    """For generated series: a skipped time moves forward past the gap; a repeated one takes the first."""
    if is_nonexistent(day, wall, zone_name):
        shifted = datetime.combine(day, wall) + timedelta(hours=1)
        return to_utc_lenient(shifted.date(), shifted.time(), zone_name)
    return datetime.combine(day, wall, tzinfo=zone(zone_name)).replace(fold=0).astimezone(UTC)


def end_of_day_utc(day: date, zone_name: str) -> datetime:
    """The last moment of `day` in `zone_name` (the start of the next local day, minus nothing)."""
    return to_utc_lenient(day + timedelta(days=1), time(0, 0), zone_name)


def short_time(value: time | None) -> str:
    """How texts and pages write a time: "9am", "2:30pm"."""
    if value is None:
        return ""
    text = value.strftime("%-I:%M%p").lower()
    return text.replace(":00", "") if value.minute == 0 else text
