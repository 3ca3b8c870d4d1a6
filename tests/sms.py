"""Helpers for texting tests: signed Twilio webhooks, and a conversation script runner."""

from __future__ import annotations

import itertools
import re
from xml.etree import ElementTree

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from coordinator.extensions import db
from coordinator.models import Message

TOKEN = "test-auth-token"
BASE = "https://care.example.org"
SMS_SETTINGS = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32}
_sids = itertools.count(1)


def signed_post(client, path: str, params: dict, *, token: str = TOKEN, signature: str | None = None):
    sig = signature if signature is not None else RequestValidator(token).compute_signature(BASE + path, params)
    raw = getattr(client, "raw", client)  # no CSRF token: Twilio sends exactly these fields
    return raw.post(path, data=params, headers={"X-Twilio-Signature": sig})


def text_in(client, from_number: str, body: str, *, sid: str | None = None) -> str:
    """Send an inbound text through the real webhook; returns the reply text ("" for none)."""
    response = signed_post(
        client,
        "/sms/inbound",
        {"MessageSid": sid or f"SM{next(_sids):032d}", "From": from_number, "To": "+15005550006", "Body": body},
    )
    assert response.status_code == 200, response.status_code
    root = ElementTree.fromstring(response.get_data(as_text=True))
    return " ".join(m.text or "" for m in root.iter("Message"))


def outbox(to: str | None = None, kind: str | None = None) -> list[Message]:
    query = select(Message).order_by(Message.id)
    if to:
        query = query.where(Message.to_address == to)
    if kind:
        query = query.where(Message.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(query))


def code_in(text: str) -> int:
    return int(re.search(r"(?:TAKE|OK|DROP) (\d+)", text).group(1))
