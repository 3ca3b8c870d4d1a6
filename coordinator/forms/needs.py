"""The form for posting or editing a need. Its detail fields, and its one address question, come from the category.

Build it with `need_form_class(category)(meta=date_meta(circle))` so typed dates read the circle's way.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coordinator.categories import Category
from coordinator.forms.fields import DateInput, NumberInput, TimeInput
from coordinator.services.care.needs import NeedInput
from coordinator.services.care.recurrence import WEEKDAY_NAMES, WEEKDAYS, Repeat

PRIVATE_HINT = "Only the people who take this, and coordinators, will see it. Never sent by text."


class NeedForm(FlaskForm):
    category_key = ""  # set on the subclass made for each category

    title = StringField("What's needed", validators=[Length(max=120, message="Keep the title under 120 characters.")])
    notes = TextAreaField(
        "Notes",
        validators=[Length(max=2000, message="Keep the notes under 2000 characters.")],
        description="Anything helpers should know. Visible to everyone who can see this need.",
    )
    when = RadioField(
        "Does it need a set time?",
        choices=[SelectChoice("at", "Yes, at a set time"), SelectChoice("by", "No, any time before a date")],
        default="at",
        validate_choice=False,
    )
    start_date = DateInput("Date", description="For “any time before”, the last day it can be done.")
    start_time = TimeInput("From")
    end_time = TimeInput("Until")
    fold = RadioField(
        "That time happens twice that day",
        choices=[SelectChoice("0", "The first (before the clocks go back)"), SelectChoice("1", "The second (after)")],
        validators=[Optional()],
        validate_choice=False,
    )
    capacity = NumberInput("How many helpers", minimum=1, maximum=50, default=1, description="Usually one.")
    visibility = RadioField(
        "Who can see this",
        choices=[SelectChoice("circle", "Everyone in the circle"), SelectChoice("inner", "Only the inner circle")],
        default="circle",
        validate_choice=False,
    )
    address = TextAreaField("Address")  # labelled (or removed) per category by need_form_class
    frequency = RadioField(
        "Repeats",
        choices=[
            SelectChoice("none", "Just once"),
            SelectChoice("weekly", "Every week"),
            SelectChoice("fortnightly", "Every other week"),
            SelectChoice("daily", "Every day"),
        ],
        default="none",
        validate_choice=False,
    )
    weekdays = SelectMultipleField(
        "On these days",
        choices=[SelectChoice(code, name) for code, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
        description="Leave all empty for the same weekday as the date.",
    )
    ends = RadioField(
        "Stops",
        choices=[
            SelectChoice("weeks", "After a number of weeks"),
            SelectChoice("count", "After a number of times"),
            SelectChoice("until", "On a date"),
        ],
        default="weeks",
        validate_choice=False,
    )
    weeks = NumberInput("Weeks", minimum=1, maximum=104)
    count = NumberInput("Times", minimum=1, maximum=200)
    until = DateInput("Last date")
    post_anyway = BooleanField("Post it anyway")  # sent by the button on the duplicate warning

    @property
    def asks_address(self) -> bool:
        return "address" in self._fields

    def detail_fields(self):
        return [getattr(self, name) for name in self._fields if name.startswith("detail_")]

    def to_input(self) -> NeedInput:
        details = {f.name.removeprefix("detail_"): f.data for f in self.detail_fields()}
        return NeedInput(
            category=self.category_key,
            title=self.title.data or "",
            notes=self.notes.data or "",
            details=details,
            address=(self.address.data or "") if self.asks_address else "",
            visibility=self.visibility.data or "",
            capacity=self.capacity.data,
            anytime=self.when.data == "by",
            start_date=self.start_date.data,
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            fold=int(self.fold.data) if self.fold.data in ("0", "1") else None,
            repeat=Repeat(
                frequency=self.frequency.data or "none",
                weekdays=tuple(self.weekdays.data or ()),
                ends=self.ends.data or "weeks",
                count=self.count.data,
                until=self.until.data,
                weeks=self.weeks.data,
            ),
        )


def need_form_class(category: Category) -> type[NeedForm]:
    """A NeedForm with this category's detail fields (detail_<name>) and its address question, if it asks one."""
    attrs: dict = {"category_key": category.key, "address": None}
    if category.address_label:
        hint = " ".join(filter(None, [category.address_hint, PRIVATE_HINT]))
        attrs["address"] = TextAreaField(category.address_label, description=hint)
    for detail in category.asked:
        name = f"detail_{detail.name}"
        if detail.kind == "long_text":
            attrs[name] = TextAreaField(detail.label, description=detail.hint)
        elif detail.kind == "yes_no":
            attrs[name] = BooleanField(detail.label, description=detail.hint)
        elif detail.kind == "number":
            attrs[name] = NumberInput(
                detail.label, minimum=detail.minimum, maximum=detail.maximum, description=detail.hint
            )
        elif detail.kind == "time":
            attrs[name] = TimeInput(detail.label, description=detail.hint)
        else:
            attrs[name] = StringField(detail.label, description=detail.hint)
    return type(f"{category.key.title()}NeedForm", (NeedForm,), attrs)
