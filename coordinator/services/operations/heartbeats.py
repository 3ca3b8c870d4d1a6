"""Each scheduler process's heartbeat: a row it writes every few seconds, leader or standby.

The leader's row also carries how each of its jobs last ran ({job_id: {"last_started_at", "seconds",
"ok"}}), so /readyz and /metrics on any web host can tell whether a scheduler is alive and working
without reaching into another machine. Rows of processes gone for a long time are forgotten; a process
that stops cleanly removes its own row. Each process writes only its own row, so beats never race.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.operations import SchedulerHeartbeat


def heartbeat_write(*, instance: str, leader: bool, jobs: dict[str, dict] | None = None) -> None:
    """Record that `instance` is alive now (and, for the leader, how its jobs last ran)."""
    moment = now()
    row = db.session.get(SchedulerHeartbeat, instance)
    if row is None:
        row = SchedulerHeartbeat(instance=instance, started_at=moment, jobs={})
        db.session.add(row)
    row.leader = leader
    row.beat_at = moment
    if jobs is not None:
        row.jobs = {job_id: dict(run) for job_id, run in jobs.items()}  # a new object, so the JSON is written
    db.session.flush()


def heartbeats_forget(*, older_than: timedelta) -> int:
    """Delete the rows of processes not heard from for `older_than`; how many went."""
    gone = db.session.execute(
        delete(SchedulerHeartbeat)
        .where(SchedulerHeartbeat.beat_at < now() - older_than)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    return gone


def heartbeat_remove(*, instance: str) -> None:
    """A process stopping cleanly says so at once, rather than letting its row age."""
    db.session.execute(
        delete(SchedulerHeartbeat)
        .where(SchedulerHeartbeat.instance == instance)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
