"""Registering in two steps, so the form never says whether an email already has an account.

For this service, "that email already has an account" hints that someone is in
a cancer-support circle. So step one (a name and an email) always answers the
same, and queues one email either way: to a new address, a signed link to
step two (choose a password); to an account's owner, a note that someone tried
to register with it, with a sign-in link and a reset link, and a line in their
security history. The link carries the name, email and where to go next,
signed with the app's SECRET_KEY and good for REGISTER_LINK_TTL; nothing is
stored until the password is chosen, and a link for an email that has an
account by then (a link used twice) says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from coordinator.errors import Conflict, Expired, Invalid, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.services.health.activity import activity_record
from coordinator.services.people.accounts import account_register, email_normalise
from coordinator.services.texting.messages import message_queue
from coordinator.tokens import token_hash
from coordinator.urls import public_url

SALT = "coordinator.registration"
NAME_MAX = 120
ALREADY = "This email already has an account, perhaps from this same link. Sign in to carry on."


@dataclass(frozen=True)
class Registration:
    """What a step-two link says: who is signing up, and where they were headed."""

    name: str
    email: str
    next: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _name_clean(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise Invalid("Tell us your name.", field="name")
    if len(cleaned) > NAME_MAX:
        raise Invalid(f"Keep your name under {NAME_MAX} characters.", field="name")
    return cleaned


def registration_start(*, name: str, email: str, next_url: str = "") -> None:
    """Step one: queue the email that carries on, to a new address or to the account that has it.

    Same answer, same one email, either way; only a malformed name or email is refused.
    """
    problems = Problems.collector()  # a too-long name and a mistyped email, both after one tap
    cleaned = address = ""
    with problems.check():
        cleaned = _name_clean(name)
    with problems.check():
        address = email_normalise(email)
    problems.raise_if_any()
    token = _serializer().dumps({"name": cleaned, "email": address, "next": next_url or ""})
    owner = db.session.scalar(select(User).where(User.email == address))
    if owner is None:
        url = public_url("accounts.register_finish", token=token)
        kind, subject = "registration", "Finish signing up to Coordinator"
        body = render_template("email/registration.txt", first_name=cleaned.split()[0], url=url)
    else:
        kind, subject = "registration_attempted", "Someone tried to sign up with your email"
        body = render_template(
            "email/registration_attempted.txt",
            first_name=owner.first_name,
            sign_in=public_url("accounts.sign_in"),
            forgot=public_url("accounts.forgot_password"),
        )
        activity_record(kind="account.registration_attempted", subject_id=owner.id)
    message_queue(
        channel="email",
        to_address=address,
        kind=kind,
        key=f"{kind}:{token_hash(token)}",
        subject=subject,
        body=body,
        user_id=owner.id if owner else None,
    )


def registration_read(*, token: str) -> Registration:
    """What a step-two link says; Expired when it is old or not ours, Conflict when the email has an account now."""
    try:
        data = _serializer().loads(token or "", max_age=current_app.config["REGISTER_LINK_TTL"].total_seconds())
    except SignatureExpired:
        raise Expired("This link to finish signing up has expired (they work for two hours).") from None
    except BadSignature:
        raise Expired("This link to finish signing up isn't complete or isn't one of ours.") from None
    registration = Registration(name=data["name"], email=data["email"], next=data.get("next") or "")
    if db.session.scalar(select(User.id).where(User.email == registration.email)) is not None:
        raise Conflict(ALREADY)
    return registration


def registration_finish(*, token: str, password: str) -> tuple[User, Registration]:
    """Step two: create the account with the chosen password (account.registered); the link then stops working."""
    registration = registration_read(token=token)
    try:
        user = account_register(name=registration.name, email=registration.email, password=password)
    except Invalid as error:
        if error.field == "email":  # two tabs finishing at once: the other one won
            raise Conflict(ALREADY) from None
        raise
    return user, registration
