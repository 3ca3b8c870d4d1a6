"""Signing in without a password: a six-digit code by text, or a link by email.

Codes last ten minutes, work once and die after five wrong guesses. Asking for
a code gives the same answer whether or not the number or email is known.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import render_template
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.errors import Expired, Invalid
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.sign_in_codes import SignInCode
from coordinator.services.health.activity import activity_record
from coordinator.services.people.accounts import email_normalise
from coordinator.services.people.phones import phone_parse
from coordinator.services.same_work import insert_for_user
from coordinator.services.texting.messages import message_queue
from coordinator.tokens import token_hash, token_new
from coordinator.urls import public_url

CODE_TTL = timedelta(minutes=10)
MAX_GUESSES = 5
WRONG = "That code didn't work. Check the digits, or ask for a new code."


def contact_normalise(raw: str, *, region: str) -> tuple[str, str]:
    """("sms", "+12025550110") or ("email", "sam@example.org") from what someone typed."""
    text = (raw or "").strip()
    if "@" in text:
        return "email", email_normalise(text)
    return "sms", phone_parse(text, region=region)


def code_send(*, contact: str, region: str) -> tuple[str, str]:
    """Read what someone typed (a number or an email), send it a code or link if it is known; (channel, contact).

    A problem reading it is named on the one box they typed it in (`contact`).
    """
    try:
        channel, normal = contact_normalise(contact, region=region)
    except Invalid as error:
        raise Invalid(error.message, field="contact") from None
    code_request(channel=channel, contact=normal)
    return channel, normal


def _user_for(channel: str, contact: str) -> User | None:
    column = User.phone if channel == "sms" else User.email
    return db.session.scalar(select(User).where(column == contact))


def code_request(*, channel: str, contact: str) -> None:
    """Send a code (text) or link (email) if someone has this contact; do nothing visible otherwise.

    The same work either way (services/same_work.py): a secret is made and hashed, and the code
    and its message are INSERT ... SELECTs that write nothing when nobody has the contact.
    """
    user = _user_for(channel, contact)
    wanted = user is not None and not (channel == "sms" and user.sms_opted_out_at is not None)  # STOP wins
    user_id = user.id if wanted else None
    if channel == "sms":
        secret = f"{secrets.randbelow(1_000_000):06d}"
        hashed = token_hash(f"{user_id or 0}:{secret}")
        body, subject = render_template("sms/sign_in_code.txt", code=secret).strip(), ""
    else:
        secret = token_new()
        hashed = token_hash(secret)
        url = public_url("codes.link", token=secret)
        body = render_template("email/sign_in_link.txt", first_name=user.first_name if user else "", url=url).strip()
        subject = "Your Coordinator sign-in link"
    expires = now() + CODE_TTL
    code = {"user_id": user_id, "channel": channel, "secret_hash": hashed, "expires_at": expires, "attempts": 0}
    db.session.execute(insert_for_user(SignInCode, code | {"created_at": now()}, user_id=user_id))
    message_queue(
        channel=channel,
        to_address=contact,
        kind="sign_in_code",
        key=f"sign-in-code:{hashed}",
        body=body,
        subject=subject,
        user_id=user_id,
        send_by=expires,
        only_to_a_user=True,
    )


def code_verify(*, channel: str, contact: str, code: str) -> User:
    """The user a live code belongs to; Invalid (same message every time) otherwise."""
    digits = "".join(ch for ch in code or "" if ch.isascii() and ch.isdigit())
    user = _user_for(channel, contact)
    if user is None:
        raise Invalid(WRONG, field="code")
    if len(digits) != 6:
        raise _wrong_code(user)
    live = db.session.scalar(
        select(SignInCode)
        .where(
            SignInCode.user_id == user.id,
            SignInCode.channel == channel,
            SignInCode.used_at.is_(None),
            SignInCode.expires_at > now(),
        )
        .order_by(SignInCode.created_at.desc())
    )
    if live is None or live.attempts >= MAX_GUESSES:
        raise _wrong_code(user)
    if not secrets.compare_digest(live.secret_hash, token_hash(f"{user.id}:{digits}")):
        db.session.execute(update(SignInCode).where(SignInCode.id == live.id).values(attempts=SignInCode.attempts + 1))
        raise _wrong_code(user)
    _use(live)
    return user


def _wrong_code(user: User) -> Invalid:
    """A wrong code for a real account goes in its owner's security history (the view keeps the guess)."""
    activity_record(kind="account.sign_in_failed", subject_id=user.id, data={"method": "code"})
    return Invalid(WRONG, field="code")


def link_user(*, token: str) -> User:
    """The user an emailed sign-in link belongs to; it works once."""
    if not token or len(token) > 100:
        raise Expired("This sign-in link has expired or was used. Ask for a new one.")
    code = db.session.scalar(
        select(SignInCode).where(
            SignInCode.secret_hash == token_hash(token),
            SignInCode.channel == "email",
            SignInCode.used_at.is_(None),
            SignInCode.expires_at > now(),
        )
    )
    if code is None:
        raise Expired("This sign-in link has expired or was used. Ask for a new one.")
    _use(code)
    return code.user


def _use(code: SignInCode) -> None:
    used = db.session.execute(
        update(SignInCode)
        .where(SignInCode.id == code.id, SignInCode.used_at.is_(None))
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise Expired("That code was already used. Ask for a new one.")
