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


# Names people use for the zones most circles are in; any other zone is named after its city.
_ZONE_NAMES = {
    "Eastern Time": "America/New_York America/Detroit America/Toronto America/Indiana America/Kentucky "
    "America/Nassau America/Iqaluit US/Eastern",
    "Central Time": "America/Chicago America/Winnipeg America/Menominee America/North_Dakota "
    "America/Indiana/Knox America/Indiana/Tell_City US/Central",
    "Mountain Time": "America/Denver America/Boise America/Edmonton America/Yellowknife US/Mountain",
    "Arizona time": "America/Phoenix US/Arizona",
    "Pacific Time": "America/Los_Angeles America/Vancouver America/Tijuana US/Pacific",
    "Alaska Time": "America/Anchorage America/Juneau America/Sitka America/Nome America/Yakutat "
    "America/Metlakatla US/Alaska",
    "Hawaii time": "Pacific/Honolulu US/Hawaii",
    "Atlantic Time": "America/Halifax America/Puerto_Rico America/Moncton America/Glace_Bay",
    "Newfoundland time": "America/St_Johns",
    "Saskatchewan time": "America/Regina America/Swift_Current",
    "UK time": "Europe/London Europe/Belfast GB",
    "Irish time": "Europe/Dublin",
    "UTC": "UTC Etc/UTC Etc/UCT Etc/Universal Etc/Zulu Universal Zulu UCT",
}
_ZONE_LOOKUP = {zone_name: label for label, names in _ZONE_NAMES.items() for zone_name in names.split()}


def zone_label(name: str) -> str:
    """A zone in the words people use: "Eastern Time", "UK time", "Tokyo time" (never "America/New_York")."""
    parts = (name or "").split("/")
    for size in range(len(parts), 0, -1):
        label = _ZONE_LOOKUP.get("/".join(parts[:size]))
        if label:
            return label
    if name.startswith("Etc/GMT") and len(name) > 7:  # Etc/GMT+5 is five hours *behind* UTC
        return "UTC" + {"+": "−", "-": "+"}.get(name[7], "") + name[8:]
    return f"{parts[-1].replace('_', ' ')} time" if parts[-1] else "local time"


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, zone_name: str) -> datetime:
    """`moment` as wall time in `zone_name`."""
    return moment.astimezone(zone(zone_name))


def today_in(zone_name: str) -> date:
    return local(now(), zone_name).date()


TIME_EXAMPLE = "Enter a time like 9:30 or 14:00."
# What a time picker sends (09:30, 09:30:00, 09:30:00.000) and what people type (9, 9:30, 9.30, 9h30, 0930).
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?(?: ?([ap]m))?$", re.ASCII)
_COMPACT_TIME = re.compile(r"^(\d{1,2})(\d{2})(?: ?([ap]m))?$", re.ASCII)
_MERIDIEM = re.compile(r"\s*([ap])\.?\s*m\.?$")
_NAMED_TIMES = {"noon": time(12), "midday": time(12), "12 noon": time(12), "midnight": time(0), "12 midnight": time(0)}


def _plain(text: str, *, limit: int, message: str, field: str | None) -> str:
    """Lower case with single spaces; control characters or a very long text are Invalid."""
    text = text or ""
    if len(text) > limit or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise Invalid(message, field=field)
    return " ".join(text.lower().split())


