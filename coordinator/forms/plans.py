"""Forms for a treatment plan: starting one, adding a treatment, editing a suggestion, moving a day.

Build each with `Form(meta=date_meta(circle))` so typed dates read the circle's way. The rules (what is
valid, what is too far ahead) live in services/care/plans.py; these only read what was typed.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from coordinator.forms.fields import DateInput, NumberInput, PlainText, TimeInput
from coordinator.services.care.plan_quiet import QuietInput
from coordinator.services.care.plans import RuleInput, TreatmentInput
from coordinator.services.care.recurrence import WEEKDAY_NAMES, WEEKDAYS

ONLY_YOU = "Never shown to supporters and never in a text: they see “an appointment”."


class TreatmentForm(FlaskForm):
    kind = RadioField(
        "What kind",
        choices=[
            SelectChoice("repeating", "Repeats every few weeks (like infusions)"),
            SelectChoice("course", "Every weekday for some weeks (like radiation)"),
            SelectChoice("oneoff", "Once (a scan, surgery or consultation)"),
        ],
        default="repeating",
        validate_choice=False,
    )
    label = StringField(
        "What it is",
        validators=[Length(max=80, message="Keep this under 80 characters."), PlainText()],
        description="For example: chemo infusion. " + ONLY_YOU,
    )
    first_date = DateInput("First date")
    start_time = TimeInput("Starts at")
    end_time = TimeInput("Ends about")
    place = StringField(
        "Where",
        validators=[Length(max=200, message="Keep this under 200 characters."), PlainText()],
        description="Only the person driving, and coordinators, see this.",
    )
    every_days = NumberInput("Every how many days", minimum=1, maximum=365, default=21)
    times = NumberInput("How many times", minimum=1, maximum=60, default=6)
    weekdays = SelectMultipleField(
        "On these days",
        choices=[SelectChoice(code, name) for code, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)],
        default=["MO", "TU", "WE", "TH", "FR"],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    weeks = NumberInput("For how many weeks", minimum=1, maximum=52, default=5)

    def to_treatment(self) -> TreatmentInput:
        return TreatmentInput(
            kind=self.kind.data or "",
            label=self.label.data or "",
            first_date=self.first_date.data,
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            place=self.place.data or "",
            every_days=self.every_days.data,
            times=self.times.data,
            weekdays=tuple(self.weekdays.data or ()),
            weeks=self.weeks.data,
        )


class PlanForm(TreatmentForm):
    name = StringField(
        "Name the plan",
        validators=[Length(max=80, message="Keep the name under 80 characters."), PlainText()],
        description="Just for you and your coordinators, for example: second round.",
    )
    audience = RadioField(
        "Who can see the plan",
        choices=[
            SelectChoice("managers", "Me and my coordinators"),
            SelectChoice("inner", "Also my inner circle"),
        ],
        default="managers",
        validate_choice=False,
    )


class RuleForm(FlaskForm):
    enabled = BooleanField("Ask for this")
    title = StringField(
        "What supporters see",
        validators=[Length(max=120, message="Keep this under 120 characters."), PlainText()],
        description="Keep treatment words out: supporters see this.",
    )
    offset_first = NumberInput("From day", minimum=-7, maximum=21)
    offset_last = NumberInput("To day", minimum=-7, maximum=21)
    start_time = TimeInput("At")
    capacity = NumberInput("How many helpers", minimum=1, maximum=50)
    notes = TextAreaField("Notes", validators=[Length(max=500, message="Keep the notes under 500 characters.")])

    def to_input(self) -> RuleInput:
        return RuleInput(
            enabled=bool(self.enabled.data),
            title=self.title.data or "",
            offset_first=self.offset_first.data,
            offset_last=self.offset_last.data,
            start_time=self.start_time.data,
            capacity=self.capacity.data,
            notes=self.notes.data or "",
        )


class QuietForm(FlaskForm):
    offset_first = NumberInput("From day", minimum=-7, maximum=21)
    offset_last = NumberInput("To day", minimum=-7, maximum=21)
    no_visitors = BooleanField("No visitors", default=True)
    quiet_start = TimeInput("Quiet from")
    quiet_end = TimeInput("Quiet until")
    note = StringField(
        "A note for meals those days",
        validators=[Length(max=200, message="Keep the note under 200 characters."), PlainText()],
        description="For example: meals at the door, please.",
    )

    def to_input(self) -> QuietInput:
        return QuietInput(
            offset_first=self.offset_first.data,
            offset_last=self.offset_last.data,
            no_visitors=bool(self.no_visitors.data),
            quiet_start=self.quiet_start.data,
            quiet_end=self.quiet_end.data,
            note=self.note.data or "",
        )


class AudienceForm(FlaskForm):
    audience = RadioField(
        "Who can see the plan",
        choices=[SelectChoice("managers", "Me and my coordinators"), SelectChoice("inner", "Also my inner circle")],
        validate_choice=False,
    )


class CancelForm(FlaskForm):
    following = HiddenField()  # "1": this day and every later one (the confirming page carries it)


class AgainForm(FlaskForm):
    first_date = DateInput("First treatment of the new round")


class ChooseForm(FlaskForm):
    """The ticked suggestions (their ids) on the plan page."""

    rule = SelectMultipleField("Ask for", validate_choice=False)
    choosing = StringField()  # "1" when the ticks came with the Post button (written by the page, not hidden_tag)

    def chosen(self) -> set[int]:
        return {int(v) for v in self.rule.data or () if str(v).isascii() and str(v).isdigit() and len(str(v)) < 10}


class MoveForm(FlaskForm):
    to = DateInput("New date")
    at = TimeInput(
        "New time", description="Leave it empty to keep the time. Rides move with it; meals and visits don't."
    )
    scope = RadioField(
        "What moves",
        choices=[
            SelectChoice("one", "Only this one"),
            SelectChoice("following", "This one and every one after it, by the same number of days"),
        ],
        default="one",
        validate_choice=False,
    )
    confirmed = BooleanField("Yes, move it")  # sent by the confirming page's button
