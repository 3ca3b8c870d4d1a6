"""Outgoing messages (texts and emails) as rows.

Every message is written in the same transaction as the change that caused
it, with an idempotency key so the same reminder or notice is never queued
twice. A separate dispatcher delivers due rows and records what happened.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.accounts import User
from coordinator.models.base import Base, UTCDateTime, status_check

CHANNELS = ("sms", "email")


class MessageStatus(StrEnum):
    """Stored as these strings: the life of one outgoing text or email (services/texting/dispatch.py)."""

    PENDING = "pending"  # waiting for its due time
    SENDING = "sending"  # a dispatcher has it right now
    SENT = "sent"  # the provider took it
    DELIVERED = "delivered"  # the phone got it (from the provider's receipt)
    FAILED = "failed"  # given up on
    UNDELIVERED = "undelivered"  # the provider could not get it to the phone
    CANCELLED = "cancelled"  # no longer needed (the task was cancelled, the person left, ...)
    UNKNOWN = "unknown"  # maybe sent: ask the provider before ever sending again


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"channel IN {CHANNELS!r}", name="known_channel"),
        status_check(MessageStatus),
        Index("ix_messages_status_due_at", "status", "due_at"),
        Index("ix_messages_circle_id_created_at", "circle_id", "created_at"),
        Index("ix_messages_task_id", "task_id"),
        Index("ix_messages_user_id_kind_created_at", "user_id", "kind", "created_at"),
        Index("ix_messages_to_address_created_at", "to_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    send_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str] = mapped_column(String(300), default="")
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
