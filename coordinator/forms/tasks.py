"""Forms for one task: editing an occurrence, releasing it, assigning someone."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

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


class ReleaseForm(FlaskForm):
    note = StringField(
        "Anything to pass on? (optional)",
        validators=[Length(max=500, message="Keep the note under 500 characters."), PlainText()],
        description="For example: “Sorry, my shift changed.” Coordinators see this.",
    )


class AssignForm(FlaskForm):
    user_id = SelectField("Sign someone up", coerce=row_id, validate_choice=False)
