"""The form for starting a circle, and the country and time-zone fields other forms share.

A time zone is asked as a short list of names people know ("Eastern Time (New
York)", their own country's first) plus a box to type any other place, which
suggests places as you type and works without JavaScript. Both send IANA names;
coordinator/regions.py names them and finds them.
"""

from __future__ import annotations

from flask import current_app, g, has_app_context
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, RadioField, SelectChoice, SelectField, StringField
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.widgets import html_params

from config import BaseConfig
from coordinator.errors import Invalid
from coordinator.regions import (
    country_choices,
    country_label,
    current_zone,
    is_country,
    zone_choice_label,
    zone_choices,
    zone_find,
    zone_search_names,
)

ZONE_NOT_LISTED = "Choose a time zone from the list."


def _default_region() -> str:
    return current_app.config["DEFAULT_PHONE_REGION"] if has_app_context() else BaseConfig.DEFAULT_PHONE_REGION


def region_choices() -> list[SelectChoice]:
    """Countries by name with their dialling code: the host's own and the common few first."""
    return [SelectChoice(c.value, c.label, optgroup=c.group) for c in country_choices(_default_region())]


class CountryField(SelectField):
    """A country for reading phone numbers; anything not in the list gets a plain message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=region_choices, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        if self.data and not is_country(self.data):
            raise StopValidation("Choose a country from the list.")


class ZoneWidget:
    """A <select> of the short list, then a text box with a <datalist> for any other place."""

    def __call__(self, field: ZoneField, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        chosen = current_zone(field.data or field.chosen)
        groups: dict[str, list[Markup]] = {}
        for choice in zone_choices(field.region, current=chosen):
            selected = Markup(" selected") if choice.value == chosen else ""
            option = Markup('<option value="{}"{}>{}</option>').format(choice.value, selected, choice.label)
            groups.setdefault(choice.group, []).append(option)
        options = Markup("").join(
            Markup("").join(items)
            if not label
            else Markup('<optgroup label="{}">{}</optgroup>').format(label, Markup("").join(items))
            for label, items in groups.items()
        )
        box = {"id": f"{field.id}-other", "name": f"{field.name}-other", "list": f"{field.id}-places"}
        if field.typed_failed:
            box |= {"value": field.typed, "aria_invalid": "true", "aria_describedby": kwargs.get("aria-describedby")}
        places = Markup("").join(Markup('<option value="{}">').format(name) for name in zone_search_names())
        return Markup(
            '<select {}>{}</select><div class="zone-other"><label for="{}">{}</label>'
            '<input type="text" autocomplete="off" autocapitalize="words" spellcheck="false" {}>'
            '<datalist id="{}-places">{}</datalist></div>'
        ).format(
            _attributes(name=field.name, **kwargs),
            options,
            box["id"],
            field.other_label,
            _attributes(**box),
            field.id,
            places,
        )


def _attributes(**attrs) -> Markup:
    return Markup(html_params(**{k: v for k, v in attrs.items() if v is not None}))  # noqa: S704 (html_params escapes)


class ZoneField(Field):
    """A time zone, stored as its IANA name, chosen from a short list or typed as a place.

    What was typed wins over the list (someone who typed meant it); it may be a
    city ("Paris"), a zone name ("Europe/Paris") or a name from the list. The
    short list starts with the zones of the country in the sibling field
    `region_field`, else of the circle being viewed, else of the host.
    """

    widget = ZoneWidget()

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        other_label: str = "Somewhere else? Type a city",
        region_field: str | None = None,
        required: str | None = None,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.other_label, self.region_field, self.required = other_label, region_field, required
        self.chosen = self.typed = ""
        self.typed_failed = False

    @property
    def region(self) -> str:
        sibling = getattr(self._form, self.region_field, None) if self.region_field else None
        if sibling is not None and is_country(sibling.data or ""):
            return sibling.data
        circle = g.get("circle") if has_app_context() else None
        return circle.phone_region if circle is not None else _default_region()

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.typed = " ".join((formdata.get(f"{self.name}-other") or "").split())

    def process_formdata(self, valuelist):
        self.chosen = (valuelist[0] if valuelist else "").strip()
        self.data = self.chosen or None

    def pre_validate(self, form):
        if self.typed:
            try:
                self.data = zone_find(self.typed, region=self.region)
            except Invalid as error:
                self.data, self.typed_failed = None, True
                raise StopValidation(error.message) from None
        elif self.chosen:
            if current_zone(self.chosen) != self.chosen:  # the list only offers places
                self.data = None
                raise StopValidation(ZONE_NOT_LISTED)
        elif self.required:
            raise StopValidation(self.required)

    def _value(self):
        return self.data or self.chosen


class CircleForm(FlaskForm):
    for_whom = RadioField(
        "Who is this for?",
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
        description="Their first name appears in the texts helpers get.",
        render_kw={"autocomplete": "off"},
    )
    name = StringField(
        "Circle name (optional)",
        validators=[Optional(), Length(max=120, message="Keep the name under 120 characters.")],
        description='Leave it empty to call it "Helping" and the first name, like "Helping Maria".',
    )
    phone_region = CountryField(
        "Country",
        validators=[DataRequired("Choose a country.")],
        description="Phone numbers typed without a country code are read as this country's.",
    )
    timezone = ZoneField(
        "Time zone",
        description="Texts to helpers wait until morning in this time zone.",
        region_field="phone_region",
        required="Choose a time zone.",
        other_label="Not in the list? Type a nearby city instead",
    )

    def place_summary(self) -> str:
        """What the circle will be set to, in words: "Eastern Time (New York) · United States (+1)"."""
        zone = current_zone(self.timezone.data or self.timezone.chosen)
        region = self.phone_region.data
        parts = [zone_choice_label(zone) if zone else "", country_label(region) if is_country(region or "") else ""]
        return " · ".join(part for part in parts if part) or "Choose"
