"""The fleet: two web hosts behind nginx, two schedulers, two dispatchers, Redis, PostgreSQL, fake Twilio.

Fifty people use it through nginx for over a minute: supporters race for scarce tasks on the web and
by text, coordinators watch their pages, and someone guesses one account's password through both
hosts. Midway one web host (gunicorn master and workers) and the active scheduler die by SIGKILL.
Afterwards: no task oversold, every due text sent exactly once, the sixth wrong password refused
whichever host got it, no 5xx outside a few seconds around the kill, and the standby scheduler took
over and ran jobs. The figures are printed at the end (shown even without -s).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
import sqlalchemy as sa

from config import database_url_for_tests
from tests.fake_twilio import FakeTwilio
from tests.fleet import (
    Record,
    Service,
    free_port,
    gunicorn_host,
    nginx,
    nginx_binary,
    nginx_config,
    self_signed_certificate,
)
from tests.fleet_checks import Figures, outbox_left, pins_for, takeover_evidence, verdicts
from tests.fleet_people import Stage, coordinator, guesses, texting_supporter, web_supporter
from tests.fleet_seed import seed_fleet
from tests.processes import TOKEN, command_env
from tests.smtp import SmtpServer
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REDIS_URL = "redis://127.0.0.1:6379/13"
LOAD_SECONDS = 70  # at least a minute of fifty people
KILL_AT = 30  # seconds into the load


@pytest.fixture
def fleet_database():
    """A fresh PostgreSQL database of this test's own (the fleet needs PostgreSQL: advisory lock, SKIP LOCKED)."""
    server = database_url_for_tests()
    if not server:
        pytest.skip("the fleet runs on PostgreSQL: set TEST_DATABASE_URL (.ci/run does)")
    name = f"fleet_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def parts_here():
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx; .ci/run installs it)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install -y openssl): nginx needs a certificate")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")


def production_env(database_url: str, fake: FakeTwilio, smtp: SmtpServer, base: str) -> dict[str, str]:
    return command_env(
        database_url,
        fake.base_url,
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        PUBLIC_BASE_URL=base,
        TRUSTED_PROXIES="1",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"fleet-{uuid.uuid4().hex}",
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        MAIL_FROM="Fleet circle <care@example.org>",
        SMS_SENDS_PER_SECOND="100",
        SMS_SENDING_LEASE_SECONDS="6",  # a text a killed scheduler held is retried (after asking Twilio) soon
        SMS_RECONCILE_AFTER_SECONDS="2",
        TWILIO_TIMEOUT="3",  # production refuses a lease shorter than twice this
        DELIVER_EVERY_SECONDS="1",
    )


def test_a_fleet_loses_a_host_and_its_active_scheduler_under_load_and_nothing_is_oversold_or_doubled(
    fleet_database, parts_here, tmp_path, capsys, record_property
):
    nginx_port = free_port()
    base = f"https://127.0.0.1:{nginx_port}"
    cert, key = self_signed_certificate(tmp_path)
    with FakeTwilio(auth_token=TOKEN) as fake, SmtpServer() as smtp:
        env = production_env(fleet_database, fake, smtp, base)
        release = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=env, capture_output=True, text=True
        )
        assert release.returncode == 0, release.stdout + release.stderr
        seeded = seed_fleet(fleet_database)
        services: list[Service] = []
        try:
            figures = run_fleet(env, seeded, services, tmp_path, base, cert, key, nginx_port, fake)
        finally:
            for service in reversed(services):
                service.stop()
        figures.emails_received = len(smtp.inbox.messages)
        figures.fake_messages = list(fake.received)
    summary = verdicts(figures, fleet_database)
    record_property("fleet", summary.text)
    with capsys.disabled():
        print("\n" + summary.text, file=sys.stderr)
    assert not summary.failures, "\n".join(summary.failures) + "\n\n" + summary.text


def run_fleet(env, seeded, services, tmp_path, base, cert, key, nginx_port, fake) -> Figures:
    ports = [free_port(), free_port()]
    hosts = [gunicorn_host(f"host-{n}", port, env) for n, port in zip("ab", ports)]
    services.extend(hosts)
    for host in hosts:
        assert host.wait_for("Booting worker", times=2), host.tail()
    proxy = nginx(tmp_path, nginx_config(tmp_path, port=nginx_port, upstreams=ports, cert=cert, key=key))
    services.append(proxy)
    record = Record()
    stage = Stage(base, cert, seeded.circle_id, seeded.task_ids, record, threading.Event())
    pins = pins_for(stage, ports)
    assert pins, proxy.tail() + "\n" + "\n".join(h.tail() for h in hosts)
    schedulers = [Service.flask(f"scheduler-{n}", ["scheduler", "run"], env) for n in (1, 2)]
    services.extend(schedulers)
    assert wait_until(lambda: any(s.count("This scheduler is active.") for s in schedulers), seconds=60), "\n".join(
        s.tail() for s in schedulers
    )
    leader = next(s for s in schedulers if s.count("This scheduler is active."))
    standby = next(s for s in schedulers if s is not leader)
    assert standby.wait_for("Another scheduler is active"), standby.tail()
    dispatchers = [
        Service.flask(f"dispatcher-{n}", ["sms", "dispatch", "--forever", "--idle-seconds", "0.5"], env) for n in (1, 2)
    ]
    services.extend(dispatchers)
    for dispatcher in dispatchers:
        assert dispatcher.wait_for("Dispatching until stopped."), dispatcher.tail()
    figures = Figures(seeded=seeded, ports=ports, pins=pins)
    figures.reminders = seeded.queue_reminders(fleet_seconds=LOAD_SECONDS)
    threads = people(stage, seeded)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    stage.stop.wait(5)  # people need real time to sign in and start racing before the guessing
    figures.guesses = guesses(
        stage, seeded.target_email, "not the password", seeded.password, [pins[p] for p in ports * 3]
    )
    stage.stop.wait(max(0.0, started + KILL_AT - time.monotonic()))  # the load runs on its own clock
    seeded.leave_an_expired_invitation()  # only a running scheduler's expire_invitations job will mark it
    figures.killed_at = time.monotonic()
    hosts[0].kill()
    leader.kill()
    stage.stop.wait(max(0.0, started + LOAD_SECONDS - time.monotonic()))
    stage.stop.set()
    for thread in threads:
        thread.join(timeout=120)
    figures.load_seconds = time.monotonic() - started
    figures.people = len(threads)
    assert wait_until(lambda: outbox_left(seeded.url) == 0, seconds=120), f"{outbox_left(seeded.url)} texts left due"
    figures.takeover = takeover_evidence(standby, seeded, figures.killed_at)
    figures.record = record
    figures.fake_requests = fake.requests
    return figures


def people(stage: Stage, seeded) -> list[threading.Thread]:
    threads = []
    for n, email in enumerate(seeded.web_emails):
        args = (stage, f"127.0.1.{n + 1}", email, seeded.password, n)
        threads.append(threading.Thread(target=web_supporter, args=args, daemon=True))
    for n, phone in enumerate(seeded.texting_phones):
        args = (stage, f"127.0.2.{n + 1}", phone, 100 + n)
        threads.append(threading.Thread(target=texting_supporter, args=args, daemon=True))
    for n, email in enumerate(seeded.coordinator_emails):
        args = (stage, f"127.0.4.{n + 1}", email, seeded.password, 200 + n)
        threads.append(threading.Thread(target=coordinator, args=args, daemon=True))
    return threads
