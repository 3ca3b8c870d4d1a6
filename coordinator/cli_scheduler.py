"""`flask --app wsgi scheduler run|tick` and `flask --app wsgi sms dispatch`."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

scheduler_group = AppGroup("scheduler", help="The long-running scheduler, or one pass of every job.")
sms_group = AppGroup("sms", help="Deliver queued texts and emails.")
log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 30.0  # the longest pause between tries while dispatching keeps failing


@scheduler_group.command("run")
def scheduler_run() -> None:
    """Run the jobs forever (one active process; others wait to take over)."""
    from coordinator.jobs.runner import run_forever

    run_forever(current_app._get_current_object(), say=click.echo)


@scheduler_group.command("tick")
def scheduler_tick() -> None:
    """Run every job once (for cron), unless another scheduler is active."""
    from coordinator.extensions import db
    from coordinator.jobs.lock import LeaderLock
    from coordinator.jobs.runner import tick

    lock = LeaderLock(db.engine)
    if not lock.acquire():
        click.echo("Another scheduler is active; nothing to do.")
        return
    try:
        for job_id, result in tick(current_app._get_current_object()).items():
            click.echo(f"{job_id}: {result}")
    finally:
        lock.release()


@sms_group.command("dispatch")
@click.option("--until-idle", is_flag=True, help="Keep going until nothing is due, then stop.")
@click.option(
    "--forever",
    is_flag=True,
    help="Keep delivering until stopped (SIGTERM), looking again every --idle-seconds when nothing is due: "
    "an extra dispatcher beside the scheduler's `deliver` job, sharing the outbox (SKIP LOCKED on PostgreSQL).",
)
@click.option("--idle-seconds", default=1.0, show_default=True, help="With --forever: the pause when nothing is due.")
@click.option("--batch", default=100, show_default=True)
@with_appcontext
def sms_dispatch(until_idle: bool, forever: bool, idle_seconds: float, batch: int) -> None:
    """Deliver what is due (once, until nothing is left, or forever)."""
    if forever:
        _dispatch_forever(batch, idle_seconds)
        return
    while True:
        stats = _dispatch_once(batch)
        if not until_idle or not _busy(stats):
            return
        time.sleep(0.05)


def _dispatch_once(batch: int, *, quiet_when_idle: bool = False):
    from coordinator.services.texting.dispatch import dispatch_due

    stats = dispatch_due(limit=batch)
    if not (quiet_when_idle and not _busy(stats)):
        click.echo(
            f"sent={stats.sent} deferred={stats.deferred} cancelled={stats.cancelled} retried={stats.retried} failed={stats.failed} unknown={stats.unknown} reconciled={stats.reconciled}"
        )
    return stats


def _busy(stats) -> bool:
    return bool(stats.sent or stats.retried or stats.unknown or stats.reconciled or stats.cancelled)


def _dispatch_forever(batch: int, idle_seconds: float) -> None:
    """Deliver until SIGTERM or SIGINT, finishing the batch in hand (each message commits as it goes)."""
    from coordinator.extensions import db
    from coordinator.log_privacy import exception_text

    stop = {"now": False}

    def request_stop(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo("Dispatching until stopped.")
    failures = 0
    while not stop["now"]:
        try:
            busy = _busy(_dispatch_once(batch, quiet_when_idle=True))
            failures = 0
        except Exception as error:  # the database restarting, say: texts wait in their rows, so try again
            failures += 1
            log.error("Dispatching failed; trying again\n%s", exception_text(error))
            time.sleep(min(max(idle_seconds, 0.1) * 2**failures, MAX_BACKOFF_SECONDS))
            continue
        finally:
            db.session.remove()
        if not busy:
            time.sleep(idle_seconds)
    click.echo("Dispatcher stopped.")
