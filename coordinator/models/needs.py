"""Needs and the tasks they become.

A need is what the patient asked for: a ride to chemo every Tuesday, a meal on
Friday. Each need becomes one task per occurrence, and tasks are what people
take. A task's number is its short code in text messages ("TAKE 42").

Times are stored as the wall time people typed plus the circle's IANA zone;
the UTC moments beside them are computed (see coordinator.clock) and indexed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.base import Base, UTCDateTime, status_check
from coordinator.models.circles import Circle

VISIBILITIES = ("circle", "inner")
CAPACITY_MAX = 50


class TaskStatus(StrEnum):
    """Stored as these strings. A task is open until it is cancelled; being taken or done lives on its claims."""

    OPEN = "open"
    CANCELLED = "cancelled"


class Need(Base):
    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint(f"visibility IN {VISIBILITIES!r}", name="known_visibility"),
        CheckConstraint(f"capacity BETWEEN 1 AND {CAPACITY_MAX}", name="capacity_range"),
        Index("ix_needs_circle_id_cancelled_at", "circle_id", "cancelled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str] = mapped_column(String(500), default="")
    visibility: Mapped[str] = mapped_column(String(10), default="circle")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    # When: a date with start and end times, or "any time before" the date (anytime).
    anytime: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    fold: Mapped[int | None] = mapped_column(SmallInteger)
    timezone: Mapped[str] = mapped_column(String(64))
    # RFC 5545 recurrence (RRULE value, without DTSTART); empty for a one-off need.
    rrule: Mapped[str] = mapped_column(String(200), default="")
    generated_until: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Made from a treatment plan (models/plans.py): the plan, and the treatment day it hangs on (if any).
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"), index=True)
    plan_day_id: Mapped[int | None] = mapped_column(ForeignKey("plan_days.id", ondelete="SET NULL"), index=True)
    plan_rule_id: Mapped[int | None] = mapped_column(ForeignKey("plan_rules.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    circle: Mapped[Circle] = relationship()
    tasks: Mapped[list[Task]] = relationship(back_populates="need", order_by="Task.starts_at")

    @property
    def recurring(self) -> bool:
        return bool(self.rrule)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        status_check(TaskStatus),
        CheckConstraint(f"capacity BETWEEN 1 AND {CAPACITY_MAX}", name="capacity_range"),
        CheckConstraint("claimed >= 0 AND claimed <= capacity", name="claimed_within_capacity"),
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        UniqueConstraint("need_id", "series_date"),
        Index("ix_tasks_circle_id_starts_at", "circle_id", "starts_at"),
        Index("ix_tasks_circle_id_status_starts_at", "circle_id", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    # The occurrence of the series this task is (stable even if the task is moved).
    series_date: Mapped[date] = mapped_column(Date)
    local_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64))
    anytime: Mapped[bool] = mapped_column(Boolean, default=False)
    # For "any time before" tasks both are the deadline.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default=TaskStatus.OPEN)
    notes: Mapped[str | None] = mapped_column(Text)  # this occurrence only; None: the need's notes
    detached: Mapped[bool] = mapped_column(Boolean, default=False)  # edited alone; series edits skip it
    # The escalation ladder for an open task: 0 nobody asked yet, 1 the best few,
    # 2 the wider circle, 3 coordinators alerted, 4 the backup coordinator alerted.
    ask_stage: Mapped[int] = mapped_column(SmallInteger, default=0)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a coordinator acted on the alert
    covered_elsewhere_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "we've got it another way"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    need: Mapped[Need] = relationship(back_populates="tasks")

    @property
    def code(self) -> str:
        """The short code people text back ("TAKE 42"): the task's number."""
        return str(self.id)

    @property
    def open_spots(self) -> int:
        return max(self.capacity - self.claimed, 0)

    @property
    def cancelled(self) -> bool:
        return self.status == TaskStatus.CANCELLED

    @property
    def started(self) -> bool:
        """Help can be marked done once the task has begun (an "any time before" task, any time)."""
        return self.anytime or self.starts_at <= now()
