"""Forms for registering, signing in and managing a password."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, StopValidation

from coordinator.errors import Invalid
from coordinator.services.people.accounts import PASSWORD_MAX_LENGTH, email_normalise

_email = [DataRequired("Enter your email address."), Length(max=254, message="That email is too long.")]
_password = [
    DataRequired("Enter a password."),
    Length(max=PASSWORD_MAX_LENGTH, message=f"Use at most {PASSWORD_MAX_LENGTH} characters."),
]


class RegisterForm(FlaskForm):
    """Step one of registering: who, and where to send the link (the same answer for every email)."""

    name = StringField(
        "Your name",
        validators=[
            DataRequired("Tell us your name."),
            Length(max=120, message="Keep your name under 120 characters."),
        ],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField("Email", validators=_email, render_kw={"autocomplete": "email"})

    def validate_email(self, field) -> None:
        """Checked here too, so a mistyped email is said with a too-long name, not after it is fixed."""
        try:
            email_normalise(field.data or "")
        except Invalid as problem:
            raise StopValidation(problem.message) from None


class RegisterFinishForm(FlaskForm):
    """Step two of registering, from the emailed link: the password."""

    password = PasswordField(
        "Choose a password",
        validators=_password,
        description="At least 10 characters. A short phrase is easy to remember.",
        render_kw={"autocomplete": "new-password"},
    )


class SignInForm(FlaskForm):
    email = StringField(
        "Email or mobile number",
        validators=[DataRequired("Enter your email or mobile number."), Length(max=254, message="That's too long.")],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=_email, render_kw={"autocomplete": "email"})


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=_password, render_kw={"autocomplete": "new-password"})


class SetPasswordForm(FlaskForm):
    password = PasswordField("Choose a password", validators=_password, render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField("New password", validators=_password, render_kw={"autocomplete": "new-password"})


class ConfirmForm(FlaskForm):
    """A button with nothing but the CSRF token (sign out, sign out everywhere)."""
