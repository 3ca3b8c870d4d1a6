"""One active scheduler at a time, jobs as data, and `scheduler tick` for cron hosting."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy import select

from config import BASE_DIR
from coordinator.extensions import db
from coordinator.jobs import JOBS, Job
from coordinator.jobs.lock import LeaderLock
from coordinator.models import Circle, Invitation
from tests.factories import make_circle, make_user
from tests.waiting import wait_until


def test_jobs_have_stable_unique_ids_and_the_contract_ones():
    ids = [job.id for job in JOBS]
    assert len(ids) == len(set(ids))
    assert {"deliver", "plan_reminders", "send_digests", "outreach", "extend_needs", "expire_invitations"} <= set(ids)
    assert next(j for j in JOBS if j.id == "deliver").seconds <= 10


def test_each_job_keeps_its_place_and_schedule_and_only_delivery_commits_as_it_goes():
    assert [(job.id, job.seconds) for job in JOBS] == [
        ("extend_needs", 6 * 3600),
        ("expire_invitations", 3600),
        ("purge_circles", 3600),
        ("plan_reminders", 300),
        ("send_digests", 1800),
        ("send_update_news", 1800),  # after the digests: someone whose digest carried the news gets nothing more
        ("send_notes_summaries", 1800),
        ("outreach", 900),
        ("patient_checkins", 1800),
        ("retention_texts", 3600),
        ("retention_people", 3600),
        ("sweep_photos", 6 * 3600),
        ("deliver", 5),
    ]
    assert [job.id for job in JOBS if not job.commits] == ["deliver"]


def test_a_job_commits_what_its_service_did_unless_the_service_commits_as_it_goes(app):
    circle = make_circle(coordinator=make_user(name="Daniel Lopez"))
    db.session.commit()

    def rename(name: str):
        def service():
            db.session.get(Circle, circle.id).name = name
            return name

        return service

    assert Job("rename", 60, rename("Committed"), "a test job").run() == "Committed"
    db.session.rollback()
    assert db.session.get(Circle, circle.id).name == "Committed"
    Job("rename_later", 60, rename("Left to the service"), "a test job", commits=False).run()
    db.session.rollback()
    assert db.session.get(Circle, circle.id).name == "Committed"


def test_only_one_lock_holder_and_it_passes_on_when_released(app):
    first, second = LeaderLock(db.engine), LeaderLock(sa.create_engine(db.engine.url))
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.still_held()
        first.release()
        assert second.acquire() is True
    finally:
        first.release()
        second.release()
        second.engine.dispose()


# A scheduler that takes the lock, says so, then idles as a live scheduler would.
HOLDER = """
import sys, time
import sqlalchemy as sa
from coordinator.jobs.lock import LeaderLock
lock = LeaderLock(sa.create_engine(sys.argv[1]))  # kept referenced: the lock lives as long as this object
print("held" if lock.acquire() else "refused", flush=True)
time.sleep(300)
"""


def test_a_dead_holders_lock_is_free(app):
    """A scheduler process killed outright (no clean-up) frees the lock: PostgreSQL sees its connection
    close, and on SQLite the operating system drops the dead process's file lock."""
    url = db.engine.url.render_as_string(hide_password=False)
    standby = LeaderLock(db.engine)
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], cwd=BASE_DIR, stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout.readline().strip() == "held"
            assert not standby.acquire()
            holder.kill()
            holder.wait(timeout=30)
            # The server notices the closed connection a moment after the kill: poll, with a deadline.
            assert wait_until(standby.acquire, seconds=20), "the dead scheduler's lock was never freed"
        finally:
            holder.kill()
            standby.release()


def test_scheduler_tick_runs_every_job_once(app, runner):
    from datetime import timedelta

    from coordinator.clock import now

    circle = make_circle(coordinator=make_user())
    db.session.add(
        Invitation(
            circle_id=circle.id,
            kind="personal",
            phone="+12025550110",
            token_hash="a" * 64,
            expires_at=now() - timedelta(days=1),
        )
    )
    db.session.commit()
    result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0, result.output
    for job in JOBS:
        assert f"{job.id}:" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Invitation.status)) == "expired"


def test_tick_steps_aside_when_another_scheduler_is_active(app, runner):
    holder = LeaderLock(sa.create_engine(db.engine.url))
    try:
        assert holder.acquire()
        result = runner.invoke(args=["scheduler", "tick"])
        assert "Another scheduler is active" in result.output
    finally:
        holder.release()
        holder.engine.dispose()
