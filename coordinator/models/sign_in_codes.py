"""One-time sign-in codes (by text) and links (by email) for people without passwords.

Valid for ten minutes, used once, hashed at rest, and a code dies after a few
wrong guesses, so a six-digit code cannot be brute-forced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.accounts import User
from coordinator.models.base import Base, UTCDateTime


class SignInCode(Base):
    __tablename__ = "sign_in_codes"
    __table_args__ = (
        CheckConstraint("channel IN ('sms', 'email')", name="known_channel"),
        Index("ix_sign_in_codes_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    # SHA-256 of the emailed token, or of "<user id>:<six digits>" for a texted code.
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
