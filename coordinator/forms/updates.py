"""Forms about updates: writing one (words, who reads it, photos), a note back, and the patient's choices.

Only shapes are read here; what is allowed (length, audience, how many photos) is
services/updates/'s rule, so a refusal comes back next to the field it concerns.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from coordinator.models.updates import Audience, NotesBy, UpdatesBy


def _photo_id(value: object) -> int:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else 0  # 0: no photo has it


class UpdateForm(FlaskForm):
    body = TextAreaField(
        "What would you like to tell people?",
        description="Plain words; links become clickable. Leave out anything you'd rather not share.",
    )
    audience = RadioField(
        "Who can read it",
        choices=[
            SelectChoice(Audience.CIRCLE, "Everyone in the circle"),
            SelectChoice(Audience.INNER, "Only the inner circle"),
        ],
        default=Audience.CIRCLE,
        validate_choice=False,
    )
    photos = MultipleFileField(
        "Photos (optional)",
        description="Up to 4, from your phone's camera or gallery. Location and camera details are removed.",
    )
    # Editing: the photos to take out, one checkbox each on the page (drawn by the template, named remove_photo).
    remove_photo = SelectMultipleField(coerce=_photo_id, validate_choice=False)


class LoveForm(FlaskForm):
    back = StringField()  # the page of the list it was sent from, to go back to; empty: the update's own page


class NoteChoiceForm(FlaskForm):
    update = StringField()  # the update whose page it was hidden from, to go back to; empty: the notes page


class NoteForm(FlaskForm):
    body = TextAreaField("Write a note", description="A few words are plenty. It goes to the patient and coordinators.")


class UpdateSettingsForm(FlaskForm):
    need_approval = BooleanField("Coordinators' updates wait for my OK before anyone sees them")
    email_full = BooleanField("Emails carry the whole update (otherwise only a link)")
    notes_shared = BooleanField("Supporters can read each other's notes to me")


UPDATES_BY_CHOICES = [
    SelectChoice(UpdatesBy.TEXT, "A text with a link (at most one a day)"),
    SelectChoice(UpdatesBy.EMAIL, "An email for each update"),
    SelectChoice(UpdatesBy.WEEKLY, "Once a week, in the Sunday summary"),
    SelectChoice(UpdatesBy.NONE, "Don't tell me; I'll look when I visit"),
]
NOTES_BY_CHOICES = [
    SelectChoice(NotesBy.TEXT, "One text a day when there are new notes"),
    SelectChoice(NotesBy.EMAIL, "One email a day when there are new notes"),
    SelectChoice(NotesBy.NONE, "Don't tell me; I'll look when I visit"),
]
