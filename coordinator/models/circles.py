"""A circle is the people around one patient; a membership gives each a role.

Roles are data checked by the database: at most one patient per circle, one
membership per person per circle, and only the three known roles and states.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.accounts import User
from coordinator.models.base import Base, UTCDateTime, status_check

PATIENT = "patient"
COORDINATOR = "coordinator"
SUPPORTER = "supporter"
ROLES = (PATIENT, COORDINATOR, SUPPORTER)
# Roles that run the circle: they see every task, address and message.
MANAGING_ROLES = (PATIENT, COORDINATOR)


class MembershipStatus(StrEnum):
    """Stored as these strings. Archived: drifted away, asked only to come back. Removed: taken off the circle."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    REMOVED = "removed"


class Circle(Base):
    __tablename__ = "circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    patient_name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    phone_region: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The patient's choice: may supporters see each other's names? (Never numbers or emails.)
    names_visible: Mapped[bool] = mapped_column(Boolean, default=False)
    # Network-health settings that differ from the defaults (services/health/settings.py).
    health_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # Closing: the patient closes the circle, and after a grace period they chose
    # every row of it is purged. Until purge_after it can be reopened.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    purge_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set in the purge's own transaction; the events table lets this circle's rows go only then.
    purge_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The patient's choices about updates (services/updates/): do coordinators' updates wait for her
    # approval; do update emails carry the words or only a link; may supporters read each other's notes.
    updates_need_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    updates_email_full: Mapped[bool] = mapped_column(Boolean, default=False)
    notes_shared: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(back_populates="circle")

    @property
    def patient_first_name(self) -> str:
        return self.patient_name.split()[0] if self.patient_name.strip() else self.patient_name


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("circle_id", "user_id"),
        CheckConstraint(f"role IN {ROLES!r}", name="known_role"),
        status_check(MembershipStatus),
        Index(
            "uq_memberships_one_patient",
            "circle_id",
            unique=True,
            sqlite_where=text("role = 'patient'"),
            postgresql_where=text("role = 'patient'"),
        ),
        Index("ix_memberships_user_id_status", "user_id", "status"),
        CheckConstraint("updates_by IN ('text', 'email', 'weekly', 'none')", name="known_updates_by"),
        CheckConstraint("notes_by IN ('text', 'email', 'none')", name="known_notes_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=MembershipStatus.ACTIVE)
    # The patient's chosen inner circle sees needs marked "inner circle only".
    inner_circle: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped to reset the member's secret calendar feed address.
    feed_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # What this supporter is glad to do, when, and how often we may ask.
    help_categories: Mapped[list] = mapped_column(JSON, default=list)  # empty: anything
    availability: Mapped[dict] = mapped_column(JSON, default=dict)  # {"MO": ["morning", ...]}; empty: any time
    asks_per_week: Mapped[int] = mapped_column(Integer, default=3)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reengaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the one gentle ask after drifting
    # How this member hears of updates and (the patient, coordinators) of notes; empty: the default
    # (services/updates/delivery.py). Values: models/updates.py UpdatesBy and NotesBy.
    updates_by: Mapped[str | None] = mapped_column(String(10))
    notes_by: Mapped[str | None] = mapped_column(String(10))

    circle: Mapped[Circle] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    @property
    def manages(self) -> bool:
        return self.role in MANAGING_ROLES
