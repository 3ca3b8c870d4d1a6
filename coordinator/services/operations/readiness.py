"""Whether this host should get traffic (/readyz): the database answers, its schema is at the migrations'
head, and a scheduler leader has beaten recently (else texts would queue and nothing would send them).

Each check that fails is named, so a load balancer's log says which; nothing else is said (no versions,
no addresses). The migrations' head is read from the scripts once per process (they don't change while
it runs); the database's version is read on every check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.operations import SchedulerHeartbeat


@dataclass(frozen=True)
class Readiness:
    database: bool
    migrations: bool
    scheduler: bool

    @property
    def ready(self) -> bool:
        return self.database and self.migrations and self.scheduler

    @property
    def failed(self) -> list[str]:
        return [name for name in ("database", "migrations", "scheduler") if not getattr(self, name)]


def readiness_check() -> Readiness:
    """Three questions, the last two asked only if the database answers at all."""
    if _ask(lambda: db.session.execute(text("SELECT 1"))) is _FAILED:
        return Readiness(database=False, migrations=False, scheduler=False)
    return Readiness(database=True, migrations=_at_head(), scheduler=_leader_fresh())


def _at_head() -> bool:
    versions = _ask(lambda: set(db.session.scalars(text("SELECT version_num FROM alembic_version"))))
    return versions is not _FAILED and versions == script_heads(current_app.extensions["migrate"].directory)


def _leader_fresh() -> bool:
    within = timedelta(seconds=float(current_app.config["READY_HEARTBEAT_SECONDS"]))
    latest = _ask(
        lambda: db.session.scalar(select(func.max(SchedulerHeartbeat.beat_at)).where(SchedulerHeartbeat.leader))
    )
    return latest is not _FAILED and latest is not None and latest >= now() - within


_FAILED = object()


def _ask(question):
    """The answer, or _FAILED on a database error (rolled back, so the next question can run)."""
    try:
        return question()
    except SQLAlchemyError:
        db.session.rollback()
        return _FAILED


@cache
def script_heads(directory: str) -> frozenset[str]:
    """The revisions the migration scripts end at (read once per process)."""
    return frozenset(ScriptDirectory(directory).get_heads())
