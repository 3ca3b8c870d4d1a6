"""People who can sign in, their sign-in sessions, and password reset links.

A person may have an email and password (patients, coordinators) or only a
mobile number (supporters, who never need a password). Sessions are rows so
signing out, changing a password or removing someone ends them server-side:
a copied cookie stops working at its next request.
"""

from __future__ import annotations

from datetime import datetime, time

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.base import Base, UTCDateTime


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # A deleted account keeps its row (so the circle's history still adds up) but no way to reach anyone.
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL", name="has_contact"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How this person wants to be reached. Quiet hours are in their own zone
    # (empty: the zone of their first circle); empty quiet hours mean "not chosen":
    # the host's SMS_DEFAULT_QUIET_START/END apply.
    timezone: Mapped[str | None] = mapped_column(String(64))
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # When to remind before a task held: "day_before" (an evening check-in), "2h", "30m".
    reminder_leads: Mapped[list] = mapped_column(JSON, default=lambda: ["day_before", "2h"])
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # replied STOP
    phone_unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # carrier said no
    # Set when the person deleted their account: name, contacts and password are erased then.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", passive_deletes=True)

    # Set when a request is authenticated: the token of the session in use.
    # Flask-Login stores get_id() in the cookie, so the cookie names a session
    # row rather than the user, and revoking the row signs the cookie out.
    session_token = None  # type: str | None

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("User has no active session token")
        return self.session_token

    @property
    def can_text(self) -> bool:
        """Whether the service may text this person at all right now."""
        return bool(
            self.phone and self.sms_enabled and self.sms_opted_out_at is None and self.phone_unreachable_at is None
        )

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(Base):
    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_revoked_at", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(20))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="sessions")


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
