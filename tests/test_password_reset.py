"""Password reset by emailed link, sent through a real SMTP server on loopback."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from coordinator.clock import now
from tests.factories import PASSWORD, make_user
from tests.web import WebClient

SAME_ANSWER = "If an account uses that email"


def deliver():
    """What the scheduler does every few seconds: send what is due (emails included)."""
    from coordinator.jobs import JOBS_BY_ID

    JOBS_BY_ID["deliver"].run()


@pytest.fixture
def smtp_app(make_app, smtp_server):
    app = make_app(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    with app.app_context():
        yield app


def reset_link(smtp_server, address: str) -> str:
    bodies = smtp_server.inbox.bodies_to(address)
    assert len(bodies) == 1, f"expected one email to {address}, got {len(bodies)}"
    return re.search(r"http://localhost(/password/reset/\S+)", bodies[0]).group(1)


def test_reset_by_emailed_link_then_sign_in_with_the_new_password(smtp_app, smtp_server):
    user = make_user(name="Maria Lopez")
    client = WebClient(smtp_app.test_client())
    other_device = WebClient(smtp_app.test_client())
    other_device.sign_in(user.email, PASSWORD)

    response = client.post("/password/forgot", {"email": user.email})

    deliver()
    assert response.status_code == 302
    assert SAME_ANSWER in client.get("/sign-in").get_data(as_text=True)
    message = smtp_server.inbox.messages[0]
    assert message["Subject"] == "Reset your Coordinator password"
    assert "Hello Maria" in message.get_payload(decode=True).decode()

    link = reset_link(smtp_server, user.email)
    form = client.get(link)
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    done = client.post(link, {"password": "a fresh new phrase"})
    assert done.status_code == 302
    assert client.get("/account").status_code == 200  # signed in by the reset
    assert other_device.get("/account").status_code == 302  # every other session ended

    fresh = WebClient(smtp_app.test_client())
    assert fresh.sign_in(user.email, PASSWORD).status_code == 422
    assert fresh.sign_in(user.email, "a fresh new phrase").status_code == 302


def test_a_reset_link_works_once(smtp_app, smtp_server):
    user = make_user()
    client = WebClient(smtp_app.test_client())
    client.post("/password/forgot", {"email": user.email})
    deliver()
    link = reset_link(smtp_server, user.email)
    assert client.post(link, {"password": "a fresh new phrase"}).status_code == 302
    again = WebClient(smtp_app.test_client()).get(link)
    assert again.status_code == 410
    assert "expired or was already used" in again.get_data(as_text=True)


def test_a_reset_link_expires_after_an_hour(smtp_app, smtp_server):
    user = make_user()
    client = WebClient(smtp_app.test_client())
    client.post("/password/forgot", {"email": user.email})
    deliver()
    link = reset_link(smtp_server, user.email)
    with time_machine.travel(now() + timedelta(minutes=61), tick=False):
        assert client.post(link, {"password": "a fresh new phrase"}).status_code == 410
    assert WebClient(smtp_app.test_client()).sign_in(user.email, PASSWORD).status_code == 302


def test_unknown_email_gets_the_same_answer_and_no_email(smtp_app, smtp_server):
    client = WebClient(smtp_app.test_client())
    response = client.post("/password/forgot", {"email": "nobody@example.org"})
    deliver()
    assert response.status_code == 302
    assert SAME_ANSWER in client.get("/sign-in").get_data(as_text=True)
    assert smtp_server.inbox.messages == []


def test_a_weak_new_password_is_refused_and_the_link_still_works(smtp_app, smtp_server):
    user = make_user()
    client = WebClient(smtp_app.test_client())
    client.post("/password/forgot", {"email": user.email})
    deliver()
    link = reset_link(smtp_server, user.email)
    weak = client.post(link, {"password": "short"})
    assert weak.status_code == 422
    assert "Use at least 10 characters." in weak.get_data(as_text=True)
    assert client.post(link, {"password": "a fresh new phrase"}).status_code == 302


def test_console_mailer_prints_the_email(client, capsys):
    user = make_user()
    client.post("/password/forgot", {"email": user.email})
    deliver()
    printed = capsys.readouterr().out
    assert f"To: {user.email}" in printed
    assert "/password/reset/" in printed


def test_a_reset_email_survives_the_mail_server_being_down(make_app, smtp_server):
    from sqlalchemy import select

    from coordinator.extensions import db
    from coordinator.models import Message
    from tests.smtp import free_port

    down = make_app(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=1)
    with down.app_context():
        email = make_user().email
        WebClient(down.test_client()).post("/password/forgot", {"email": email})
        deliver()
        message = db.session.scalar(select(Message).where(Message.kind == "password_reset"))
        assert message.status == "pending" and message.attempts == 1 and message.error_code == "smtp"
    up = make_app(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    with up.app_context(), time_machine.travel(now() + timedelta(minutes=2), tick=False):
        deliver()
    assert len(smtp_server.inbox.bodies_to(email)) == 1
