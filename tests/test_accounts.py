"""Registering, signing in and out, and passwords, as a person using the site sees them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import UserSession
from tests.factories import PASSWORD, make_user
from tests.web import WebClient


def test_sign_in_with_the_right_password(client):
    user = make_user()
    response = client.sign_in(user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/circles/")
    assert client.get("/account").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    user = make_user()
    wrong = client.sign_in(user.email, "not the password")
    unknown = client.sign_in("nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 (typed values differ)
    assert strip(wrong.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert "don&#39;t match an account" in wrong.get_data(as_text=True)


def test_supporter_without_a_password_cannot_sign_in_with_one(client):
    user = make_user(password=None)
    assert client.sign_in(user.email, "").status_code == 422
    assert client.sign_in(user.email, "anything at all").status_code == 422


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account", "/account"),
        ("https://evil.example/steal", "/circles/"),
        ("//evil.example/steal", "/circles/"),
        ("/\\evil.example", "/circles/"),
        ("javascript:alert(1)", "/circles/"),
    ],
)
def test_next_only_returns_to_this_site(client, next_url, expected):
    user = make_user()
    response = client.post(f"/sign-in?next={next_url}", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_pages_that_need_sign_in_send_you_there_and_back(client):
    user = make_user()
    response = client.get("/account")
    assert response.status_code == 302
    assert "/sign-in?next=%2Faccount" in response.headers["Location"]
    signed_in = client.post("/sign-in?next=/account", {"email": user.email, "password": PASSWORD})
    assert signed_in.headers["Location"] == "/account"


def test_a_cookie_copied_before_sign_out_no_longer_works(app, client):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    copied = client.cookie()
    assert client.get("/account").status_code == 200
    client.sign_out()
    thief = WebClient(app.test_client())
    thief.set_cookie(copied)
    response = thief.get("/account")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_cookie_lasts_as_long_as_the_sign_in_and_is_not_resent_on_every_page(app, client):
    """Written at sign-in to end when the session row does (30 days), then left alone while nothing in it changes."""
    user = make_user()
    signed_in = client.sign_in(user.email, PASSWORD)
    cookie = next(h for h in signed_in.headers.getlist("Set-Cookie") if h.startswith("session="))
    expires = datetime.strptime(re.search(r"Expires=([^;]+)", cookie).group(1), "%a, %d %b %Y %H:%M:%S GMT")
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert abs(expires.replace(tzinfo=UTC) - row.expires_at) < timedelta(minutes=1)
    client.get("/account")  # the first form page puts its CSRF token in the cookie once
    for path in ("/account", "/circles/", "/account"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == []  # nothing to sign, compress and send again


def test_sign_out_ends_every_other_session_too(app, client):
    user = make_user()
    phone = WebClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    phone.sign_in(user.email, PASSWORD)
    client.sign_out()
    assert phone.get("/account").status_code == 302
    live = db.session.scalar(select(func.count()).where(UserSession.revoked_at.is_(None)))
    assert live == 0


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client):
    user = make_user()
    laptop = WebClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    laptop.sign_in(user.email, PASSWORD)
    response = client.post("/account", {"current_password": PASSWORD, "password": "a brand new phrase"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302
    fresh = WebClient(app.test_client())
    assert fresh.sign_in(user.email, PASSWORD).status_code == 422
    assert fresh.sign_in(user.email, "a brand new phrase").status_code == 302


def test_changing_the_password_needs_the_current_one(client):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    response = client.post("/account", {"current_password": "wrong", "password": "a brand new phrase"})
    assert response.status_code == 422
    assert "That isn&#39;t your current password." in response.get_data(as_text=True)


def test_sessions_expire(client):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    with time_machine.travel(now() + timedelta(days=31), tick=False):
        assert client.get("/account").status_code == 302


def test_someone_who_joined_by_text_can_add_a_password_and_sign_in_with_their_number(app):
    from coordinator.models import User as UserModel
    from coordinator.services.people.sessions import session_start

    user = make_user(name="Sam Carter", email=None, phone="+12025550110", password=None)
    browser = WebClient(app.test_client())

    token = session_start(user=db.session.get(UserModel, user.id), method="sms_code")
    db.session.commit()
    with browser.raw.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    page = browser.get("/account").get_data(as_text=True)
    assert "Set a password (optional)" in page
    assert browser.post("/account", {"password": "short"}).status_code == 422
    assert browser.post("/account", {"password": "sam drives on tuesdays"}).status_code == 302
    fresh = WebClient(app.test_client())
    assert fresh.sign_in("(202) 555-0110", "sam drives on tuesdays").status_code == 302
    assert WebClient(app.test_client()).sign_in("(202) 555-0110", "wrong").status_code == 422
