"""The console mailer: prints each email to standard output (the development default)."""

from __future__ import annotations

import sys

from coordinator.mail import Email


class ConsoleMailer:
    def __init__(self, *, sender: str, stream=None):
        self.sender = sender
        self.stream = stream

    def send(self, email: Email) -> None:
        stream = self.stream or sys.stdout
        rule = "-" * 60
        print(
            f"{rule}\nEmail from {self.sender}\nTo: {email.to}\nSubject: {email.subject}\n\n{email.body}\n{rule}",
            file=stream,
            flush=True,
        )
