"""Updates and encouragement: news the patient shares, and the circle's answer to it.

An update is plain text the patient (or a coordinator for them) posts to the whole
circle or the inner circle, with up to four photos. Supporters answer with a short
note or a heart. Photos live as files (services/updates/photos.py); their rows here
only name them, so access to a photo is decided by its update, like everything else.
A texted link to the updates signs its one recipient in (`UpdateLink`), and expires.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.clock import now
from coordinator.models.accounts import User
from coordinator.models.base import Base, UTCDateTime, status_check


class UpdateStatus(StrEnum):
    """Stored as these strings: waiting for the patient's approval, or out for its audience to read."""

    PENDING = "pending"
    PUBLISHED = "published"


class Audience(StrEnum):
    """Who may read an update (the patient and coordinators always may)."""

    CIRCLE = "circle"
    INNER = "inner"


class UpdatesBy(StrEnum):
    """How a member hears of new updates: a short text with a link (one a day at most), each by email,
    a line in the weekly digest, or not at all. Empty (None) on a membership means the default."""

    TEXT = "text"
    EMAIL = "email"
    WEEKLY = "weekly"
    NONE = "none"


class NotesBy(StrEnum):
    """How the patient and coordinators hear of new notes: one summary a day by text or email, or only on the site."""

    TEXT = "text"
    EMAIL = "email"
    NONE = "none"


class NoteVia(StrEnum):
    WEB = "web"
    SMS = "sms"


def _choice_check(column: str, choices: type[StrEnum], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN {tuple(c.value for c in choices)!r}", name=name)


class Update(Base):
    __tablename__ = "updates"
    __table_args__ = (
        status_check(UpdateStatus),
        _choice_check("audience", Audience, "known_audience"),
        CheckConstraint("status = 'pending' OR published_at IS NOT NULL", name="published_has_moment"),
        Index("ix_updates_circle_id_status_published_at", "circle_id", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(10), default=Audience.CIRCLE)
    status: Mapped[str] = mapped_column(String(10), default=UpdateStatus.PUBLISHED)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    photos: Mapped[list[UpdatePhoto]] = relationship(
        order_by="UpdatePhoto.position", passive_deletes=True, back_populates="update"
    )


class UpdatePhoto(Base):
    __tablename__ = "update_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), index=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The files' name stem: random, so a file name says nothing about whose or what it is.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    update: Mapped[Update] = relationship(back_populates="photos")


class UpdateHeart(Base):
    """One "send love" per person per update: counted, never listed to other supporters."""

    __tablename__ = "update_hearts"

    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class UpdateNote(Base):
    """A short note of encouragement to the patient, from the update page or by texting NOTE."""

    __tablename__ = "update_notes"
    __table_args__ = (
        _choice_check("via", NoteVia, "known_via"),
        Index("ix_update_notes_circle_id_created_at", "circle_id", "created_at"),
        Index("ix_update_notes_update_id", "update_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="SET NULL"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(5), default=NoteVia.WEB)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])


class UpdateLink(Base):
    """A texted or emailed link to a circle's updates: it signs its one member in until it expires."""

    __tablename__ = "update_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
