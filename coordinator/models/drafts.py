"""Draft needs: what the patient texted in answer to a check-in, waiting for a coordinator.

"RIDE TUE 9" becomes a draft a coordinator confirms with one tap, so the
patient never has to ask twice or fill in a form.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.accounts import User
from coordinator.models.base import Base, UTCDateTime, status_check


class DraftStatus(StrEnum):
    """Stored as these strings: waiting for a coordinator, posted as a need, or dismissed."""

    PENDING = "pending"
    POSTED = "posted"
    DISMISSED = "dismissed"


class NeedDraft(Base):
    __tablename__ = "need_drafts"
    __table_args__ = (status_check(DraftStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), default="other")
    day: Mapped[date | None] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(10), default=DraftStatus.PENDING)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    from_user: Mapped[User | None] = relationship()