def parse_time(text: str, *, field: str | None = None) -> time:
    """A time the way pickers send it or people type it: 09:30:00, 9, 9.30, 0930, 9:30 a.m., 9 pm, noon."""
    cleaned = _plain(text, limit=24, message=TIME_EXAMPLE, field=field)
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    cleaned = _MERIDIEM.sub(lambda m: f" {m.group(1)}m", cleaned)
    match = _TIME.match(cleaned)
    if match:
        hour, minute, second, meridiem = match.groups()
    elif match := _COMPACT_TIME.match(cleaned):
        (hour, minute, meridiem), second = match.groups(), None
    else:
        raise Invalid(TIME_EXAMPLE, field=field)
    hour, minute = int(hour), int(minute or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            raise Invalid("Enter a time like 9:30am or 2:00pm.", field=field)
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or int(second or 0) > 59:
        raise Invalid(TIME_EXAMPLE, field=field)
    return time(hour, minute)


DATE_EXAMPLE = "Enter a date like 3 Dec 2026."
MONTH_NAMES = ("january february march april may june july august september october november december").split()
_WEEKDAY_WORDS = {
    w
    for day in "monday tuesday wednesday thursday friday saturday sunday".split()
    for w in (day, day[:3], day[:4], day.removesuffix("day"))
}
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$", re.ASCII)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2}|\d{4}))?$", re.ASCII)
# Regions that write the month first in numeric dates (12/3 is 3 December); everywhere else it is 12 March.
MONTH_FIRST_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW", "BZ", "CA"})


def dayfirst_for(region: str | None) -> bool:
    """Whether people in this phone region write 3/12 for 3 December."""
    return (region or "US").upper() not in MONTH_FIRST_REGIONS


def _month(word: str) -> int | None:
    word = word.rstrip(".")
    if len(word) < 3:
        return None
    return next((n for n, name in enumerate(MONTH_NAMES, 1) if name.startswith(word)), None)


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _real_date(year: int | None, month: int, day: int, *, today: date, field: str | None) -> date:
    """The date; without a year, the next time that day comes round (from today)."""
    years = [year] if year is not None else range(today.year, today.year + 9)
    for candidate_year in years:
        try:
            found = date(candidate_year, month, day)
        except ValueError:
            continue
        if year is not None or found >= today:
            return found
    raise Invalid("Enter a real date, like 3 Dec 2026.", field=field)


def parse_date(text: str, *, today: date | None = None, dayfirst: bool = False, field: str | None = None) -> date:
    """A date the way pickers send it (2026-12-03) or people type it: 3 Dec 2026, Dec 3, 12/3/2026, tomorrow.

    Numeric dates read day first or month first as `dayfirst` says (see dayfirst_for), unless only the
    other reading is a real date. A date without a year is the next one to come.
    """
    today = today or now().date()
    cleaned = _plain(text, limit=40, message=DATE_EXAMPLE, field=field)
    if cleaned in {"today", "tomorrow", "yesterday"}:
        return today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[cleaned])
    if match := _ISO_DATE.match(cleaned):
        year, month, day = (int(part) for part in match.groups())
        return _real_date(year, month, day, today=today, field=field)
    if match := _NUMERIC_DATE.match(cleaned):
        first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        readings = [(second, first), (first, second)] if dayfirst else [(first, second), (second, first)]
        for month, day in readings:
            if 1 <= month <= 12:
                try:
                    return _real_date(year, month, day, today=today, field=field)
                except Invalid:
                    continue
        raise Invalid("Enter a real date, like 3 Dec 2026.", field=field)
    words = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned.replace(",", " "))
    words = [w for w in re.split(r"[\s\-/]+", words) if w and w not in _WEEKDAY_WORDS | {"of", "the"}]
    numbers = [w for w in words if w.isascii() and w.isdigit()]
    names = [w for w in words if not (w.isascii() and w.isdigit())]
    if len(names) == 1 and (month := _month(names[0])) and 1 <= len(numbers) <= 2 and len(numbers[0]) <= 2:
        if len(numbers) == 1 or len(numbers[1]) in (2, 4):
            return _real_date(
                _year(numbers[1] if len(numbers) == 2 else None), month, int(numbers[0]), today=today, field=field
            )
    raise Invalid(DATE_EXAMPLE, field=field)


PLAN_AHEAD_MONTHS = 18


def last_plannable(today: date) -> date:
    """The furthest date a need may be planned for: 18 months from today."""
    from dateutil.relativedelta import relativedelta

    return today + relativedelta(months=PLAN_AHEAD_MONTHS)


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
