"""/readyz: ready only when the database answers, its schema is at the migrations' head and a scheduler
leader beat recently; /healthz only says the process is alive. Heartbeats come from a real scheduler
process, killed with SIGKILL; time moves through READY_HEARTBEAT_SECONDS, not sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.operations import SchedulerHeartbeat
from coordinator.services.operations.heartbeats import heartbeat_write, heartbeats_forget
from coordinator.services.operations.readiness import script_heads
from tests.fake_twilio import FakeTwilio
from tests.processes import TOKEN, Process, command_env
from tests.waiting import wait_until

READY = {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "scheduler": "ok"}}


def _ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def _heartbeats() -> list[SchedulerHeartbeat]:
    db.session.rollback()  # a fresh snapshot: the scheduler process writes these rows
    return list(db.session.scalars(select(SchedulerHeartbeat)))


@pytest.fixture
def scheduler(app):
    """Start `flask --app wsgi scheduler run` on the test's database, beating every 0.3 s."""
    started = []

    def start() -> Process:
        fake = FakeTwilio(auth_token=TOKEN).__enter__()
        env = command_env(
            app.config["SQLALCHEMY_DATABASE_URI"],
            fake.base_url,
            SMS_SENDS_PER_SECOND="1000",
            SCHEDULER_HEARTBEAT_SECONDS="0.3",
        )
        process = Process(["scheduler", "run"], env)
        started.append((process, fake))
        return process

    yield start
    for process, fake in started:
        process.kill()
        fake.__exit__(None, None, None)


def test_not_ready_without_a_scheduler_though_alive_and_migrated(client):
    status, body = _ready(client)

    assert status == 503
    assert body == {
        "status": "not ready",
        "failed": ["scheduler"],
        "checks": {"database": "ok", "migrations": "ok", "scheduler": "failed"},
    }
    assert client.get("/healthz").status_code == 200  # alive all the same


@pytest.mark.timeout(90)
def test_ready_once_a_real_scheduler_beats_and_not_after_it_is_killed(app, client, scheduler):
    leader = scheduler()
    assert leader.wait_for("This scheduler is active."), leader.lines
    assert wait_until(lambda: _ready(client)[0] == 200, seconds=30), _ready(client)
    assert wait_until(lambda: "deliver" in _heartbeats()[0].jobs, seconds=30), "the leader never recorded its jobs"
    (row,) = _heartbeats()
    assert row.leader and row.instance.endswith(f":{leader.proc.pid}")
    assert row.jobs["deliver"]["ok"] is True and row.jobs["deliver"]["seconds"] >= 0
    app.config["READY_HEARTBEAT_SECONDS"] = 5  # a scheduler beating every 0.3 s stays well inside this
    assert _ready(client)[0] == 200

    leader.kill()  # SIGKILL: no chance to say goodbye; its row stays and ages

    assert wait_until(lambda: _ready(client)[0] == 503, seconds=30), "still ready with the scheduler dead"
    assert _ready(client)[1]["failed"] == ["scheduler"]
    assert len(_heartbeats()) == 1  # the row is there, only too old


@pytest.mark.timeout(90)
def test_a_scheduler_stopped_cleanly_removes_its_row_and_a_standby_beats_as_a_standby(client, scheduler):
    leader = scheduler()
    assert leader.wait_for("This scheduler is active."), leader.lines
    standby = scheduler()
    assert standby.wait_for("waiting to take over"), standby.lines
    assert wait_until(lambda: sorted(row.leader for row in _heartbeats()) == [False, True], seconds=30)

    assert leader.stop() == 0  # SIGTERM

    assert standby.wait_for("This scheduler is active."), standby.lines
    mine = f":{standby.proc.pid}"
    assert wait_until(
        lambda: [(r.instance.endswith(mine), r.leader) for r in _heartbeats()] == [(True, True)], seconds=30
    )
    assert wait_until(lambda: _ready(client)[0] == 200, seconds=30)


def test_a_database_behind_the_migrations_is_not_ready(app, client):
    (head,) = script_heads(app.extensions["migrate"].directory)
    heartbeat_write(instance="host:1", leader=True, jobs={})
    db.session.commit()
    assert _ready(client)[0] == 200

    db.session.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    db.session.commit()
    try:
        status, body = _ready(client)
    finally:  # PostgreSQL tests share the migrated database's schema bookkeeping: put it back
        db.session.rollback()
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()

    assert status == 503 and body["failed"] == ["migrations"]
    assert _ready(client) == (200, READY)


def test_a_database_that_does_not_answer_is_not_ready():
    from coordinator import create_app
    from tests.databases import app_config

    app = create_app(app_config("postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=2"))

    status, body = _ready(app.test_client())

    assert status == 503
    assert body["failed"] == ["database", "migrations", "scheduler"]
    assert "nobody" not in str(body) and "127.0.0.1" not in str(body)  # names the check, nothing about where


def test_only_a_fresh_leader_counts(app, client):
    heartbeat_write(instance="host:2", leader=False)
    db.session.commit()
    assert _ready(client)[0] == 503  # a standby alone runs nothing

    heartbeat_write(instance="host:1", leader=True, jobs={})
    db.session.commit()
    assert _ready(client) == (200, READY)
    app.config["READY_HEARTBEAT_SECONDS"] = 0.5
    with time_machine.travel(now() + timedelta(seconds=1), tick=False):
        assert _ready(client)[0] == 503


def test_rows_not_heard_from_for_long_are_forgotten(app):
    heartbeat_write(instance="old:1", leader=True, jobs={"deliver": {"last_started_at": now().isoformat()}})
    db.session.commit()
    with time_machine.travel(now() + timedelta(days=2), tick=False):
        heartbeat_write(instance="new:2", leader=True, jobs={})
        assert heartbeats_forget(older_than=timedelta(days=1)) == 1
        db.session.commit()
    assert [row.instance for row in _heartbeats()] == ["new:2"]
