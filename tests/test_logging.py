"""The logs of the main journeys, at DEBUG, hold no phone number, email, address, token or message body,
and every line of a request carries its id.

One run goes through registering (by the emailed link), signing in, posting a need with an address,
claiming its task on the web, texting the service (a command and a stray message, through the signed
webhook), a password reset by email (through a real SMTP server on loopback) and the dispatcher sending
texts to the fake Twilio, with every logger at DEBUG. What a host would read (the handler
logging_setup installs, in both formats) and everything pytest caught are scanned for each value used.
Then the scheduler runs as a real process in production's JSON format, and its stderr is scanned too.
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from config import BASE_DIR
from coordinator.extensions import db
from coordinator.jobs import JOBS_BY_ID
from coordinator.jobs.runner import run_job
from coordinator.logging_setup import Masking, log_handler, request_id_from
from coordinator.models import InboundMessage, Message
from coordinator.models.circles import SUPPORTER
from coordinator.services.texting.messages import message_queue
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.fake_twilio import FakeTwilio
from tests.processes import ACCOUNT, command_env
from tests.sms import SMS_SETTINGS, TOKEN, text_in
from tests.web import WebClient

SUPPORTER_PHONE = "+12025550143"
PHONE_FORMS = (SUPPORTER_PHONE, SUPPORTER_PHONE.lstrip("+"), "2025550143", "(202) 555-0143", "202-555-0143")
COORDINATOR_EMAIL = "daniel.lopez@example.org"
SUPPORTER_EMAIL = "sam.carter@example.org"
NEW_EMAIL = "newcomer.person@example.org"
ADDRESS = "4417 Juniper Hollow Road"
STRAY_TEXT = "which ride was that again, the one on Juniper xq7"
REQUEST_ID = "lb-7f3a9c21e4d84b6a"


@pytest.fixture
def captured():
    """What a host would read, in both formats: logging_setup's handler on in-memory streams, at DEBUG."""
    root = logging.getLogger()
    streams = {"text": io.StringIO(), "json": io.StringIO()}
    handlers = [log_handler(kind, stream) for kind, stream in streams.items()]
    level = root.level
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield streams
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def everything_at_debug(caplog):
    caplog.set_level(logging.WARNING, logger="mail.log")  # the test's own SMTP server (aiosmtpd), not the app
    caplog.set_level(logging.DEBUG)  # after: set_level also sets the capturing handler's level
    for name in ("sqlalchemy", "sqlalchemy.engine", "werkzeug", "coordinator", "flask", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def fake():
    with FakeTwilio(auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def journey_app(make_app, fake, smtp_server):
    app = make_app(
        **SMS_SETTINGS,
        SMS_BACKEND="twilio",
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake.base_url,
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.port,
        SMS_DEFAULT_QUIET_START="00:00",
        SMS_DEFAULT_QUIET_END="00:00",
        LOG_LEVEL="DEBUG",
    )
    with app.app_context():
        yield app


def _link(path_prefix: str, body: str) -> str:
    return re.search(rf"https?://[^/\s]+({path_prefix}\S+)", body).group(1)


def _deliver(app) -> None:
    run_job(app, JOBS_BY_ID["deliver"])


def _journeys(app, fake, smtp_server) -> dict[str, list[str]]:
    """Every main journey once; returns the tokens and words used, to look for in the logs."""
    tokens: list[str] = []
    visitor = WebClient(app.test_client())
    visitor.post("/register", {"name": "Newcomer Person", "email": NEW_EMAIL})
    (registration,) = db.session.scalars(select(Message).where(Message.kind == "registration")).all()
    finish = _link("/register/finish/", registration.body)
    tokens.append(finish.rsplit("/", 1)[-1])
    assert visitor.post(finish, {"password": "a long new passphrase"}).status_code == 302

    coordinator = make_user(name="Daniel Lopez", email=COORDINATOR_EMAIL)
    supporter = make_user(name="Sam Carter", email=SUPPORTER_EMAIL, phone=SUPPORTER_PHONE)
    circle = make_circle(coordinator=coordinator)
    add_member(circle, supporter, SUPPORTER)
    desk = WebClient(app.test_client())
    signed_in = desk.post(
        "/sign-in", {"email": COORDINATOR_EMAIL, "password": PASSWORD}, headers={"X-Request-ID": REQUEST_ID}
    )
    assert signed_in.status_code == 302 and signed_in.headers["X-Request-ID"] == REQUEST_ID
    tokens.append(desk.cookie())
    need = make_need(circle, coordinator, title="Ride to chemo", address=ADDRESS)
    helper = WebClient(app.test_client())
    assert helper.sign_in(SUPPORTER_EMAIL, PASSWORD).status_code == 302
    tokens.append(helper.cookie())
    task = first_task(need)
    home = f"/circles/{circle.id}"
    assert helper.post(f"{home}/tasks/{task.id}/claim", form_url=f"{home}/tasks/{task.id}").status_code == 302

    replies = [
        text_in(app.test_client(), SUPPORTER_PHONE, "MINE"),
        text_in(app.test_client(), SUPPORTER_PHONE, STRAY_TEXT),
    ]
    assert all(replies)

    forgot = WebClient(app.test_client())
    assert forgot.post("/password/forgot", {"email": SUPPORTER_EMAIL}).status_code == 302
    message_queue(
        channel="sms", to_address=SUPPORTER_PHONE, kind="welcome", key="log-scan", body=f"Pick up at {ADDRESS}"
    )
    db.session.commit()
    _deliver(app)
    assert fake.messages_to(SUPPORTER_PHONE), "the dispatcher sent nothing, so the scan would prove little"
    (reset_mail,) = smtp_server.inbox.bodies_to(SUPPORTER_EMAIL)
    reset = _link("/password/reset/", reset_mail)
    tokens.append(reset.rsplit("/", 1)[-1])
    assert forgot.post(reset, {"password": "another long passphrase"}).status_code == 302
    db.session.expire_all()
    bodies = [m.body for m in db.session.scalars(select(Message)) if len(m.body) >= 12]
    bodies += [m.body for m in db.session.scalars(select(InboundMessage))]
    return {"tokens": [t for t in tokens if t], "bodies": bodies}


def _secrets(used: dict[str, list[str]]) -> list[str]:
    return [*PHONE_FORMS, COORDINATOR_EMAIL, SUPPORTER_EMAIL, NEW_EMAIL, ADDRESS, *used["tokens"], *used["bodies"]]


def test_the_main_journeys_log_no_number_email_address_token_or_body(
    journey_app, fake, smtp_server, captured, everything_at_debug
):
    used = _journeys(journey_app, fake, smtp_server)

    assert len(used["tokens"]) == 4 and len(used["bodies"]) >= 4
    logs = {
        "text": captured["text"].getvalue(),
        "json": captured["json"].getvalue(),
        "caught by pytest": everything_at_debug.text,
    }
    assert {where: len(logged.splitlines()) > 200 for where, logged in logs.items()} == dict.fromkeys(logs, True)
    leaks = {where: [s for s in _secrets(used) if s in logged] for where, logged in logs.items()}
    assert leaks == {where: [] for where in logs}


def test_a_requests_lines_carry_the_id_the_proxy_sent_and_the_response_echoes_it(client, captured):
    response = client.raw.get("/sign-in", headers={"X-Request-ID": REQUEST_ID})

    assert response.headers["X-Request-ID"] == REQUEST_ID
    lines = [json.loads(line) for line in captured["json"].getvalue().splitlines()]
    own = [line for line in lines if line["request_id"] == REQUEST_ID]
    assert any(line["message"].startswith("GET accounts.sign_in 200") for line in own)
    assert own and all(line["run_id"] is None for line in own)
    assert f"[{REQUEST_ID}] GET accounts.sign_in 200" in captured["text"].getvalue()


def test_a_request_without_a_usable_id_gets_a_new_one(client):
    first = client.raw.get("/healthz").headers["X-Request-ID"]
    second = client.raw.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    phone = client.raw.get("/healthz", headers={"X-Request-ID": "+12025550143"}).headers["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second) and first != second
    assert phone != "+12025550143"
    assert request_id_from("x" * 65) != "x" * 65 and request_id_from("short") != "short"


def test_the_masking_formatter_is_what_keeps_a_careless_line_clean():
    record = logging.LogRecord("coordinator.x", logging.INFO, __file__, 1, "texting %s at %s (%s)", None, None)
    record.args = (SUPPORTER_PHONE, SUPPORTER_EMAIL, "GET /lookup?To=%2B12025550143")
    assert SUPPORTER_PHONE in logging.Formatter("%(message)s").format(record)  # unmasked, without it

    line = Masking(logging.Formatter("%(message)s")).format(record)

    assert line == "texting [phone] at [email] (GET /lookup?To=[phone])"
    assert SUPPORTER_PHONE in record.getMessage()  # the record itself is untouched, for other handlers


def test_the_scheduler_in_production_format_writes_json_lines_with_run_ids_and_nothing_personal(journey_app, fake):
    supporter = make_user(name="Sam Carter", email=SUPPORTER_EMAIL, phone=SUPPORTER_PHONE)
    body = f"Reminder: ride from {ADDRESS} tomorrow 9am"
    message_queue(channel="sms", to_address=supporter.phone, kind="welcome", key="sched-scan", body=body)
    db.session.commit()
    env = command_env(
        journey_app.config["SQLALCHEMY_DATABASE_URI"],
        fake.base_url,
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
        SMS_SENDS_PER_SECOND="1000",
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_ACCOUNT_SID=ACCOUNT,
    )
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "tick"],
        cwd=Path(BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert fake.messages_to(SUPPORTER_PHONE), "the tick sent nothing"
    lines = [json.loads(line) for line in done.stderr.splitlines()]  # every line is one JSON object
    assert len(lines) > 50 and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any((line["run_id"] or "").startswith("deliver-") for line in lines)
    assert [s for s in (*PHONE_FORMS, SUPPORTER_EMAIL, ADDRESS, body) if s in done.stderr] == []
