"""Sign-in and reset throttles: per account and per address, in memory or shared through Redis."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import requests

from coordinator.extensions import db
from tests.factories import PASSWORD, make_user
from tests.processes import Process
from tests.web import WebClient, csrf_from


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


@contextmanager
def _served(database_url: str, **settings: str) -> Iterator[str]:
    """The app in a process of its own (`flask run`), as one gunicorn worker is: its own memory, its own limiter."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RATELIMIT", "DATABASE_URL"))}
    env.update(APP_ENV="testing", DATABASE_URL=database_url, PYTHONUNBUFFERED="1", **settings)
    server = Process(["run", "--port", "0"], env)
    try:
        assert server.wait_for("Running on http://"), "\n".join(server.lines)
        started = next(line for line in server.lines if "Running on http://" in line)
        yield re.search(r"http://[\d.]+:\d+", started).group(0)
    finally:
        server.stop()


def _sign_in_over_http(base: str, email: str, password: str) -> int:
    browser = requests.Session()
    token = csrf_from(browser.get(f"{base}/sign-in", timeout=30).text)
    answer = browser.post(
        f"{base}/sign-in",
        data={"csrf_token": token, "email": email, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    return answer.status_code


def _two_workers_count_wrong_passwords(app, store: str) -> list[int]:
    """Five wrong passwords spread over two processes; then a sixth and the right one through each."""
    email = make_user().email
    db.session.commit()
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    settings = {"RATELIMIT_STORAGE_URI": store, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    with _served(database_url, **settings) as first, _served(database_url, **settings) as second:
        spread = [_sign_in_over_http(first if n % 2 else second, email, "wrong") for n in range(5)]
        assert spread == [422] * 5
        return [
            _sign_in_over_http(first, email, "wrong"),
            _sign_in_over_http(second, email, "wrong"),
            _sign_in_over_http(first, email, PASSWORD),
            _sign_in_over_http(second, email, PASSWORD),
        ]


def test_two_app_processes_share_the_count_through_redis(app):
    """The review's finding: a locked account signed in through another worker. With Redis it can't."""
    url = "redis://127.0.0.1:6379/15"
    _redis_or_skip(url)
    assert _two_workers_count_wrong_passwords(app, url) == [429, 429, 429, 429]


def test_memory_counts_per_process_which_is_why_production_must_choose(app):
    """The same five wrong passwords with memory://: each process saw only some, so the right one gets in."""
    assert 302 in _two_workers_count_wrong_passwords(app, "memory://")
