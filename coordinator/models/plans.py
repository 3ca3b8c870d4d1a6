"""Treatment plans: the rhythm of treatment a circle can see months ahead, and what help it calls for.

A plan belongs to a circle and keeps the circle's time zone. It holds its treatments (a repeating one:
every 21 days, 6 times; a daily course: weekdays for 5 weeks; one-off appointments), the dated treatment
days they expand into (numbered, so "cycle 3" is one row that can be moved or cancelled), the rules that
turn a treatment day into needs by offset ("meals on days +1 to +3"), and quiet days ("days +1 and +2: no
visitors, meals at the door"). Needs made from a plan point back at it (needs.plan_id, needs.plan_day_id),
so a delay is one edit. The plan is private: only the patient and coordinators see it (and the inner
circle if the patient says so); texts and other supporters only ever hear of "an appointment".
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.base import Base, UTCDateTime, status_check

PLAN_AUDIENCES = ("managers", "inner")
TREATMENT_KINDS = ("repeating", "course", "oneoff")
RULE_PATTERNS = ("offset", "weekly")
RULE_APPLIES = ("repeating", "course", "oneoff", "every")
OFFSET_MIN, OFFSET_MAX = -7, 21


class PlanDayStatus(StrEnum):
    """A treatment day as planned, moved from its first date, or cancelled."""

    PLANNED = "planned"
    MOVED = "moved"
    CANCELLED = "cancelled"


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(f"audience IN {PLAN_AUDIENCES!r}", name="known_audience"),
        Index("ix_plans_circle_id", "circle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    audience: Mapped[str] = mapped_column(String(10), default="managers")  # managers, or also the inner circle
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its needs were posted (the first time)

    treatments: Mapped[list[PlanTreatment]] = relationship(
        back_populates="plan", order_by="PlanTreatment.id", cascade="all, delete-orphan"
    )
    rules: Mapped[list[PlanRule]] = relationship(order_by="PlanRule.id", cascade="all, delete-orphan")
    quiet_days: Mapped[list[PlanQuiet]] = relationship(order_by="PlanQuiet.id", cascade="all, delete-orphan")


class PlanTreatment(Base):
    __tablename__ = "plan_treatments"
    __table_args__ = (
        CheckConstraint(f"kind IN {TREATMENT_KINDS!r}", name="known_kind"),
        CheckConstraint("every_days IS NULL OR every_days BETWEEN 1 AND 365", name="every_days_range"),
        CheckConstraint("times IS NULL OR times BETWEEN 1 AND 60", name="times_range"),
        CheckConstraint("weeks IS NULL OR weeks BETWEEN 1 AND 52", name="weeks_range"),
        Index("ix_plan_treatments_plan_id", "plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(80))  # "Chemo infusion", "Scan": shown only to who may see the plan
    first_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(200), default="")
    every_days: Mapped[int | None] = mapped_column(SmallInteger)  # repeating: every N days
    times: Mapped[int | None] = mapped_column(SmallInteger)  # repeating: K times
    weekdays: Mapped[str] = mapped_column(String(30), default="")  # course: "MO,TU,WE,TH,FR"
    weeks: Mapped[int | None] = mapped_column(SmallInteger)  # course: for W weeks

    plan: Mapped[Plan] = relationship(back_populates="treatments")
    days: Mapped[list[PlanDay]] = relationship(
        back_populates="treatment", order_by="PlanDay.number", cascade="all, delete-orphan"
    )


class PlanDay(Base):
    __tablename__ = "plan_days"
    __table_args__ = (
        status_check(PlanDayStatus),
        UniqueConstraint("treatment_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        Index("ix_plan_days_plan_id_local_date", "plan_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    treatment_id: Mapped[int] = mapped_column(ForeignKey("plan_treatments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(SmallInteger)  # cycle 3, or day 12 of a course
    series_date: Mapped[date] = mapped_column(Date)  # the date it was first planned for
    local_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(10), default=PlanDayStatus.PLANNED)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    treatment: Mapped[PlanTreatment] = relationship(back_populates="days")

    @property
    def cancelled(self) -> bool:
        return self.status == PlanDayStatus.CANCELLED


class PlanRule(Base):
    """One suggestion of help: a kind of help on days at an offset from treatment days, or weekly."""

    __tablename__ = "plan_rules"
    __table_args__ = (
        CheckConstraint(f"pattern IN {RULE_PATTERNS!r}", name="known_pattern"),
        CheckConstraint(f"applies_to IN {RULE_APPLIES!r}", name="known_applies_to"),
        CheckConstraint(
            f"offset_first BETWEEN {OFFSET_MIN} AND {OFFSET_MAX} AND offset_last BETWEEN offset_first AND {OFFSET_MAX}",
            name="offsets_range",
        ),
        CheckConstraint("capacity BETWEEN 1 AND 50", name="capacity_range"),
        CheckConstraint("length_minutes BETWEEN 15 AND 720", name="length_range"),
        Index("ix_plan_rules_plan_id", "plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))  # what supporters see: never the treatment's name
    pattern: Mapped[str] = mapped_column(String(10), default="offset")
    applies_to: Mapped[str] = mapped_column(String(10), default="repeating")
    offset_first: Mapped[int] = mapped_column(SmallInteger, default=0)
    offset_last: Mapped[int] = mapped_column(SmallInteger, default=0)
    # When: `lead_minutes` before the treatment's own time, or at `start_time`, or any time that day.
    lead_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    start_time: Mapped[time | None] = mapped_column(Time)
    length_minutes: Mapped[int] = mapped_column(SmallInteger, default=60)
    anytime: Mapped[bool] = mapped_column(Boolean, default=False)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)  # weekly: 0 Monday .. 6 Sunday
    capacity: Mapped[int] = mapped_column(SmallInteger, default=1)
    notes: Mapped[str] = mapped_column(Text, default="")


class PlanQuiet(Base):
    """Days (by offset from a treatment day) the patient wants no visitors, or quiet hours on them."""

    __tablename__ = "plan_quiet_days"
    __table_args__ = (
        CheckConstraint(
            f"offset_first BETWEEN {OFFSET_MIN} AND {OFFSET_MAX} AND offset_last BETWEEN offset_first AND {OFFSET_MAX}",
            name="offsets_range",
        ),
        Index("ix_plan_quiet_days_plan_id", "plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    offset_first: Mapped[int] = mapped_column(SmallInteger)
    offset_last: Mapped[int] = mapped_column(SmallInteger)
    no_visitors: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_start: Mapped[time | None] = mapped_column(Time)  # quiet hours on those days (None: the whole day)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")  # "meals at the door"
