"""/metrics: Prometheus text, only for the addresses the host allows, with the named series adding up;
the database's part costs a fixed number of queries; under two real gunicorn workers the counts add up."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from config import BASE_DIR, ConfigError
from coordinator.clock import now
from coordinator.extensions import db
from coordinator.jobs import JOBS_BY_ID
from coordinator.jobs.runner import run_job
from coordinator.models.messages import Message, MessageStatus
from coordinator.services.operations.heartbeats import heartbeat_write
from coordinator.services.texting.messages import message_queue
from tests.fake_twilio import FakeTwilio, error
from tests.processes import command_env
from tests.queries import counting
from tests.smtp import free_port
from tests.waiting import wait_until

OUTSIDER = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def samples(exposition: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(scraped, name: str, **labels) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_a_404_for_anyone_not_allowed(client):
    assert client.get("/metrics", environ_base=OUTSIDER).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1


def test_behind_a_proxy_the_allow_list_is_about_the_scraper_not_the_proxy(make_app):
    proxied = {"TRUSTED_PROXIES": 1, "METRICS_ALLOWED_IPS": "10.0.0.0/8"}
    client = make_app(**proxied).test_client()

    assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    assert client.get("/metrics").status_code == 404  # the proxy itself (127.0.0.1) is not on the list


def test_a_mistyped_allow_list_stops_the_app_starting(make_app):
    with pytest.raises(ConfigError, match="METRICS_ALLOWED_IPS"):
        make_app(METRICS_ALLOWED_IPS="10.0.0.0/8,not-an-address")


def test_requests_are_counted_by_route_name_and_status(client):
    before = scrape(client)
    for _ in range(3):
        client.get("/healthz")
    client.get("/i/not-a-real-token-xyz")
    client.get("/no/such/page")

    after = scrape(client)
    counted = "coordinator_http_requests_total"
    assert (
        value(after, counted, endpoint="home.healthz", method="GET", status="200")
        - value(before, counted, endpoint="home.healthz", method="GET", status="200")
        == 3
    )
    assert value(after, counted, endpoint="(none)", method="GET", status="404") >= 1
    assert not any("not-a-real-token" in str(key) for key in after)  # route names, never paths
    latency = "coordinator_http_request_duration_seconds_count"
    assert value(after, latency, endpoint="home.healthz") - value(before, latency, endpoint="home.healthz") == 3


def _queue(n: int, *, status: str = MessageStatus.PENDING, due_minutes_ago: float = 0, prefix: str = "m"):
    due = now() - timedelta(minutes=due_minutes_ago)
    for i in range(n):
        message_queue(
            channel="sms", to_address="+12025550150", kind="welcome", key=f"{prefix}{i}", body="Hello there", due_at=due
        )
    db.session.execute(
        update(Message).where(Message.idempotency_key.startswith(prefix)).values(status=status, due_at=due)
    )
    db.session.commit()


def test_the_outbox_and_the_scheduler_from_the_database(client):
    _queue(2, due_minutes_ago=5, prefix="old")
    _queue(1, prefix="new")
    _queue(1, status=MessageStatus.SENT, prefix="sent")
    message_queue(
        channel="sms",
        to_address="+12025550151",
        kind="welcome",
        key="later",
        body="Later",
        due_at=now() + timedelta(hours=1),
    )
    db.session.commit()
    started = now() - timedelta(seconds=30)
    heartbeat_write(
        instance="host:1",
        leader=True,
        jobs={"deliver": {"last_started_at": started.isoformat(), "seconds": 0.25, "ok": True}},
    )
    heartbeat_write(instance="host:2", leader=False)
    db.session.commit()

    scraped = scrape(client)

    assert value(scraped, "coordinator_messages", channel="sms", status="pending") == 4
    assert value(scraped, "coordinator_messages", channel="sms", status="sent") == 1
    assert value(scraped, "coordinator_outbox_due") == 3  # the one due in an hour is not due
    assert 299 <= value(scraped, "coordinator_outbox_oldest_due_age_seconds") < 400
    assert value(scraped, "coordinator_scheduler_instances", role="leader") == 1
    assert value(scraped, "coordinator_scheduler_instances", role="standby") == 1
    assert 0 <= value(scraped, "coordinator_scheduler_leader_heartbeat_age_seconds") < 30
    assert value(scraped, "coordinator_scheduler_job_duration_seconds", job="deliver") == 0.25
    assert value(scraped, "coordinator_scheduler_job_last_ok", job="deliver") == 1
    assert (
        abs(
            value(scraped, "coordinator_scheduler_job_last_started_timestamp_seconds", job="deliver")
            - started.timestamp()
        )
        < 1
    )


def test_a_scrape_costs_three_queries_however_much_there_is(app, client):
    with counting(db.engine) as empty:
        client.get("/metrics")
    _queue(30, due_minutes_ago=1)
    _queue(5, status=MessageStatus.FAILED, prefix="f")
    for n in range(4):
        heartbeat_write(instance=f"host:{n}", leader=n == 0, jobs={})
    db.session.commit()

    with counting(db.engine) as full:
        client.get("/metrics")

    assert len(empty) == len(full) == 3


@pytest.fixture
def fake():
    with FakeTwilio(auth_token="secret-token") as server:
        yield server


def test_dispatch_sends_and_provider_errors_by_code(make_app, client, fake):
    app = make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="secret-token",
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake.base_url,
        SMS_DEFAULT_QUIET_START="00:00",
        SMS_DEFAULT_QUIET_END="00:00",
    )
    fake.script(error(400, 21211))
    before = scrape(client)
    with app.app_context():
        _queue(3, due_minutes_ago=1)
        run_job(app, JOBS_BY_ID["deliver"])

    after = scrape(client)
    assert value(after, "coordinator_dispatch_sent_total") - value(before, "coordinator_dispatch_sent_total") == 2
    errors = "coordinator_dispatch_provider_errors_total"
    assert value(after, errors, code="21211") - value(before, errors, code="21211") == 1


@pytest.mark.timeout(90)
def test_under_two_gunicorn_workers_the_counts_add_up(app, tmp_path):
    port = free_port()
    directory = tmp_path / "prometheus"
    directory.mkdir()
    access = tmp_path / "access.log"
    log_file = access.open("w")
    env = command_env(
        app.config["SQLALCHEMY_DATABASE_URI"],
        "http://127.0.0.1:9",
        SMS_SENDS_PER_SECOND="1000",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        WEB_CONCURRENCY="2",
        WEB_THREADS="1",
        WEB_BIND=f"127.0.0.1:{port}",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=Path(BASE_DIR),
        env=env,
        stdout=log_file,  # gunicorn's access log: one line per request served, by route
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: _get(f"{base}/healthz") == 200, seconds=60), "gunicorn never answered"
        sent = {"n": 1}
        lock = threading.Lock()

        def hammer():
            for _ in range(20):
                if _get(f"{base}/healthz") == 200:
                    with lock:
                        sent["n"] += 1

        def both_workers_counted() -> bool:
            threads = [threading.Thread(target=hammer) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return len(list(directory.glob("counter_*.db"))) >= 2

        assert wait_until(both_workers_counted, seconds=60, every=0.1), "one worker answered everything"
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            scraped = samples(response.read().decode())
        counted = value(scraped, "coordinator_http_requests_total", endpoint="home.healthz", method="GET", status="200")
        assert counted >= sent["n"] > 40
        served = lambda: sum(1 for line in access.read_text().splitlines() if " /healthz 200 " in line)  # noqa: E731
        assert wait_until(lambda: served() == counted, seconds=10), (served(), counted)  # every worker's, added up
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log_file.close()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except OSError:
        return 0


def test_with_the_database_down_a_scrape_still_answers_and_says_so(tmp_path):
    """An outage is when the counters matter most: the scrape answers 200 with database_up 0, not a 500."""
    from coordinator import create_app
    from tests.databases import app_config

    client = create_app(app_config(f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite3'}")).test_client()
    client.get("/healthz")
    scraped = scrape(client)
    assert value(scraped, "coordinator_database_up") == 0
    assert value(scraped, "coordinator_http_requests_total", endpoint="home.healthz", method="GET", status="200") >= 1
    assert not any(name == "coordinator_outbox_due" for name, _ in scraped)


def test_with_the_database_up_it_says_so(client):
    assert value(scrape(client), "coordinator_database_up") == 1
