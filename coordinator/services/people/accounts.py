"""Accounts: registering, checking passwords, changing and resetting them.

Passwords are hashed with argon2id. Failed sign-ins give the same answer, in
about the same time, whether or not the email is known, so the sign-in form
cannot be used to find out who has an account.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.errors import Expired, Invalid
from coordinator.extensions import db
from coordinator.models.accounts import PasswordReset, User
from coordinator.models.activity import Event
from coordinator.services.health.activity import activity_record
from coordinator.services.people.sessions import sessions_end_all
from coordinator.services.same_work import insert_for_user
from coordinator.services.texting.messages import message_queue
from coordinator.tokens import token_hash, token_new
from coordinator.urls import public_url

PASSWORD_MAX_LENGTH = 256
WRONG_CREDENTIALS = "Those details don't match an account. Check both and try again, or sign in with a code."


def _hasher() -> PasswordHasher:
    config = current_app.config
    hasher = current_app.extensions.get("password_hasher")
    if hasher is None:
        hasher = PasswordHasher(
            time_cost=config["ARGON2_TIME_COST"],
            memory_cost=config["ARGON2_MEMORY_COST"],
            parallelism=config["ARGON2_PARALLELISM"],
        )
        current_app.extensions["password_hasher"] = hasher
    return hasher


def email_normalise(raw: str) -> str:
    """A valid email address in the form we store it (lowercase), or Invalid."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise Invalid("Enter an email address like name@example.com.", field="email") from None
    return result.normalized.lower()


def password_check(password: str, *, email: str | None, name: str | None = None) -> None:
    """Refuse passwords that are too short, too long, or just the person's email or name."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise Invalid(f"Use at least {minimum} characters.", field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid(f"Use at most {PASSWORD_MAX_LENGTH} characters.", field="password")
    lowered = password.strip().lower()
    if lowered in {(email or "").lower(), (name or "").strip().lower()} or len(set(password)) < 3:
        raise Invalid("That password is too easy to guess. Try a short phrase.", field="password")


def password_hash(password: str) -> str:
    return _hasher().hash(password)


def account_register(*, name: str, email: str, password: str) -> User:
    name = " ".join(name.split())
    if not name:
        raise Invalid("Tell us your name.", field="name")
    address = email_normalise(email)
    password_check(password, email=address, name=name)
    if db.session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Invalid("That email already has an account. Sign in, or reset your password.", field="email")
    user = User(name=name, email=address, password_hash=password_hash(password))
    db.session.add(user)
    db.session.flush()
    activity_record(kind="account.registered", actor_id=user.id, subject_id=user.id)
    return user


def _user_by_login(identifier: str) -> User | None:
    """Find an account by email, or by mobile number for people who joined by text."""
    from coordinator.services.people.phones import phone_parse

    try:
        if "@" in identifier:
            return db.session.scalar(select(User).where(User.email == email_normalise(identifier)))
        number = phone_parse(identifier, region=current_app.config["DEFAULT_PHONE_REGION"])
    except Invalid:
        return None
    return db.session.scalar(select(User).where(User.phone == number))


def account_authenticate(*, email: str, password: str) -> User:
    """The user with this email (or mobile number) and password; Invalid with one message for every failure.

    A failure for an existing account is recorded for its owner to see; the view keeps it (refusals keep=True).
    """
    user = _user_by_login(email or "")
    if user is None or not user.password_hash:
        _hasher().hash(password[:PASSWORD_MAX_LENGTH])  # spend the same time as a real check
        _sign_in_failed(user)  # the same statement for nobody, so this answers in the same time too
        raise Invalid(WRONG_CREDENTIALS)
    try:
        _hasher().verify(user.password_hash, password[:PASSWORD_MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        _sign_in_failed(user)
        raise Invalid(WRONG_CREDENTIALS) from None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = password_hash(password)
    return user


def _sign_in_failed(user: User | None) -> None:
    """A wrong password for a real account goes in its owner's security history (the caller keeps it).

    One INSERT ... SELECT whether or not there is an account (services/same_work.py): it writes nothing
    for nobody, so a stranger can't tell a known email by a slower answer.
    """
    user_id = user.id if user is not None else None
    values = {
        "kind": "account.sign_in_failed",
        "subject_id": user_id or 0,
        "data": {"method": "password"},
        "occurred_at": now(),
    }
    db.session.execute(insert_for_user(Event, values, user_id=user_id))


def password_set(*, user: User, new_password: str) -> None:
    """For people who joined without one: add a password (optional; codes keep working)."""
    if user.password_hash:
        raise Invalid("You already have a password; change it below.", field="password")
    password_check(new_password, email=user.email, name=user.name)
    user.password_hash = password_hash(new_password)
    user.password_changed_at = now()
    sessions_end_all(user=user, keep_token=user.session_token)
    activity_record(kind="account.password_changed", actor_id=user.id, subject_id=user.id)


def password_change(*, user: User, current_password: str, new_password: str) -> None:
    """Change the password and end every other session of this user."""
    try:
        _hasher().verify(user.password_hash or "", current_password[:PASSWORD_MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        raise Invalid("That isn't your current password.", field="current_password") from None
    password_check(new_password, email=user.email, name=user.name)
    user.password_hash = password_hash(new_password)
    user.password_changed_at = now()
    sessions_end_all(user=user, keep_token=user.session_token)
    activity_record(kind="account.password_changed", actor_id=user.id, subject_id=user.id)


@dataclass(frozen=True)
class ResetLink:
    user: User
    token: str


def password_reset_request(*, email: str) -> ResetLink | None:
    """Queue an email with a reset link for the account with this email; None if there is none.

    The caller shows the same message either way, and the work is the same either way
    (services/same_work.py): a token is made and hashed, and the reset and its email are
    INSERT ... SELECTs that write nothing when nobody has the address. The email is a
    message row like every other, written with the token, so a mail server that is down loses nothing.
    """
    try:
        address = email_normalise(email)
    except Invalid:
        return None
    user = db.session.scalar(select(User).where(User.email == address))
    user_id = user.id if user else None
    token = token_new()
    expires = now() + current_app.config["PASSWORD_RESET_TTL"]
    reset = {"user_id": user_id, "token_hash": token_hash(token), "created_at": now(), "expires_at": expires}
    db.session.execute(insert_for_user(PasswordReset, reset, user_id=user_id))
    url = public_url("accounts.reset_password", token=token)
    message_queue(
        channel="email",
        to_address=address,
        kind="password_reset",
        key=f"password-reset:{reset['token_hash']}",
        subject="Reset your Coordinator password",
        body=render_template("email/password_reset.txt", first_name=user.first_name if user else "", url=url),
        user_id=user_id,
        send_by=expires,
        only_to_a_user=True,
    )
    return ResetLink(user=user, token=token) if user else None


def password_reset_lookup(*, token: str) -> PasswordReset:
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= now():
        raise Expired("This reset link has expired or was already used. Ask for a new one.")
    return reset


def password_reset_complete(*, token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link works once and every session ends."""
    reset = password_reset_lookup(token=token)
    user = reset.user
    password_check(new_password, email=user.email, name=user.name)
    claimed = db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.id == reset.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now(),
        )
        .values(used_at=now())
    ).rowcount
    if claimed != 1:
        raise Expired("This reset link has expired or was already used. Ask for a new one.")
    # One reset link in use means the others for this account are stale too.
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now())
    )
    user.password_hash = password_hash(new_password)
    user.password_changed_at = now()
    sessions_end_all(user=user)
    activity_record(kind="account.password_reset", actor_id=user.id, subject_id=user.id)
    return user
