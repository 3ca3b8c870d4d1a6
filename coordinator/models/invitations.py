"""Invitations into a circle, and requests to join through a shared link.

A personal invitation goes to one person by text or email and works once. A
shared link can be passed around (a family group chat), so every joiner
through it waits for a coordinator's approval. Tokens are stored only as
SHA-256 hashes; the database refuses two live invitations to one number or
address in a circle, so re-inviting reuses the live one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.accounts import User
from coordinator.models.base import Base, UTCDateTime, status_check
from coordinator.models.circles import Circle

PERSONAL = "personal"
SHARED_LINK = "link"
INVITATION_KINDS = (PERSONAL, SHARED_LINK)


class InvitationStatus(StrEnum):
    """Stored as these strings. Only a pending invitation (before its date) lets anyone in."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    DECLINED = "declined"
    EXPIRED = "expired"


class JoinRequestStatus(StrEnum):
    """Stored as these strings: waiting for a coordinator, let in, or declined."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class ReopeningStatus(StrEnum):
    """Stored as these strings: the patient has not approved the message yet, it went out, or it was withdrawn."""

    AWAITING_PATIENT = "awaiting_patient"
    SENT = "sent"
    WITHDRAWN = "withdrawn"


def _live(contact: str) -> str:
    """Where a live (pending) invitation to one number or address must be the only one."""
    return f"status = '{InvitationStatus.PENDING.value}' AND {contact} IS NOT NULL"


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(f"kind IN {INVITATION_KINDS!r}", name="known_kind"),
        status_check(InvitationStatus),
        CheckConstraint("kind = 'link' OR phone IS NOT NULL OR email IS NOT NULL", name="personal_has_contact"),
        Index(
            "uq_invitations_live_phone",
            "circle_id",
            "phone",
            unique=True,
            sqlite_where=text(_live("phone")),
            postgresql_where=text(_live("phone")),
        ),
        Index(
            "uq_invitations_live_email",
            "circle_id",
            "email",
            unique=True,
            sqlite_where=text(_live("email")),
            postgresql_where=text(_live("email")),
        ),
        Index("ix_invitations_circle_id_status", "circle_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    inviter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default=PERSONAL)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text, default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=InvitationStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    circle: Mapped[Circle] = relationship()
    inviter: Mapped[User | None] = relationship(foreign_keys=[inviter_id])

    @property
    def live(self) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at > now()


class JoinRequest(Base):
    """Someone who joined through a shared link, waiting for a coordinator to say yes."""

    __tablename__ = "join_requests"
    __table_args__ = (
        status_check(JoinRequestStatus),
        Index(
            "uq_join_requests_one_pending",
            "circle_id",
            "user_id",
            unique=True,
            sqlite_where=text(f"status = '{JoinRequestStatus.PENDING.value}'"),
            postgresql_where=text(f"status = '{JoinRequestStatus.PENDING.value}'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=JoinRequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    circle: Mapped[Circle] = relationship()


class ImportBatch(Base):
    """An uploaded contact list (CSV or vCard), parsed and waiting for the coordinator to confirm.

    Nothing is sent until they do; `rows` keeps the preview exactly as shown.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Reopening(Base):
    """Asking a quiet circle's former supporters, once, whether they can help this time.

    The patient approves the message before anything is sent.
    """

    __tablename__ = "reopenings"
    __table_args__ = (status_check(ReopeningStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    member_ids: Mapped[list] = mapped_column(JSON, default=list)  # who will be asked
    status: Mapped[str] = mapped_column(String(20), default=ReopeningStatus.AWAITING_PATIENT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReopenAnswer(Base):
    """One former supporter's answer to a reopening: yes (back in) or no (quietly archived)."""

    __tablename__ = "reopen_answers"
    __table_args__ = (
        CheckConstraint("answer IN ('asked', 'yes', 'no')", name="known_answer"),
        UniqueConstraint("reopening_id", "membership_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reopening_id: Mapped[int] = mapped_column(ForeignKey("reopenings.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answer: Mapped[str] = mapped_column(String(10), default="asked")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
