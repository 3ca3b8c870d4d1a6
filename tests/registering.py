"""Registering as a person does it: the form, then the link from the email in the outbox, then a password."""

from __future__ import annotations

import re

from tests.sms import outbox


def emailed_link(address: str) -> str:
    """The "finish signing up" link in the one email queued to `address`."""
    (message,) = outbox(to=address, kind="registration")
    return re.search(r"http://localhost(/register/finish/\S+)", message.body).group(1)


def register(client, *, name: str, email: str, password: str, url: str = "/register"):
    """Both steps of registering through the real forms; the answer to the password's POST."""
    sent = client.post(url, {"name": name, "email": email})
    assert sent.status_code == 302, sent.status_code
    return client.post(emailed_link(email.strip().lower()), {"password": password})
