"""Checking that a webhook really comes from Twilio.

The signature covers the URL Twilio called and the posted fields. Behind a
TLS-terminating proxy the app sees http://internal-host/..., so the URL is
rebuilt from PUBLIC_BASE_URL (what Twilio called) plus the path.
"""

from __future__ import annotations

from flask import current_app, request
from twilio.request_validator import RequestValidator


def signature_valid() -> bool:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.full_path.rstrip("?")
    posted = getattr(request, "raw_form", request.form)  # as Twilio sent it, before web/security.py cleaned it
    return RequestValidator(token).validate(url, posted.to_dict(), signature)
