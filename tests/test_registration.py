"""Registering in two steps, answering the same whether or not the email already has an account.

"That email already has an account" told anyone that a person was in a
cancer-support circle. Now step one (name and email) always answers "check
your email"; the email holds a link to choose a password (a new address) or
says someone tried to sign up (an account's owner).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Event, User
from tests.factories import PASSWORD, make_user
from tests.registering import emailed_link, register
from tests.sms import outbox
from tests.web import WebClient

CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')
NEW_PASSWORD = "a long enough password"


def start(client, url: str = "/register", **fields):
    return client.post(url, {"name": "Maria Lopez", "email": "maria@example.org", **fields})


def register_maria(client, url: str = "/register"):
    return register(client, name="Maria Lopez", email="maria@example.org", password=NEW_PASSWORD, url=url)


def test_registering_by_the_emailed_link_signs_you_in_and_leads_to_starting_a_circle(client):
    sent = start(client, email="  Maria@Example.ORG ")
    assert sent.headers["Location"] == "/register/sent"
    assert "Check your email" in client.get("/register/sent").get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0  # nothing is stored before the password
    (message,) = outbox(to="maria@example.org")
    assert message.channel == "email" and message.subject == "Finish signing up to Coordinator"
    assert "Hello Maria" in message.body
    link = emailed_link("maria@example.org")
    page = client.get(link)
    assert page.status_code == 200 and "Choose a password" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = client.post(link, {"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/circles/new")
    user = db.session.scalar(select(User))
    assert (user.name, user.email) == ("Maria Lopez", "maria@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert "Start a circle" in client.get("/circles/new").get_data(as_text=True)
    assert db.session.scalar(select(Event.kind)) == "account.registered"


def test_an_existing_email_gets_the_same_answer_and_its_owner_an_email(app):
    owner = make_user(name="Maria Lopez", email="maria@example.org")
    password_hash = owner.password_hash
    answers = []
    for email in ("maria@example.org", "someone.new@example.org"):
        client = WebClient(app.test_client())
        response = start(client, email=email)
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], CSRF.sub("", page.get_data(as_text=True))))
    assert answers[0] == answers[1]
    (warning,) = outbox(to="maria@example.org")
    assert warning.subject == "Someone tried to sign up with your email"
    assert "http://localhost/sign-in" in warning.body and "http://localhost/password/forgot" in warning.body
    assert "/register/finish/" not in warning.body
    assert db.session.scalar(select(func.count(User.id))) == 1
    db.session.refresh(owner)
    assert owner.password_hash == password_hash  # nothing about the account changed
    recorded = db.session.scalar(select(Event).where(Event.kind == "account.registration_attempted"))
    assert recorded.subject_id == owner.id and recorded.circle_id is None
    assert WebClient(app.test_client()).sign_in("maria@example.org", PASSWORD).status_code == 302  # still works


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Tell us your name."),
        ({"email": "not-an-email"}, "Enter an email address like name@example.com."),
    ],
)
def test_a_bad_name_or_email_says_what_is_wrong_and_keeps_what_was_typed(client, fields, message):
    response = start(client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    if fields.get("email"):
        assert 'value="not-an-email"' in html
    else:
        assert 'value="maria@example.org"' in html
    assert outbox() == []


def test_a_too_long_name_and_a_bad_email_are_both_said_after_one_tap(client):
    response = start(client, name="M" * 130, email="not-an-email")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter an email address like name@example.com." in html and 'href="#name"' in html
    assert outbox() == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 10 characters."),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("x" * 300, "Use at most 256 characters."),
    ],
)
def test_a_bad_password_at_step_two_says_what_is_wrong(client, password, message):
    start(client)
    response = client.post(emailed_link("maria@example.org"), {"password": password})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_link_used_twice_says_you_have_an_account_and_offers_sign_in(app, client):
    start(client)
    link = emailed_link("maria@example.org")
    assert client.post(link, {"password": NEW_PASSWORD}).status_code == 302
    again = WebClient(app.test_client())
    page = again.get(link)
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "You already have an account" in html and 'href="/sign-in"' in html
    assert again.post(link, {"password": "another long password"}).status_code == 409
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_an_expired_or_broken_link_says_how_to_start_again(client):
    start(client)
    link = emailed_link("maria@example.org")
    with time_machine.travel(now() + timedelta(hours=2, minutes=1), tick=False):
        expired = client.get(link)
    assert expired.status_code == 410
    assert "expired" in expired.get_data(as_text=True) and 'href="/register"' in expired.get_data(as_text=True)
    broken = client.get(link[:-3] + "abc")
    assert broken.status_code == 410 and "Start again" in broken.get_data(as_text=True)
    assert client.post(link[:-3] + "abc", {"password": NEW_PASSWORD}).status_code == 410
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_registering_carries_on_where_it_was_heading(client):
    done = register_maria(client, url="/register?next=/account")
    assert done.headers["Location"] == "/account"


def test_an_outside_next_is_ignored(client):
    done = register_maria(client, url="/register?next=https://evil.example/")
    assert done.headers["Location"].endswith("/circles/new")


def test_trying_it_out_locally_says_where_the_email_went(make_app):
    """With `make run` nothing is really emailed: the page says the link is printed where the server runs."""
    local = WebClient(make_app(APP_ENV="development", MAIL_BACKEND="console").test_client())
    assert "printed in the terminal" in local.get("/register/sent").get_data(as_text=True)
    hosted = WebClient(make_app(APP_ENV="production", MAIL_BACKEND="smtp").test_client())
    assert "printed in the terminal" not in hosted.get("/register/sent").get_data(as_text=True)
