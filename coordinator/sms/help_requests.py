"""Reading what a patient texts back to a check-in: a 1-5 score, or a request like "RIDE TUE 9".

Forgiving on purpose: a tired person on a phone types "ride tuesday 9am",
"dinner fri" or "someone to talk to sat afternoon". This turns those words
into a kind of help, a day and a time; anything it can't read still reaches a
coordinator as written. Reading only; what happens next is services/health/patient_checkins.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from coordinator.clock import local, now

# When a text names two kinds ("walk the dog", "call the insurance"), the more specific, earlier one wins.
CATEGORY_WORDS = {
    "ride": ("ride", "drive", "driving", "lift"),
    "meal": ("meal", "dinner", "lunch", "supper", "food", "cook", "cooking"),
    "childcare": ("kids", "kid", "children", "childcare", "school"),
    "pets": ("dog", "cat", "pet"),
    "errands": ("groceries", "grocery", "shopping", "errand"),
    "housework": ("clean", "cleaning", "laundry", "yard", "housework"),
    "paperwork": ("forms", "form", "insurance", "paperwork"),
    "call": ("call", "phone"),
    "visit": ("visit", "company", "talk"),
    "exercise": ("walk", "yoga"),
}
PRIORITY = list(CATEGORY_WORDS)
KEYWORDS = {word: key for key, words in CATEGORY_WORDS.items() for word in words}
DAY_NAMES = "mon monday|tue tues tuesday|wed weds wednesday|thu thur thurs thursday|fri friday|sat saturday|sun sunday"
WEEKDAYS = {name: number for number, names in enumerate(DAY_NAMES.split("|")) for name in names.split()}
DAYS_AHEAD = {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tomorow": 1}
PARTS_OF_DAY = {"morning": time(9), "noon": time(12), "afternoon": time(14), "evening": time(18), "tonight": time(18)}
SCORE = re.compile(r"^([1-5])(?:\s*(?:/|out of)\s*5)?[.!]*$", re.IGNORECASE)
CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm)?$")
# A reply made only of these ("ok thanks!", "thank you so much") is a pleasantry, not a request.
PLEASANTRIES = frozenset("ok okay k thanks thank you thankyou thx ty great so much got it".split())


@dataclass(frozen=True)
class HelpRequest:
    category: str
    day: date | None
    start_time: time | None


def _clock(token: str) -> time | None:
    """ "9", "9am", "2:30pm", "14:30" -> a time. A bare 1-6 means the afternoon: nobody asks for a 3am ride."""
    match = CLOCK.match(token)
    if not match:
        return None
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if minute > 59 or hour > 23 or (meridiem and not 1 <= hour <= 12):
        return None
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif 1 <= hour <= 6:
        hour += 12
    return time(hour, minute)


def help_request_parse(text: str, *, zone: str) -> HelpRequest:
    """Best guess at the kind of help, the day (next such date in `zone`) and the time; coordinators confirm it."""
    lowered = text.lower().replace("a.m.", "am").replace("p.m.", "pm")
    spaced = re.sub(r"[^a-z0-9:]+", " ", lowered)
    tokens = re.sub(r"(\d) (am|pm)\b", r"\1\2", spaced).split()  # "9 am" -> "9am"
    kinds, weekday, ahead, at = set(), None, None, None
    for token in tokens:
        word = token if token in KEYWORDS or not token.endswith("s") else token[:-1]
        kinds.add(KEYWORDS.get(word, "other"))
        weekday = WEEKDAYS.get(token, weekday)
        ahead = DAYS_AHEAD.get(token, ahead)
        at = at or _clock(token) or PARTS_OF_DAY.get(token)
    wall = local(now(), zone)
    day = None
    if ahead is not None:
        day = wall.date() + timedelta(days=ahead)
    elif weekday is not None:
        days = (weekday - wall.weekday()) % 7
        if days == 0 and at is not None and at <= wall.time().replace(tzinfo=None):
            days = 7  # "RIDE MON 9" sent on Monday at noon means next Monday
        day = wall.date() + timedelta(days=days)
    category = min(kinds - {"other"}, key=PRIORITY.index, default="other")
    return HelpRequest(category, day, at)
