"""A failing request never writes a phone number, email, address, message body or token to the log.

The outside review found the SQL parameters of any database error in the error log (a full +1 number
and the text of an SMS). Here a real request fails inside a real INSERT that carries all of those,
on SQLite and PostgreSQL (whose error text repeats the failing row), with every logger at DEBUG, and
the captured log is scanned. The last test turns `hide_parameters` off and shows the scan then finds
the values, so the scan itself can fail.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import insert

from coordinator.extensions import db
from coordinator.log_privacy import error_summary, scrub
from coordinator.models.inbound import InboundMessage
from tests.factories import make_circle
from tests.sms import SMS_SETTINGS, signed_post

PHONE = "+12025550111"
NATIONAL = ("(202) 555-0111", "202-555-0111", "2025550111", "555-0111")
EMAIL = "maria.lopez@example.org"
ADDRESS = "12 Elm Street"
TOKEN = "tok3nZq9V1xRw8YpLm2K"
BODY = f"Chemo moved to Friday, pick me up at {ADDRESS} or write {EMAIL}; code {TOKEN}"
SECRETS = (PHONE, PHONE.lstrip("+"), *NATIONAL, EMAIL, ADDRESS, TOKEN, "Chemo moved")


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS


def _insert_that_fails(**values) -> None:
    """A real statement the database refuses (no provider id), carrying the values as parameters."""
    db.session.execute(
        insert(InboundMessage).values(provider_id=None, command="", reply=f"call {NATIONAL[0]}", **values)
    )


def _capture_everything(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "werkzeug", "coordinator", "flask"):
        caplog.set_level(logging.DEBUG, logger=name)


def _leaks(caplog) -> list[str]:
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    return [secret for secret in SECRETS if secret in logged]


def _fail_an_inbound_text(client, monkeypatch):
    def failing_handle(*, provider_id: str, from_number: str, body: str) -> str:
        _insert_that_fails(from_number=from_number, body=body)
        return "never"

    monkeypatch.setattr("coordinator.web.sms.inbound_handle", failing_handle)
    return signed_post(client, "/sms/inbound", {"MessageSid": "SM" + "1" * 32, "From": PHONE, "Body": BODY})


def test_a_database_error_on_an_inbound_text_logs_no_number_body_email_or_address(client, monkeypatch, caplog):
    _capture_everything(caplog)

    response = _fail_an_inbound_text(client, monkeypatch)

    assert response.status_code == 500
    assert "Unhandled error on POST /sms/inbound" in caplog.text  # the failure is logged, by its route
    assert "inbound_messages" in caplog.text  # and says which table refused
    assert _leaks(caplog) == []


def test_a_failing_page_whose_address_carries_a_token_logs_the_route_not_the_token(app, client, monkeypatch, caplog):
    _capture_everything(caplog)

    def failing_lookup(token: str):
        _insert_that_fails(from_number=PHONE, body=token)

    monkeypatch.setattr("coordinator.web.invitations.invitation_by_token", failing_lookup)
    response = client.raw.get(f"/i/{TOKEN}")

    assert response.status_code == 500
    assert "Unhandled error on GET /i/<token>" in caplog.text
    assert _leaks(caplog) == []


def test_a_failing_job_logs_no_values(app, runner, monkeypatch, caplog):
    """A scheduled job's error goes through the same summary as a request's."""
    from coordinator.jobs import JOBS
    from coordinator.jobs.runner import run_job

    make_circle()
    db.session.commit()
    _capture_everything(caplog)
    job = JOBS[0]
    monkeypatch.setattr(type(job), "run", lambda self: _insert_that_fails(from_number=PHONE, body=BODY))

    assert run_job(app, job) is None

    assert f"Job {job.id} failed" in caplog.text
    assert _leaks(caplog) == []


def test_the_scan_finds_the_values_when_parameters_are_shown(make_app, monkeypatch, caplog):
    """The same failure with hide_parameters off: the values reach the log, so the scans above can fail."""
    app = make_app(**SMS_SETTINGS, SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": False})
    _capture_everything(caplog)
    with app.app_context():
        response = _fail_an_inbound_text(app.test_client(), monkeypatch)

    assert response.status_code == 500
    assert PHONE in _leaks(caplog)


def test_every_app_hides_parameters_whatever_engine_options_a_test_or_host_adds(make_app):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
    with app.app_context():
        assert db.engine.hide_parameters is True


def test_other_errors_keep_their_message_with_numbers_and_emails_replaced():
    summary = error_summary(ValueError(f"no user with {PHONE} or {EMAIL} on 2026-05-01 (id 42)"))

    assert summary == "ValueError: no user with [phone] or [email] on 2026-05-01 (id 42)"
    assert scrub(f"call {NATIONAL[0]} or {NATIONAL[1]}") == "call [phone] or [phone]"
    assert not re.search(r"\d{3}.\d{4}", scrub("+44 20 7946 0958"))
