"""Text messaging: gateways that talk to a provider, and the words supporters text back.

A gateway sends one text and says what happened in terms the dispatcher can
act on safely: accepted (with the provider's id), certainly not accepted
(`Retryable`: try again later), maybe accepted (`Ambiguous`: ask the provider
before ever sending again), or refused for good (`Permanent`, with the code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str = "sent"


@dataclass(frozen=True)
class ProviderMessage:
    """A message the provider says it has, for reconciling ones we're unsure about."""

    provider_id: str
    to: str
    body: str
    created_at: datetime | None
    status: str


class GatewayError(Exception):
    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.code = code


class Retryable(GatewayError):
    """The provider certainly did not take the message (connection refused, 429): safe to retry."""


class Ambiguous(GatewayError):
    """The provider may have taken it (timeout, 5xx): never resend before reconciling."""


class Permanent(GatewayError):
    """The provider refused it for good (e.g. 21211 invalid number, 21610 unsubscribed)."""


class SmsGateway(Protocol):
    name: str

    def send(self, *, to: str, body: str) -> SendResult: ...

    def sent_to(self, *, to: str, since: datetime) -> list[ProviderMessage]: ...


def sms_gateway() -> SmsGateway:
    """The app's gateway, built from config on first use (never at import)."""
    existing = current_app.extensions.get("sms_gateway")
    if existing is not None:
        return existing
    backend = current_app.config["SMS_BACKEND"]
    if backend == "console":
        from coordinator.sms.console import ConsoleGateway

        gateway: SmsGateway = ConsoleGateway()
    elif backend == "twilio":
        from coordinator.sms.twilio_gateway import TwilioGateway

        gateway = TwilioGateway.from_config(current_app.config)
    else:
        raise RuntimeError(f"SMS_BACKEND must be 'console' or 'twilio', not {backend!r}")
    current_app.extensions["sms_gateway"] = gateway
    return gateway
