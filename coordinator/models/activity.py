"""The activity record: an append-only log of what happened in each circle.

Every later feature writes here (asks sent, claims, releases, replies, thanks),
and network health is computed from it, so rows are never changed or deleted:
the database itself refuses UPDATE and DELETE on this table.

An event says who did it (`actor_id`, empty for the service itself), whom it
concerns (`subject_id`, e.g. the supporter who was asked), what kind it is
(`kind`, a dotted name such as "claim.made"), what it was about (`object_type`
and `object_id`, e.g. "task", 42) and any small details (`data`).

The one exception to append-only is a circle's purge: once a closed circle's
`purge_started_at` is set, its events may be deleted with the rest of it
(services/people/closing.py), and nothing else's may.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, BigInteger, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.clock import now
from coordinator.models.base import Base, UTCDateTime

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_circle_id_occurred_at", "circle_id", "occurred_at"),
        Index("ix_events_circle_id_subject_id_occurred_at", "circle_id", "subject_id", "occurred_at"),
        Index("ix_events_circle_id_kind_occurred_at", "circle_id", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="RESTRICT"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(BigId)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


# The same statements run from the migration; here they make create_all (tests) match.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "WHEN NOT EXISTS (SELECT 1 FROM circles WHERE circles.id = OLD.circle_id AND circles.purge_started_at IS NOT NULL) "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'DELETE' AND EXISTS "
    "(SELECT 1 FROM circles WHERE circles.id = OLD.circle_id AND circles.purge_started_at IS NOT NULL) "
    "THEN RETURN OLD; END IF; "
    "RAISE EXCEPTION 'events are append-only'; END $$",
    "CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
]

for _statement in APPEND_ONLY_SQLITE:
    event.listen(Event.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in APPEND_ONLY_POSTGRESQL:
    event.listen(Event.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
