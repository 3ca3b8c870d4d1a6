"""Forms for inviting people, joining, signing in with a code, and supporter preferences."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from coordinator.categories import CATEGORIES
from coordinator.forms.circles import ZoneField
from coordinator.forms.fields import NumberInput, TimeInput
from coordinator.services.texting.reminders import LEAD_CHOICES

_name = [Length(max=120, message="Keep the name under 120 characters.")]


class InviteForm(FlaskForm):
    name = StringField("Their name", validators=_name, render_kw={"autocomplete": "off"})
    phone = StringField(
        "Mobile number",
        validators=[Length(max=40, message="That number is too long.")],
        render_kw={"type": "tel", "autocomplete": "off", "inputmode": "tel"},
        description="We'll text them the invitation. Or leave empty and give an email.",
    )
    email = StringField(
        "Email (optional)", validators=[Length(max=254, message="That email is too long.")], render_kw={"type": "email"}
    )
    message = TextAreaField(
        "Your message",
        validators=[Length(max=600, message="Keep the message under 600 characters.")],
        description="Sent with your name and the circle's name, and the link to join.",
    )


class InviteManyForm(FlaskForm):
    people = TextAreaField(
        "Several people at once",
        validators=[Length(max=20_000, message="That's a lot; use the import page for long lists.")],
        description="One person per line: name, then mobile number or email. For example: Sam Carter, 202-555-0110",
    )
    message = TextAreaField(  # its own id: the single-invite form on the same page has a "message" too
        "Your message", id="many_message", validators=[Length(max=600, message="Keep the message under 600 characters.")]
    )


class JoinForm(FlaskForm):
    name = StringField("Your name", validators=_name, render_kw={"autocomplete": "name"})
    phone = StringField(
        "Mobile number",
        validators=[Length(max=40, message="That number is too long.")],
        render_kw={"type": "tel", "autocomplete": "tel", "inputmode": "tel"},
    )
    email = StringField(
        "Email (optional)",
        validators=[Length(max=254, message="That email is too long.")],
        render_kw={"type": "email", "autocomplete": "email"},
    )
    consent = BooleanField(
        "Yes, text me about ways to help (a few a week at most; reply STOP any time)",
    )
    join = StringField()  # the page writes it ("1"): this POST joins; the bare "sign in first" POST has none


class DecideForm(FlaskForm):
    """Letting someone in, or not: the button's page says where to go back to (`people`, `home`)."""

    back = StringField()  # written by the page itself, so not a HiddenField (hidden_tag would write it twice)


class CodeRequestForm(FlaskForm):
    contact = StringField(
        "Your mobile number or email",
        validators=[Length(max=254, message="That's too long.")],
        render_kw={"autocomplete": "username"},
    )


class CodeVerifyForm(FlaskForm):
    code = StringField(
        "The 6-digit code we texted you",
        validators=[Length(max=20, message="Enter the 6 digits.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


def _multi(label: str, choices: list[SelectChoice], description: str = "") -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=choices,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
        description=description,
    )


class PreferencesForm(FlaskForm):
    categories = _multi(
        "I'm glad to help with",
        [SelectChoice(key, c.label) for key, c in CATEGORIES.items()],
        "Leave all empty if anything is fine.",
    )
    asks_per_week = NumberInput("Ask me at most this many times a week", minimum=0, maximum=14)
    reminder_leads = _multi(
        "Remind me before tasks I've taken",
        [SelectChoice(key, label) for key, label in LEAD_CHOICES.items()],
        "Leave all empty for no reminders.",
    )
    timezone = ZoneField("My time zone", other_label="Not in the list? Type a city near you instead")
    quiet_start = TimeInput("Quiet from")
    quiet_end = TimeInput("Quiet until")
    sms_enabled = BooleanField("Texts")
    email_enabled = BooleanField("Email")
