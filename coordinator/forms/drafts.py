"""The form a coordinator confirms a texted request with: a title, a date and a time, nothing more."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from coordinator.forms.fields import DateInput, TimeInput


class DraftForm(FlaskForm):
    title = StringField("What's needed", validators=[Length(max=120, message="Keep the title under 120 characters.")])
    start_date = DateInput("Date")
    start_time = TimeInput("From")
    end_time = TimeInput("Until", description="Leave empty for an hour.")
    anytime = BooleanField("Any time up to that day")
