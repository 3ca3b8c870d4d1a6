"""One active scheduler at a time, jobs as data, and `scheduler tick` for cron hosting."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.jobs import JOBS
from coordinator.jobs.lock import LeaderLock
from coordinator.models import Invitation
from tests.factories import make_circle, make_user


def test_jobs_have_stable_unique_ids_and_the_contract_ones():
    ids = [job.id for job in JOBS]
    assert len(ids) == len(set(ids))
    assert {"deliver", "plan_reminders", "send_digests", "outreach", "extend_needs", "expire_invitations"} <= set(ids)
    assert next(j for j in JOBS if j.id == "deliver").seconds <= 10


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


def test_a_dead_holders_lock_is_free(app):
    if db.engine.dialect.name != "postgresql":
        return  # on SQLite the operating system frees a dead process's file lock (covered by the process test)
    holder_engine = sa.create_engine(db.engine.url)
    holder, standby = LeaderLock(holder_engine), LeaderLock(db.engine)
    try:
        assert holder.acquire()
        assert not standby.acquire()
        holder_engine.dispose()  # drops the connection, as a killed process would
        holder._connection.invalidate()
        assert standby.acquire()
    finally:
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
