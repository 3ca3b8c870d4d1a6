"""Supporters sign in with a texted code or an emailed link: ten minutes, once, few guesses."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Message
from tests.factories import add_member, make_circle, make_user
from tests.web import WebClient

SAM = "+12025550110"


def ask(client, contact):
    return client.post("/sign-in/code", {"contact": contact})


def texted_code() -> str:
    body = db.session.scalars(
        select(Message.body).where(Message.kind == "sign_in_code").order_by(Message.id.desc())
    ).first()
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_sign_in_with_a_texted_code(client):
    sam = make_user(name="Sam Carter", phone=SAM, email=None, password=None)
    circle = make_circle(patient=make_user())
    add_member(circle, sam)
    response = ask(client, "(202) 555-0110")
    assert response.headers["Location"] == "/sign-in/code/verify"
    message = db.session.scalar(select(Message).where(Message.kind == "sign_in_code"))
    assert message.to_address == SAM and message.send_by is not None
    assert client.post("/sign-in/code/verify", {"code": texted_code()}).status_code == 302
    assert client.get(f"/circles/{circle.id}").status_code == 200


def test_unknown_numbers_get_the_same_answer_and_no_text(client):
    response = ask(client, "202-555-0177")
    assert response.headers["Location"] == "/sign-in/code/verify"
    assert db.session.scalar(select(func.count(Message.id))) == 0
    assert client.post("/sign-in/code/verify", {"code": "123456"}).status_code == 422


def test_a_code_works_once(app, client):
    make_user(phone=SAM, email=None, password=None)
    ask(client, SAM)
    code = texted_code()
    assert client.post("/sign-in/code/verify", {"code": code}).status_code == 302
    other = WebClient(app.test_client())
    ask(other, SAM)
    db.session.expire_all()
    assert other.post("/sign-in/code/verify", {"code": code}).status_code == 422 or texted_code() == code


def test_a_code_expires_after_ten_minutes(client):
    make_user(phone=SAM, email=None, password=None)
    ask(client, SAM)
    with time_machine.travel(now() + timedelta(minutes=11), tick=False):
        assert client.post("/sign-in/code/verify", {"code": texted_code()}).status_code == 422


def test_five_wrong_guesses_kill_the_code(client):
    make_user(phone=SAM, email=None, password=None)
    ask(client, SAM)
    code = texted_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post("/sign-in/code/verify", {"code": wrong}).status_code == 422
    assert client.post("/sign-in/code/verify", {"code": code}).status_code == 422


def test_asking_for_codes_is_rate_limited_per_number(client):
    make_user(phone=SAM, email=None, password=None)
    for _ in range(3):
        ask(client, SAM)
    assert ask(client, SAM).status_code == 429
    assert db.session.scalar(select(func.count(Message.id))) == 3


def test_sign_in_with_an_emailed_link_needs_a_click_and_works_once(app, client):
    make_user(name="Priya", email="priya@example.org", password=None)
    response = ask(client, "Priya@Example.org")
    assert response.headers["Location"] == "/sign-in"
    body = db.session.scalar(select(Message.body).where(Message.channel == "email"))
    path = re.search(r"http://localhost(/sign-in/link/\S+)", body).group(1)
    landing = client.get(path)
    assert landing.status_code == 200 and landing.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/account").status_code == 302  # opening the link alone signs nobody in
    assert client.post(path, form_url=path).status_code == 302
    assert client.get("/account").status_code == 200
    again = WebClient(app.test_client())
    again.post(path, form_url=path)
    assert again.get("/account").status_code == 302


def test_someone_who_replied_stop_is_not_texted_a_code(client):
    from coordinator.models import User

    user = make_user(phone=SAM, email=None, password=None)
    db.session.get(User, user.id).sms_opted_out_at = now()
    db.session.commit()
    ask(client, SAM)
    assert db.session.scalar(select(func.count(Message.id))) == 0
