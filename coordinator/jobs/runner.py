"""Running the jobs: forever under APScheduler (`scheduler run`), or each once (`scheduler tick`).

Several `scheduler run` processes may start; one holds the leader lock and
runs the jobs, the others wait and take over when it dies.

Every process says it is alive: it writes its heartbeat row every SCHEDULER_HEARTBEAT_SECONDS
(services/operations/heartbeats.py), as a standby while it waits and as the leader only while
it holds the lock (checked in the same step, on the lock's own thread), the leader's row carrying
when each job last started, how long it took and whether it finished. /readyz and /metrics read
those rows. The leader also forgets rows not written for SCHEDULER_FORGET_SECONDS, and a process
that stops cleanly removes its own. Each job's run has its own id on its log lines (logging_setup).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.jobs import JOBS, JOBS_BY_ID, Job
from coordinator.jobs.lock import LeaderLock
from coordinator.log_privacy import exception_text
from coordinator.logging_setup import job_run
from coordinator.metrics import dispatch_observe
from coordinator.services.operations.heartbeats import heartbeat_remove, heartbeat_write, heartbeats_forget
from coordinator.services.texting.dispatch import Stats

log = logging.getLogger(__name__)


class JobRecord:
    """How each job last ran in this process, for the leader's heartbeat (jobs run on several threads)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._runs: dict[str, dict] = {}

    def done(self, job_id: str, *, started_at: datetime, seconds: float, ok: bool) -> None:
        with self._lock:
            self._runs[job_id] = {"last_started_at": started_at.isoformat(), "seconds": round(seconds, 3), "ok": ok}

    def snapshot(self) -> dict[str, dict]:
        with self._lock:
            return {job_id: dict(run) for job_id, run in self._runs.items()}


def run_job(app: Flask, job: Job, record: JobRecord | None = None) -> object:
    with app.app_context(), job_run(job.id):
        started_at, started, ok = now(), time.perf_counter(), False
        try:
            outcome = job.run()
            ok = True
            if isinstance(outcome, Stats):
                dispatch_observe(sent=outcome.sent, error_codes=outcome.error_codes)
            return outcome
        except Exception as error:
            db.session.rollback()
            log.error("Job %s failed; it will run again on schedule\n%s", job.id, exception_text(error))
            return None
        finally:
            db.session.remove()
            if record is not None:
                record.done(job.id, started_at=started_at, seconds=time.perf_counter() - started, ok=ok)


def tick(app: Flask) -> dict[str, object]:
    """Run every job once, in order (for cron-style hosting and for tests), then beat as the leader."""
    record = JobRecord()
    outcomes = {job.id: run_job(app, job, record) for job in JOBS}
    Heartbeat(app, instance_name(), record).beat(leader=True)
    return outcomes


def instance_name() -> str:
    """This process among the schedulers: host and process id (no personal data)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


class Heartbeat:
    """Writes this process's heartbeat row; `due` says whether SCHEDULER_HEARTBEAT_SECONDS have passed."""

    def __init__(self, app: Flask, instance: str, record: JobRecord):
        self.app, self.instance, self.record = app, instance, record
        self.every = float(app.config["SCHEDULER_HEARTBEAT_SECONDS"])
        self.forget = timedelta(seconds=float(app.config["SCHEDULER_FORGET_SECONDS"]))
        self.last = float("-inf")

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def beat(self, *, leader: bool) -> None:
        """Write the row (a failure is logged; the scheduler carries on and beats again next time)."""
        self.last = time.monotonic()
        with self.app.app_context():
            try:
                heartbeat_write(instance=self.instance, leader=leader, jobs=self.record.snapshot() if leader else None)
                if leader:
                    heartbeats_forget(older_than=self.forget)
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                log.error("Could not write the scheduler heartbeat\n%s", exception_text(error))
            finally:
                db.session.remove()

    def remove(self) -> None:
        with self.app.app_context():
            try:
                heartbeat_remove(instance=self.instance)
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                log.error("Could not remove the scheduler heartbeat\n%s", exception_text(error))
            finally:
                db.session.remove()


def run_forever(app: Flask, *, poll_seconds: float = 2.0, say=print) -> None:
    with app.app_context():
        lock = LeaderLock(db.engine)
    stop = {"now": False}

    def request_stop(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    record = JobRecord()
    heartbeat = Heartbeat(app, instance_name(), record)
    try:
        if _wait_for_lock(lock, heartbeat, stop, poll_seconds=poll_seconds, say=say):
            say("This scheduler is active.")
            _lead(app, lock, heartbeat, record, stop)
    finally:
        heartbeat.remove()


def _wait_for_lock(lock: LeaderLock, heartbeat: Heartbeat, stop: dict, *, poll_seconds: float, say) -> bool:
    """Beat as a standby until the lock is ours (True) or we are asked to stop (False)."""
    announced = False
    pause = min(poll_seconds, heartbeat.every)
    while not stop["now"] and not lock.acquire():
        if not announced:
            say("Another scheduler is active; waiting to take over if it stops.")
            announced = True
        if heartbeat.due():
            heartbeat.beat(leader=False)
        time.sleep(pause)
    return not stop["now"]


def scheduled_seconds(app: Flask) -> dict[str, float]:
    """Each job's interval on this host: its own, or the setting that may change it (DELIVER_EVERY_SECONDS...)."""
    return {job.id: float(app.config[job.every_setting]) if job.every_setting else job.seconds for job in JOBS}


def _lead(app: Flask, lock: LeaderLock, heartbeat: Heartbeat, record: JobRecord, stop: dict) -> None:
    scheduler = BlockingScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    )
    for job_id, seconds in scheduled_seconds(app).items():
        job = JOBS_BY_ID[job_id]
        scheduler.add_job(
            run_job, "interval", seconds=seconds, args=(app, job, record), id=job.id, next_run_time=_soon()
        )

    def watch():
        """The lock and the leader's heartbeat in one step: a heartbeat says leader only while the lock holds."""
        if stop["now"] or not lock.still_held():
            scheduler.shutdown(wait=False)
        elif heartbeat.due():
            heartbeat.beat(leader=True)

    scheduler.add_job(watch, "interval", seconds=min(1.0, heartbeat.every), id="watch-lock", next_run_time=_soon())
    try:
        scheduler.start()
    finally:
        lock.release()


def _soon():
    return datetime.now(UTC)
