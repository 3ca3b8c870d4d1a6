"""Sending email through a small, swappable mailer.

`console` (the default) prints each email, so `make run` needs no mail server;
`smtp` talks to a real server. The mailer is built on first use, never at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


def mailer() -> Mailer:
    """The app's mailer, built from config the first time it is needed."""
    existing = current_app.extensions.get("mailer")
    if existing is not None:
        return existing
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "console":
        from coordinator.mail.console import ConsoleMailer

        built: Mailer = ConsoleMailer(sender=current_app.config["MAIL_FROM"])
    elif backend == "smtp":
        from coordinator.mail.smtp import SmtpMailer

        built = SmtpMailer.from_config(current_app.config)
    else:
        raise RuntimeError(f"MAIL_BACKEND must be 'console' or 'smtp', not {backend!r}")
    current_app.extensions["mailer"] = built
    return built


def mail_send(email: Email) -> None:
    mailer().send(email)
