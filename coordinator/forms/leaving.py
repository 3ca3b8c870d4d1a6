"""Forms for leaving: deleting one's account (with the password, when there is one) and closing a circle.

Only shapes are read here; who may do it and what follows is services/people/leaving.py and closing.py.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField
from wtforms.validators import DataRequired, InputRequired, Length

from coordinator.services.people.accounts import PASSWORD_MAX_LENGTH


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        description="To be sure it's you.",
        validators=[
            DataRequired("Enter your password."),
            Length(max=PASSWORD_MAX_LENGTH, message=f"Use at most {PASSWORD_MAX_LENGTH} characters."),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class CloseCircleForm(FlaskForm):
    grace_days = RadioField(
        "How long should we keep it before deleting it?",
        description="Until then you can change your mind and keep the circle.",
        coerce=int,
        validators=[InputRequired("Choose how long to keep it.")],
        validate_choice=False,  # the service says which choices are allowed, by the field
    )

    def offer(self, days: list[int], default: int) -> None:
        """The choices, in words ("A week", "30 days"), the host's default ticked on a fresh page."""
        self.grace_days.choices = [(d, _in_words(d)) for d in days]
        if not self.is_submitted():
            self.grace_days.data = default


def _in_words(days: int) -> str:
    return {7: "A week", 90: "Three months"}.get(days, f"{days} days")
