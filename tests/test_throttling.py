"""Sign-in and reset throttles: per account and per address, in memory or shared through Redis."""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.factories import PASSWORD, make_user
from tests.web import WebClient


def attempt(client, email, password, ip="10.0.0.1"):
    return client.post("/sign-in", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


def test_an_account_is_throttled_after_five_wrong_passwords_from_any_address(client):
    user = make_user()
    for n in range(5):
        assert attempt(client, user.email, "wrong", ip=f"10.0.1.{n}").status_code == 422
    blocked = attempt(client, user.email, PASSWORD, ip="10.0.2.1")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_successful_sign_ins_do_not_count_against_the_account(app):
    user = make_user()
    for _ in range(7):
        browser = WebClient(app.test_client())
        assert attempt(browser, user.email, PASSWORD).status_code == 302


def test_an_address_is_throttled_across_accounts(client):
    for n in range(20):
        assert attempt(client, f"guess{n}@example.org", "wrong", ip="10.9.9.9").status_code == 422
    assert attempt(client, "guess-last@example.org", "wrong", ip="10.9.9.9").status_code == 429
    assert attempt(client, "guess-last@example.org", "wrong", ip="10.9.9.10").status_code == 422


def test_the_unknown_email_is_throttled_like_a_known_one(client):
    for _ in range(5):
        attempt(client, "nobody@example.org", "wrong")
    assert attempt(client, "nobody@example.org", "wrong", ip="10.0.0.2").status_code == 429


def _redis_or_skip(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")


def test_two_app_processes_share_the_count_through_redis(make_app):
    url = "redis://127.0.0.1:6379/15"
    _redis_or_skip(url)
    settings = {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first, second = make_app(**settings), make_app(**settings)
    with first.app_context():
        email = make_user().email
    for n in range(5):
        app = first if n % 2 else second
        assert attempt(WebClient(app.test_client()), email, "wrong").status_code == 422
    assert attempt(WebClient(first.test_client()), email, PASSWORD).status_code == 429
    assert attempt(WebClient(second.test_client()), email, PASSWORD).status_code == 429
