"""Declarative base with a constraint naming convention.

Stable constraint names let Alembic alter and drop constraints on SQLite (batch
mode) and PostgreSQL alike, and make an integrity error say which rule it broke.
"""

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def status_check(states: type[StrEnum]) -> CheckConstraint:
    """`status IN ('a', 'b', ...)`, named known_status: only the states the enum lists, in its order.

    The text is the one the migrations wrote, so the migrated schema still matches the models.
    """
    return CheckConstraint(f"status IN {tuple(state.value for state in states)!r}", name="known_status")


class UTCDateTime(TypeDecorator):
    """A moment in time, stored as naive UTC and always read back as aware UTC.

    SQLite has no time zone type; PostgreSQL's would convert to the session's
    zone. Storing naive UTC on both and tagging it on the way out means Python
    code only ever sees aware datetimes and comparisons never mix the two.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
