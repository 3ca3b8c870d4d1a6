"""The Monitoring settings' rows of the README's Configuration table, each shown changing what it says
(tests/test_settings_rows.py runs these with the other rows' checks)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr
from datetime import timedelta

import time_machine
from sqlalchemy import select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.jobs.runner import Heartbeat, JobRecord
from coordinator.models.operations import SchedulerHeartbeat
from coordinator.services.operations.heartbeats import heartbeat_write
from tests.waiting import wait_until


def _from_env(**env: str) -> dict:
    from tests.test_settings_rows import from_env

    return from_env(**env)


def _request_lines(app) -> list[str]:
    stream = io.StringIO()
    with redirect_stderr(stream):
        app.test_client().get("/healthz")
    return [line for line in stream.getvalue().splitlines() if "home.healthz" in line]


def check_log_format(make_app, **_):
    (text_line,) = _request_lines(make_app())
    assert text_line.split()[2] == "INFO"
    (json_line,) = _request_lines(make_app(**_from_env(LOG_FORMAT="json")))
    assert json.loads(json_line)["logger"] == "coordinator.requests"
    make_app()  # back to text for whatever runs next in this process


def check_log_level(make_app, **_):
    assert len(_request_lines(make_app())) == 1
    assert _request_lines(make_app(**_from_env(LOG_LEVEL="WARNING"))) == []
    make_app()


def check_metrics_allowed_ips(make_app, **_):
    outside = {"REMOTE_ADDR": "10.1.2.3"}
    assert make_app().test_client().get("/metrics", environ_base=outside).status_code == 404
    allowed = make_app(**_from_env(METRICS_ALLOWED_IPS="10.0.0.0/8"))
    assert allowed.test_client().get("/metrics", environ_base=outside).status_code == 200


def check_prometheus_multiproc_dir(make_app, tmp_path, **_):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    counted_elsewhere = (
        "from prometheus_client import Counter; "
        "Counter('coordinator_http_requests', 'x', ['endpoint', 'method', 'status']).labels('elsewhere', 'GET', '200').inc(7)"
    )
    subprocess.run(
        [sys.executable, "-c", counted_elsewhere], env={"PROMETHEUS_MULTIPROC_DIR": str(directory)}, check=True
    )
    series = 'coordinator_http_requests_total{endpoint="elsewhere",method="GET",status="200"} 7.0'
    assert series not in make_app().test_client().get("/metrics").get_data(as_text=True)
    shared = make_app(**_from_env(PROMETHEUS_MULTIPROC_DIR=str(directory)))
    assert series in shared.test_client().get("/metrics").get_data(as_text=True)


def check_ready_heartbeat_seconds(make_app, **_):
    app = make_app()
    with app.app_context(), time_machine.travel(now() - timedelta(seconds=90), tick=False):
        heartbeat_write(instance="host:1", leader=True, jobs={})
        db.session.commit()
    assert app.test_client().get("/readyz").status_code == 503  # 90 s old, past the default 60
    assert make_app(**_from_env(READY_HEARTBEAT_SECONDS="120")).test_client().get("/readyz").status_code == 200


def check_scheduler_heartbeat_seconds(make_app, **_):
    default = Heartbeat(make_app(), "host:1", JobRecord())
    default.beat(leader=True)
    assert not default.due()  # next beat in 5 s
    quick = Heartbeat(make_app(**_from_env(SCHEDULER_HEARTBEAT_SECONDS="0.05")), "host:1", JobRecord())
    quick.beat(leader=True)
    assert wait_until(quick.due, seconds=5)


def check_scheduler_forget_seconds(make_app, **_):
    app = make_app()
    with app.app_context(), time_machine.travel(now() - timedelta(hours=2), tick=False):
        heartbeat_write(instance="gone:1", leader=False)
        db.session.commit()

    def instances(app) -> list[str]:
        Heartbeat(app, "host:1", JobRecord()).beat(leader=True)
        with app.app_context():
            return sorted(db.session.scalars(select(SchedulerHeartbeat.instance)))

    assert instances(app) == ["gone:1", "host:1"]  # kept a day by default
    assert instances(make_app(**_from_env(SCHEDULER_FORGET_SECONDS="3600"))) == ["host:1"]


MONITORING_ROWS = {
    "LOG_FORMAT": check_log_format,
    "LOG_LEVEL": check_log_level,
    "METRICS_ALLOWED_IPS": check_metrics_allowed_ips,
    "PROMETHEUS_MULTIPROC_DIR": check_prometheus_multiproc_dir,
    "READY_HEARTBEAT_SECONDS": check_ready_heartbeat_seconds,
    "SCHEDULER_HEARTBEAT_SECONDS": check_scheduler_heartbeat_seconds,
    "SCHEDULER_FORGET_SECONDS": check_scheduler_forget_seconds,
}
