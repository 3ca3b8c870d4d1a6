"""Forms for reopening a quiet circle: who to ask and what to say, the patient's yes, and each person's answer.

The pages write their own checkboxes and buttons; these read what they send. Whether the
choice is allowed (a former supporter of this circle, a message that isn't empty) is
services/health/reopen.py's to say.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField

from coordinator.forms.fields import ROW_ID_MAX


class ChosenIds(Field):
    """Ticked boxes that each carry an id; a value that can't be one is ignored (it was never on the page)."""

    def process_formdata(self, valuelist):
        digits = [v for v in valuelist if v.isascii() and v.isdigit() and len(v) <= len(str(ROW_ID_MAX))]
        self.data = sorted({int(v) for v in digits if 0 < int(v) <= ROW_ID_MAX})


class ReopenForm(FlaskForm):
    member_ids = ChosenIds()
    message = TextAreaField()  # left out of the POST: the suggested words the form was made with


class ReopenReviewForm(FlaskForm):
    decision = StringField()  # "send"; anything else withdraws it


class ReopenAnswerForm(FlaskForm):
    answer = StringField()  # "yes"; anything else is a no
