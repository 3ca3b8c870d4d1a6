"""Headers, CSRF, caching, size limits and error pages that every visitor relies on."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Base, User
from tests.factories import PASSWORD, first_task, make_circle, make_need, make_user
from tests.web import WebClient


def test_every_page_sends_the_security_headers(client):
    for url in ("/", "/sign-in", "/register", "/no-such-page", "/static/app.css"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] in {"same-origin", "no-referrer"}
        assert "Strict-Transport-Security" not in headers  # only in production


@pytest.fixture
def production_like():
    return {"HSTS_ENABLED": True}


def test_hsts_is_sent_when_enabled(make_app, production_like):
    app = make_app(**production_like)
    assert "max-age=" in app.test_client().get("/").headers["Strict-Transport-Security"]


def test_signed_in_pages_are_not_cached_and_public_ones_may_be(client):
    assert "no-store" not in client.get("/sign-in").headers.get("Cache-Control", "")
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    assert client.get("/account").headers["Cache-Control"] == "no-store"
    assert client.get("/circles/").headers["Cache-Control"] == "no-store"


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(client):
    response = client.raw.post(
        "/register", data={"name": "Mallory", "email": "m@example.org", "password": "a long enough password"}
    )
    assert response.status_code == 400
    assert "That form had expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_an_oversized_body_gets_413(client):
    response = client.raw.post("/register", data={"name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_an_unknown_page_gets_a_friendly_404(client):
    response = client.get("/nothing/here")
    assert response.status_code == 404
    assert "We couldn&#39;t find that page" in response.get_data(as_text=True)


def test_a_crash_shows_a_plain_page_without_a_stack_trace(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_get_requests_never_change_anything(client, app):
    """Visit every GET page as a signed-in coordinator; no table's row count may change."""
    user = make_user()
    circle = make_circle(coordinator=user)
    task = first_task(make_need(circle, user))
    values = {"circle_id": circle.id, "need_id": task.need_id, "task_id": task.id, "user_id": user.id}
    client.sign_in(user.email, PASSWORD)

    def counts():
        db.session.expire_all()
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}

    before = counts()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", lambda m: str(values.get(m.group(1), "not-a-token")), rule.rule)
        status = client.get(url).status_code
        # /readyz answers 503 on purpose here: no scheduler is running (tests/test_readiness.py)
        assert status < 500 or (rule.endpoint == "home.readyz" and status == 503)
    assert counts() == before


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(make_app):
    client = WebClient(make_app(TRUSTED_PROXIES=1).test_client())

    def attempt(n: int, address: str):
        data = {"email": f"a{n}@example.org", "password": "wrong"}
        return client.post("/sign-in", data, headers={"X-Forwarded-For": address}).status_code

    assert [attempt(n, "203.0.113.7") for n in range(20)] == [422] * 20
    assert (attempt(20, "203.0.113.7"), attempt(21, "203.0.113.8")) == (429, 422)


def test_health_check_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_pages_whose_address_holds_a_secret_never_pass_it_on_even_when_they_fail(client):
    for url in ("/feeds/1-0123.ics", "/i/not-a-real-token", "/password/reset/nope", "/sign-in/link/nope", "/r/nope"):
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "no-referrer", url
    assert client.get("/sign-in").headers["Referrer-Policy"] == "same-origin"
