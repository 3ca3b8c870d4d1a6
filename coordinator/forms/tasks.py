"""Forms for one task: editing an occurrence, releasing it, assigning someone."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from coordinator.forms.fields import DateInput, NumberInput, PlainText, TimeInput, row_id


class TaskEditForm(FlaskForm):
    local_date = DateInput("Date")
    start_time = TimeInput("From")
    end_time = TimeInput("Until")
    capacity = NumberInput("How many helpers", minimum=1, maximum=50)
    notes = TextAreaField(
        "Notes for this one only",
        validators=[Length(max=2000, message="Keep the notes under 2000 characters."), PlainText()],
        description="Leave empty to use the need's notes.",
    )
    fold = RadioField(  # asked only when the time happens twice (the clocks go back); the page writes the radios
        "That time happens twice that day",
        choices=[SelectChoice("0", "The first (before the clocks go back)"), SelectChoice("1", "The second (after)")],
        validators=[Optional()],
        validate_choice=False,
    )

    def fold_choice(self) -> int | None:
        return int(self.fold.data) if self.fold.data in ("0", "1") else None


class TaskActionForm(FlaskForm):
    """A task's button (done, take someone off): the page it was on may say where to go back to."""

    next = StringField()  # the page writes its own hidden input; checked by web/security.safe_next_url


class ClaimForm(TaskActionForm):
    anyway = StringField()  # "1" from the gentle word about carrying a lot: take it all the same


class ReleaseForm(FlaskForm):
    next = HiddenField()  # where to go back to; the question page carries it in the form's hidden fields
    note = StringField(
        "Anything to pass on? (optional)",
        validators=[Length(max=500, message="Keep the note under 500 characters."), PlainText()],
        description="For example: “Sorry, my shift changed.” Coordinators see this.",
    )


class AssignForm(TaskActionForm):
    user_id = SelectField("Sign someone up", coerce=row_id, validate_choice=False)
