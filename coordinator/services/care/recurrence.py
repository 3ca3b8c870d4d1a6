"""Recurring needs: simple presets in, RFC 5545 rules stored, dates out.

People pick "every Tuesday for 6 weeks" or "Mon, Wed and Fri until 20 Dec";
we store that as an RRULE value (e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=6) and let
python-dateutil expand it, in wall time, into the dates of each occurrence.
Date arithmetic near the ends of the calendar is clamped (`_plus`), so no date
anyone can type makes this module overflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr

from coordinator.errors import Invalid

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_OCCURRENCES = 200
MAX_SPAN = timedelta(days=730)


@dataclass(frozen=True)
class Repeat:
    """What the form asks: how often, on which days, and until when."""

    frequency: str = "none"  # none, daily, weekly, fortnightly
    weekdays: tuple[str, ...] = ()
    ends: str = "count"  # count, until, weeks
    count: int | None = None
    until: date | None = None
    weeks: int | None = None


def _plus(day: date, delta: timedelta) -> date:
    """`day + delta`, stopping at the ends of the calendar instead of overflowing."""
    try:
        return day + delta
    except OverflowError:
        return date.max if delta > timedelta(0) else date.min


def rule_from(repeat: Repeat, *, start: date) -> str:
    """The RRULE value for `repeat` starting on `start`, or "" for a one-off; Invalid if it makes no sense."""
    if repeat.frequency == "none":
        return ""
    if repeat.frequency not in {"daily", "weekly", "fortnightly"}:
        raise Invalid("Choose how often it repeats.", field="frequency")
    parts = ["FREQ=DAILY"] if repeat.frequency == "daily" else ["FREQ=WEEKLY"]
    if repeat.frequency == "fortnightly":
        parts.append("INTERVAL=2")
    if repeat.frequency != "daily":
        days = [d for d in WEEKDAYS if d in repeat.weekdays] or [WEEKDAYS[start.weekday()]]
        parts.append("BYDAY=" + ",".join(days))
    if repeat.ends == "count":
        if not repeat.count or not 1 <= repeat.count <= MAX_OCCURRENCES:
            raise Invalid(f"Repeat between 1 and {MAX_OCCURRENCES} times.", field="count")
        parts.append(f"COUNT={repeat.count}")
    elif repeat.ends in {"until", "weeks"}:
        if repeat.ends == "weeks":
            if not repeat.weeks or not 1 <= repeat.weeks <= 104:
                raise Invalid("Repeat for between 1 and 104 weeks.", field="weeks")
            last = _plus(start, timedelta(weeks=repeat.weeks, days=-1))
        else:
            last = repeat.until
            if last is None:
                raise Invalid("Choose the last date.", field="until")
        if last < start:
            raise Invalid("The last date must be on or after the first.", field="until")
        if last - start > MAX_SPAN:
            raise Invalid(
                f"A series can run for up to two years: choose a last date up to {_plus(start, MAX_SPAN):%a %-d %b %Y}.",
                field="until" if repeat.ends == "until" else "weeks",
            )
        parts.append(f"UNTIL={last:%Y%m%d}T235959")
    else:
        raise Invalid("Choose when it stops repeating.", field="ends")
    rule = ";".join(parts)
    if not occurrence_dates(rule, start=start, through=_plus(start, MAX_SPAN)):
        raise Invalid("That pattern never happens. Check the days you picked.", field="weekdays")
    return rule


def occurrence_dates(rule: str, *, start: date, through: date, after: date | None = None) -> list[date]:
    """Dates the series falls on, from `start` (or the day after `after`) through `through`."""
    if not rule:
        return [start] if (after is None or start > after) and start <= through else []
    expanded = rrulestr(rule, dtstart=datetime.combine(start, time(0, 0)))
    first = datetime.combine(_plus(after, timedelta(days=1)) if after else start, time(0, 0))
    last = datetime.combine(through, time(23, 59, 59))
    return [moment.date() for moment in expanded.between(first, last, inc=True)][: MAX_OCCURRENCES * 2]


def describe(rule: str, *, start: date) -> str:
    """A short human description: "Every Tue, 6 times", "Mon, Wed, Fri until 20 Dec"."""
    if not rule:
        return "Once"
    fields = dict(part.split("=", 1) for part in rule.split(";"))
    if fields.get("FREQ") == "DAILY":
        head = "Every day"
    else:
        days = [WEEKDAY_NAMES[WEEKDAYS.index(d)] for d in fields.get("BYDAY", "").split(",") if d in WEEKDAYS]
        head = ("Every other " if fields.get("INTERVAL") == "2" else "Every ") + ", ".join(days)
    if "COUNT" in fields:
        return f"{head}, {fields['COUNT']} times"
    if "UNTIL" in fields:  # name the last date it falls on, not the rule's bound ("6 weeks" ends on a Monday)
        until = datetime.strptime(fields["UNTIL"][:8], "%Y%m%d").date()
        last = (occurrence_dates(rule, start=start, through=until) or [until])[-1]
        return f"{head} until {last:%a %-d %b %Y}"
    return head
