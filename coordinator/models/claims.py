"""Claims: a person holding one spot on a task.

A task with capacity 3 has at most three claims that are held or done; the
database enforces it twice over: `tasks.claimed` may never pass `capacity`,
and a person can hold a given task only once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.accounts import User
from coordinator.models.base import Base, UTCDateTime, status_check
from coordinator.models.needs import Task


class ClaimStatus(StrEnum):
    """Stored as these strings. Held and done claims take up a spot; a released one is given back."""

    HELD = "held"
    RELEASED = "released"
    DONE = "done"


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        status_check(ClaimStatus),
        Index(
            "uq_claims_one_live_claim_per_person",
            "task_id",
            "user_id",
            unique=True,
            sqlite_where=text(f"status <> '{ClaimStatus.RELEASED.value}'"),
            postgresql_where=text(f"status <> '{ClaimStatus.RELEASED.value}'"),
        ),
        Index("ix_claims_user_id_status", "user_id", "status"),
        Index("ix_claims_task_id_status", "task_id", "status"),
        Index("ix_claims_circle_id_created_at", "circle_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.HELD)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    release_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # replied OK to the check-in
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the patient's thank-you went out

    task: Mapped[Task] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def live(self) -> bool:
        return self.status != ClaimStatus.RELEASED
