"""The form for a circle's health settings: when to ask whom, the fair share, drifting, the patient's view.

Only shapes are checked here (a whole number, a decimal); the ranges and the
order of the asking days are rules, checked by services/health/settings.py.
"""

from __future__ import annotations

import math

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice

from coordinator.forms.fields import NumberInput, TypedInput


class DecimalInput(TypedInput):
    """A number that may have a decimal point, like 2 or 2.5; anything else gets a message."""

    input_type = "number"

    def __init__(self, *args, minimum: float = 0, maximum: float = 100, step: float = 0.5, **kwargs):
        kwargs.setdefault("render_kw", {}).update(
            {"inputmode": "decimal", "min": minimum, "max": maximum, "step": step}
        )
        super().__init__(*args, **kwargs)

    def read(self, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("Enter a number like 2 or 2.5.") from None
        if not math.isfinite(value) or len(text) > 8:
            raise ValueError("Enter a number like 2 or 2.5.")
        return value

    def show(self, value) -> str:
        return f"{value:g}"


class HealthSettingsForm(FlaskForm):
    first_ask_days = NumberInput(
        "Ask the best few this many days before",
        minimum=1,
        maximum=30,
        description="The few supporters who suit a task best hear about it first.",
    )
    wider_ask_days = NumberInput(
        "Then ask everyone who suits it, days before",
        minimum=0,
        maximum=30,
        description="Fewer days than the first ask. Only as many as should bring a yes, likeliest first; more a day later if nobody says yes.",
    )
    alert_days = NumberInput(
        "Then tell a coordinator, days before",
        minimum=0,
        maximum=14,
        description="Fewer days than asking everyone (0: on the day).",
    )
    best_few = NumberInput(
        "How many to ask first",
        minimum=1,
        maximum=10,
        description="If nobody says yes within 12 hours, the next ones are asked.",
    )
    backup_after_hours = NumberInput(
        "Tell the next coordinator if nobody acts within (hours)",
        minimum=1,
        maximum=168,
    )
    fair_share_factor = DecimalInput(
        "Fair share: at most this many times an even split",
        minimum=1,
        maximum=10,
        description="2 means nobody is asked for more once they carry twice what everyone would if the work were shared evenly.",
    )
    reengage = BooleanField("Send one gentle, concrete ask to someone who is drifting away")
    archive_after_weeks = NumberInput(
        "If that ask goes unanswered, leave them in peace after (weeks)",
        minimum=1,
        maximum=52,
        description="They are archived quietly and can come back any time.",
    )
    patient_view = RadioField(
        "What the patient sees of this page",
        choices=[
            SelectChoice("gentle", "A gentle version: which days are covered, and how many people helped each week"),
            SelectChoice("none", "Nothing: coordinators keep an eye on it"),
        ],
        validate_choice=False,
    )
    patient_checkins = BooleanField("Text the patient once a week to ask how the week is going")

    NUMBERS = (
        "first_ask_days",
        "wider_ask_days",
        "alert_days",
        "best_few",
        "backup_after_hours",
        "fair_share_factor",
        "archive_after_weeks",
    )

    def values(self) -> dict:
        """What was typed, keyed like HealthSettings; empty numbers are None (the service says why)."""
        found = {name: getattr(self, name).data for name in self.NUMBERS}
        found |= {
            "reengage": bool(self.reengage.data),
            "patient_checkins": bool(self.patient_checkins.data),
            "patient_view": self.patient_view.data,
        }
        return found
