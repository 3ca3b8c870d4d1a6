"""Texts people send us, numbers that asked us to stop, and receipts that came before their text's id.

Twilio may deliver the same inbound text more than once; its MessageSid is
unique here, so a retried webhook finds the row and gets the same answer
without acting twice. Opt-outs are kept per number, since people who are not
(yet) members can text STOP too.

Twilio may call back about a text before the dispatcher has stored the id Twilio gave it (the callback
and the API's answer race); such a receipt waits in `early_receipts` until the id is stored, then is
applied and removed (services/texting/receipts.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.clock import now
from coordinator.models.base import Base, UTCDateTime


class InboundMessage(Base):
    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    command: Mapped[str] = mapped_column(String(20), default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class PhoneOptOut(Base):
    __tablename__ = "phone_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class EarlyReceipt(Base):
    """A delivery receipt for a message id no row holds yet: kept (the furthest status) until one does."""

    __tablename__ = "early_receipts"

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str] = mapped_column(String(20), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
