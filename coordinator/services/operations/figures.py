"""The figures /metrics reads from the database when it is scraped: a fixed three queries, whatever the size.

Read at scrape time rather than counted, so every web host reports the same outbox and the same scheduler,
whichever process did the work: messages by channel and status (one GROUP BY), the due part of the outbox
(how many, and how long the oldest has waited), and the scheduler heartbeats (the leader's age, how its jobs
last ran). Nothing here names a person: counts, ages and job ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.operations import SchedulerHeartbeat


@dataclass(frozen=True)
class JobFigures:
    job_id: str
    seconds: float
    started_at: float  # Unix time
    ok: bool


@dataclass(frozen=True)
class Figures:
    messages: dict[tuple[str, str], int] = field(default_factory=dict)
    due: int = 0
    oldest_due_seconds: float = 0.0
    leaders: int = 0
    standbys: int = 0
    leader_age_seconds: float | None = None
    jobs: list[JobFigures] = field(default_factory=list)
    database_up: bool = True


def figures_read_or_down() -> Figures:
    """The figures, or (the database not answering) figures saying so: a scrape still reports the counters."""
    try:
        return figures_read()
    except SQLAlchemyError:
        db.session.rollback()
        return Figures(database_up=False)


def figures_read() -> Figures:
    """Three queries: messages by channel and status, the due outbox, the heartbeats."""
    moment = now()
    by_status = db.session.execute(
        select(Message.channel, Message.status, func.count()).group_by(Message.channel, Message.status)
    ).all()
    due, oldest = db.session.execute(
        select(func.count(), func.min(Message.due_at)).where(
            Message.status == MessageStatus.PENDING, Message.due_at <= moment
        )
    ).one()
    beats = list(db.session.scalars(select(SchedulerHeartbeat)))
    leader = max((beat for beat in beats if beat.leader), key=lambda beat: beat.beat_at, default=None)
    return Figures(
        messages={(channel, status): count for channel, status, count in by_status},
        due=due,
        oldest_due_seconds=max((moment - oldest).total_seconds(), 0.0) if oldest else 0.0,
        leaders=sum(1 for beat in beats if beat.leader),
        standbys=sum(1 for beat in beats if not beat.leader),
        leader_age_seconds=max((moment - leader.beat_at).total_seconds(), 0.0) if leader else None,
        jobs=_jobs(leader.jobs if leader else {}),
    )


def _jobs(recorded: dict) -> list[JobFigures]:
    jobs = []
    for job_id, run in sorted((recorded or {}).items()):
        try:
            started = datetime.fromisoformat(run["last_started_at"]).timestamp()
            jobs.append(JobFigures(job_id, float(run["seconds"]), started, bool(run["ok"])))
        except (KeyError, TypeError, ValueError):  # a run still going, or a row from another version
            continue
    return jobs
