"""Forms about one member: my preferences (what, when, how often, how to reach me), and the inner circle.

Only shapes are read here; whether a choice is allowed is services/people/members.py's rule.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, RadioField, SelectChoice, SelectMultipleField, StringField
from wtforms.utils import unset_value
from wtforms.widgets import CheckboxInput, ListWidget

from coordinator.categories import CATEGORIES
from coordinator.forms.circles import ZoneField
from coordinator.forms.fields import NumberInput, TimeInput
from coordinator.forms.updates import NOTES_BY_CHOICES, UPDATES_BY_CHOICES
from coordinator.services.care.recurrence import WEEKDAYS
from coordinator.services.texting.reminders import LEAD_CHOICES


def _multi(label: str, choices: list[SelectChoice], description: str = "") -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=choices,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
        description=description,
    )


class AvailabilityGrid(Field):
    """The "when I'm usually free" grid the page draws itself: a checkbox per day and part of the day.

    Its boxes are named by day (`avail-MO` ... `avail-SU`), each ticked one carrying the part of the day,
    so this reads {"MO": ["morning", "evening"], "TU": [], ...}. A problem with it is shown above the form.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        ticked = formdata.getlist if formdata is not None else lambda name: []  # an empty POST ticks nothing
        self.data = {day: ticked(f"avail-{day}") for day in WEEKDAYS}


class PreferencesForm(FlaskForm):
    categories = _multi(
        "I'm glad to help with",
        [SelectChoice(key, c.label) for key, c in CATEGORIES.items()],
        "Leave all empty if anything is fine.",
    )
    availability_grid = AvailabilityGrid()
    asks_per_week = NumberInput("Ask me at most this many times a week", minimum=0, maximum=14)
    reminder_leads = _multi(
        "Remind me before tasks I've taken",
        [SelectChoice(key, label) for key, label in LEAD_CHOICES.items()],
        "Leave all empty for no reminders.",
    )
    timezone = ZoneField("My time zone", other_label="Not in the list? Type a city near you instead")
    quiet_usual = BooleanField("Use the usual quiet hours")  # the host's, and they follow if the host changes them
    quiet_start = TimeInput("Quiet from")
    quiet_end = TimeInput("Quiet until")
    updates_by = RadioField("Tell me about new updates", choices=UPDATES_BY_CHOICES, validate_choice=False)
    notes_by = RadioField("Tell me about notes of encouragement", choices=NOTES_BY_CHOICES, validate_choice=False)
    sms_enabled = BooleanField("Texts")
    email_enabled = BooleanField("Email")


class InnerCircleForm(FlaskForm):
    """In or out of the inner circle: the question page says which (`inside` = yes or no)."""

    inside = StringField()  # carried by the question page's own hidden input

    def wanted(self, *, now_inside: bool) -> bool:
        """In (True) or out; a POST that doesn't say (from an older page) flips it."""
        return {"yes": True, "no": False}.get(self.inside.data or "", not now_inside)
