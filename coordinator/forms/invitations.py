"""Forms for inviting people, joining, deciding who may join, and signing in with a code."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

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
        "Your message",
        id="many_message",
        validators=[Length(max=600, message="Keep the message under 600 characters.")],
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
