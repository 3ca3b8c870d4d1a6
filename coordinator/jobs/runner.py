"""Running the jobs: forever under APScheduler (`scheduler run`), or each once (`scheduler tick`).

Several `scheduler run` processes may start; one holds the leader lock and
runs the jobs, the others wait and take over when it dies.
"""

from __future__ import annotations

import logging
import signal
import time

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from coordinator.extensions import db
from coordinator.jobs import JOBS, Job
from coordinator.jobs.lock import LeaderLock
from coordinator.log_privacy import exception_text

log = logging.getLogger(__name__)


def run_job(app: Flask, job: Job) -> object:
    with app.app_context():
        try:
            return job.run()
        except Exception as error:
            db.session.rollback()
            log.error("Job %s failed; it will run again on schedule\n%s", job.id, exception_text(error))
            return None
        finally:
            db.session.remove()


def tick(app: Flask) -> dict[str, object]:
    """Run every job once, in order (for cron-style hosting and for tests)."""
    return {job.id: run_job(app, job) for job in JOBS}


def run_forever(app: Flask, *, poll_seconds: float = 2.0, say=print) -> None:
    with app.app_context():
        lock = LeaderLock(db.engine)
    stop = {"now": False}

    def request_stop(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    announced = False
    while not stop["now"] and not lock.acquire():
        if not announced:
            say("Another scheduler is active; waiting to take over if it stops.")
            announced = True
        time.sleep(poll_seconds)
    if stop["now"]:
        return
    say("This scheduler is active.")
    scheduler = BlockingScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    )
    for job in JOBS:
        seconds = float(app.config[job.every_setting]) if job.every_setting else job.seconds
        scheduler.add_job(run_job, "interval", seconds=seconds, args=(app, job), id=job.id, next_run_time=_soon())

    def watch():
        if stop["now"] or not lock.still_held():
            scheduler.shutdown(wait=False)

    scheduler.add_job(watch, "interval", seconds=1, id="watch-lock")
    try:
        scheduler.start()
    finally:
        lock.release()


def _soon():
    from datetime import UTC, datetime

    return datetime.now(UTC)
