"""Kinds of help, as data: each category names the extra details its needs ask for.

Adding a category means adding one entry to CATEGORIES; forms, pages, texts and
validation all read from here. A detail marked `private` (an address, a pickup
point) is shown only to the people who took the task and to coordinators, and
never goes into a text message. Each category asks at most one address question
(`address_label`): a ride's pickup is its address, a meal's is where it is dropped off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from coordinator.clock import parse_time, short_time
from coordinator.errors import Invalid, Problems

TEXT_MAX = 500


@dataclass(frozen=True)
class Detail:
    name: str
    label: str
    kind: str = "text"  # text, long_text, number, time, yes_no
    hint: str = ""
    private: bool = False
    minimum: int = 0
    maximum: int = 50
    legacy: bool = False  # no longer asked on the form; still kept and shown where a need has it

    def shown(self, value: Any) -> str:
        """How a stored value reads on a page: "Yes", "8:15am", "4"."""
        if self.kind == "yes_no":
            return "Yes" if value is True or str(value).lower() in {"y", "yes", "true", "on", "1"} else "No"
        if self.kind == "time" and value:
            try:
                return short_time(parse_time(str(value)))
            except Invalid:
                return str(value)
        return str(value)

    def parse(self, raw: Any) -> Any:
        """The cleaned value of this detail, None when left empty, or Invalid.

        Takes what a form field already read (a time, a number, True) as well as text.
        """
        if self.kind == "yes_no":
            return raw is True or str(raw).lower() in {"y", "yes", "true", "on", "1"}
        if self.kind == "time" and isinstance(raw, time):
            return raw.strftime("%H:%M")
        text = " ".join(str(raw or "").split()) if self.kind != "long_text" else str(raw or "").strip()
        if not text:
            return None
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
            raise Invalid("Remove the control characters.", field=f"detail_{self.name}")
        if self.kind == "number":
            if not (text.isascii() and text.isdigit()) or not self.minimum <= int(text) <= self.maximum:
                raise Invalid(f"Enter a number from {self.minimum} to {self.maximum}.", field=f"detail_{self.name}")
            return int(text)
        if self.kind == "time":
            return parse_time(text, field=f"detail_{self.name}").strftime("%H:%M")
        if len(text) > TEXT_MAX:
            raise Invalid(f"Keep this under {TEXT_MAX} characters.", field=f"detail_{self.name}")
        return text


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    noun: str  # how a text message names one task of this kind: "a ride", "a meal"
    when_label: str = "When"
    details: tuple[Detail, ...] = field(default_factory=tuple)
    # The one address question this kind of help asks (None: it asks none), and its hint.
    address_label: str | None = "Address"
    address_hint: str = ""

    @property
    def asked(self) -> tuple[Detail, ...]:
        """The details the form asks for (not the legacy ones)."""
        return tuple(d for d in self.details if not d.legacy)

    def parse_details(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Every detail given, cleaned; all the problems at once (Problems) if any are wrong.

        Forms only send the asked ones; a legacy detail given by code (older callers, demo data) is kept.
        """
        cleaned, problems = {}, Problems.collector()
        for detail in self.details:
            with problems.check():
                value = detail.parse(raw.get(detail.name))
                if value is not None:
                    cleaned[detail.name] = value
        problems.raise_if_any()
        return cleaned

    def public_details(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        return [(d.label, d.shown(values[d.name])) for d in self.details if not d.private and d.name in values]

    def private_details(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        return [(d.label, d.shown(values[d.name])) for d in self.details if d.private and d.name in values]


CATEGORIES: dict[str, Category] = {
    c.key: c
    for c in [
        Category(
            "meal",
            "Meals",
            "a meal",
            when_label="Drop-off window",
            address_label="Drop-off address",
            details=(
                Detail("servings", "How many to feed", "number", minimum=1, maximum=30),
                Detail("dietary", "Dietary needs", hint="For example: vegetarian, soft foods, low salt"),
                Detail("allergies", "Allergies", hint="Anything that must not be in the food"),
                Detail("dropoff", "Drop-off instructions", "long_text", hint="For example: cooler on the porch"),
            ),
        ),
        Category(
            "ride",
            "Rides to appointments",
            "a ride",
            when_label="Pickup time",
            address_label="Pickup address",
            address_hint="Where to pick them up, and which door.",
            details=(
                Detail("destination", "Destination", private=True, hint="Clinic or hospital, and the entrance"),
                Detail("appointment_time", "Appointment time", "time"),
                Detail("return_trip", "Return trip needed", "yes_no"),
                Detail("pickup", "Pickup from", private=True, legacy=True),
            ),
        ),
        Category(
            "childcare",
            "Childcare",
            "childcare",
            details=(
                Detail("children", "How many children", "number", minimum=1, maximum=10),
                Detail("ages", "Ages"),
                Detail("instructions", "What to know", "long_text"),
            ),
        ),
        Category(
            "pets",
            "Pet care",
            "pet care",
            details=(
                Detail("pets", "Pets", hint="For example: Biscuit, an old beagle"),
                Detail("instructions", "What to do", "long_text"),
            ),
        ),
        Category(
            "errands",
            "Groceries and errands",
            "an errand",
            address_label="Drop-off address",
            details=(
                Detail("list", "Shopping list or errands", "long_text", hint="For example: milk, bread, post a parcel"),
            ),
        ),
        Category("housework", "Housework and yard", "some housework", details=(Detail("jobs", "Jobs", "long_text"),)),
        Category("visit", "Visits and company", "a visit", address_label="Where"),
        Category(
            "call",
            "A phone or video call",
            "a call",
            address_label=None,
            details=(Detail("how", "Phone or video", hint="For example: FaceTime, or a phone call"),),
        ),
        Category(
            "exercise",
            "Exercise buddy",
            "a walk",
            address_label="Where to meet",
            details=(Detail("activity", "Activity", hint="For example: a slow walk, gentle yoga"),),
        ),
        Category(
            "paperwork",
            "Paperwork and insurance calls",
            "some paperwork",
            address_label=None,
            details=(Detail("topic", "What it's about", hint="Keep medical details out; they stay on paper"),),
        ),
        Category("other", "Other", "a task"),
    ]
}


def category_get(key: str) -> Category:
    try:
        return CATEGORIES[key]
    except KeyError:
        raise Invalid("Choose a kind of help from the list.", field="category") from None
