"""`flask --app wsgi scheduler run|tick` and `flask --app wsgi sms dispatch`."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

scheduler_group = AppGroup("scheduler", help="The long-running scheduler, or one pass of every job.")
sms_group = AppGroup("sms", help="Deliver queued texts and emails.")


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
@click.option("--batch", default=100, show_default=True)
@with_appcontext
def sms_dispatch(until_idle: bool, batch: int) -> None:
    """Deliver what is due (once, or until nothing is left)."""
    from coordinator.services.texting.dispatch import dispatch_due

    while True:
        stats = dispatch_due(limit=batch)
        click.echo(
            f"sent={stats.sent} deferred={stats.deferred} cancelled={stats.cancelled} retried={stats.retried} failed={stats.failed} unknown={stats.unknown} reconciled={stats.reconciled}"
        )
        busy = stats.sent or stats.retried or stats.unknown or stats.reconciled or stats.cancelled
        if not until_idle or not busy:
            return
        time.sleep(0.05)
