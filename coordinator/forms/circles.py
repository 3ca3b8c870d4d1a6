"""The form for starting a circle."""

from __future__ import annotations

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coordinator.clock import known_zones

# Shown first in the time zone list; everything else follows alphabetically.
COMMON_ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def zone_choices() -> list[SelectChoice]:
    common = [z for z in COMMON_ZONES if z in known_zones()]
    rest = sorted(z for z in known_zones() if "/" in z and z not in common and not z.startswith(("Etc/", "SystemV/")))
    return [SelectChoice(z, z.replace("_", " "), optgroup="Common") for z in common] + [
        SelectChoice(z, z.replace("_", " "), optgroup="All time zones") for z in rest
    ]


def region_choices() -> list[SelectChoice]:
    return [
        SelectChoice(r, f"{r} (+{phonenumbers.country_code_for_region(r)})")
        for r in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]


class CircleForm(FlaskForm):
    for_whom = RadioField(
        "Who is this circle for?",
        choices=[
            SelectChoice("self", "Me: I'm the one who needs support"),
            SelectChoice("other", "Someone else: I'm organising for them"),
        ],
        default="self",
        validators=[DataRequired("Choose who the circle is for.")],
    )
    patient_name = StringField(
        "Their name",
        validators=[Optional(), Length(max=120, message="Keep the name under 120 characters.")],
        description="Only if you're organising for someone else. Their first name appears in texts.",
    )
    name = StringField(
        "Circle name (optional)",
        validators=[Optional(), Length(max=120, message="Keep the name under 120 characters.")],
        description='For example "Team Maria". Leave blank for "Helping <first name>".',
    )
    timezone = SelectField(
        "Time zone", choices=zone_choices, validators=[DataRequired("Choose a time zone.")], validate_choice=False
    )
    phone_region = SelectField(
        "Country for phone numbers",
        choices=region_choices,
        validators=[DataRequired("Choose a country.")],
        validate_choice=False,
        description="Numbers typed without a country code are read as this country's.",
    )
