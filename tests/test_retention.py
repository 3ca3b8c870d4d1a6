"""Retention: old message words, texts, sign-in codes, sessions, invitations and contact lists are forgotten on time.

Each kind is made the real way (a text through the webhook, a code asked for on
the sign-in page, an invitation sent from the invitations page), then the clock
moves to just inside its period (it stays) and just past it (it goes), and the
scheduler's job runs. Running a job twice changes nothing more.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select, update

from coordinator.extensions import db
from coordinator.jobs import JOBS_BY_ID
from coordinator.models import (
    ImportBatch,
    InboundMessage,
    Invitation,
    JoinRequest,
    Message,
    PasswordReset,
    SignInCode,
    UserSession,
)
from coordinator.models.messages import MessageStatus
from coordinator.services import batches
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import notify
from coordinator.sms.console import ConsoleGateway
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.sms import SMS_SETTINGS, text_in
from tests.web import WebClient

START = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)  # noon in New York: nothing waits for quiet hours
SAM = "+12025550110"
STRANGER = "+12025550199"


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS


@pytest.fixture
def circle(app):
    daniel = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=daniel, patient=make_user(name="Maria Lopez"))
    circle.daniel = daniel
    circle.sam = make_user(name="Sam Carter", phone=SAM, email=None)
    add_member(circle, circle.sam)
    return circle


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def run(job_id: str) -> dict[str, int]:
    """What the scheduler does on the job's interval; the caller has moved the clock."""
    counts = JOBS_BY_ID[job_id].run()
    db.session.expire_all()
    return counts


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def welcome(user, circle, key: str) -> None:
    notify(
        user=user,
        kind="welcome",
        key=key,
        circle_id=circle.id,
        context={"circle_name": circle.name, "first_name": "Maria"},
    )
    db.session.commit()


def test_message_words_go_after_90_days_and_the_log_still_shows_the_message(client, circle):
    with at(START):
        welcome(circle.sam, circle, "sent")
        dispatch_due(gateway=ConsoleGateway(stream=io.StringIO()), pacer=Pacer(0))
        welcome(circle.daniel, circle, "still-pending")  # queued, never delivered: still on its way
        welcome(circle.sam, circle, "maybe-sent")
        db.session.execute(update(Message).where(Message.idempotency_key == "maybe-sent").values(status="unknown"))
        db.session.commit()

    with at(START + timedelta(days=90) - timedelta(minutes=1)):
        assert run("retention_texts")["message_bodies"] == 0
    sent = db.session.scalar(select(Message).where(Message.idempotency_key == "sent"))
    assert sent.status == MessageStatus.SENT and "Team Test" in sent.body

    with at(START + timedelta(days=90) + timedelta(minutes=1)):
        assert run("retention_texts")["message_bodies"] == 1
        assert run("retention_texts")["message_bodies"] == 0  # safe to run again
        client.sign_in(circle.daniel.email, PASSWORD)
        page = client.get(f"/circles/{circle.id}/messages").get_data(as_text=True)
    sent = db.session.scalar(select(Message).where(Message.idempotency_key == "sent"))
    assert (sent.body, sent.subject, sent.status, sent.to_address) == ("", "", MessageStatus.SENT, SAM)
    on_the_way = db.session.scalars(select(Message.body).where(Message.idempotency_key != "sent")).all()
    assert len(on_the_way) == 2 and all("Team Test" in body for body in on_the_way)
    sam_row = next(row for row in page.split("<tr>") if "Sam Carter" in row and "Sent" in row)
    assert "(The words were removed after 90 days.)" in sam_row


def test_texts_from_members_are_kept_90_days_and_from_unknown_numbers_7(client, circle):
    with at(START):
        text_in(client, SAM, "MINE")
        text_in(client, STRANGER, "who is this")
    assert count(InboundMessage) == 2

    with at(START + timedelta(days=7) - timedelta(minutes=1)):
        assert run("retention_texts")["unknown_inbound_texts"] == 0
    with at(START + timedelta(days=7) + timedelta(minutes=1)):
        assert run("retention_texts")["unknown_inbound_texts"] == 1
    assert db.session.scalars(select(InboundMessage.from_number)).all() == [SAM]

    with at(START + timedelta(days=90) - timedelta(minutes=1)):
        assert run("retention_texts")["inbound_texts"] == 0
    with at(START + timedelta(days=90) + timedelta(minutes=1)):
        assert run("retention_texts") == {
            "message_bodies": 0,
            "inbound_texts": 1,
            "unknown_inbound_texts": 0,
            "early_receipts": 0,
        }
        assert run("retention_texts") == {
            "message_bodies": 0,
            "inbound_texts": 0,
            "unknown_inbound_texts": 0,
            "early_receipts": 0,
        }
    assert count(InboundMessage) == 0


def test_sign_in_codes_and_reset_links_go_a_day_after_they_end(app, circle):
    person = WebClient(app.test_client())
    with at(START):
        assert person.post("/sign-in/code", {"contact": "202-555-0110"}).status_code == 302
        assert person.post("/password/forgot", {"email": circle.daniel.email}).status_code == 302
    assert count(SignInCode) == 1 and count(PasswordReset) == 1
    code_ends, reset_ends = START + timedelta(minutes=10), START + app.config["PASSWORD_RESET_TTL"]

    with at(code_ends + timedelta(days=1) - timedelta(minutes=1)):
        assert run("retention_people")["sign_in_codes"] == 0
    with at(code_ends + timedelta(days=1) + timedelta(minutes=1)):
        assert run("retention_people")["sign_in_codes"] == 1
    assert count(SignInCode) == 0 and count(PasswordReset) == 1

    with at(reset_ends + timedelta(days=1) - timedelta(minutes=1)):
        assert run("retention_people")["password_resets"] == 0
    with at(reset_ends + timedelta(days=1) + timedelta(minutes=1)):
        assert run("retention_people")["password_resets"] == 1
        assert run("retention_people")["password_resets"] == 0
    assert count(PasswordReset) == 0


def test_a_used_sign_in_code_goes_a_day_after_it_was_used(app, circle):
    person = WebClient(app.test_client())
    with at(START):
        person.post("/sign-in/code", {"contact": "202-555-0110"})
        code = re.search(r"\d{6}", db.session.scalar(select(Message.body).where(Message.kind == "sign_in_code")))[0]
    with at(START + timedelta(minutes=2)):
        assert person.post("/sign-in/code/verify", {"code": code}, form_url="/sign-in/code/verify").status_code == 302
    with at(START + timedelta(days=1) + timedelta(minutes=1)):
        assert run("retention_people")["sign_in_codes"] == 0  # used at 2 past: still inside the day
    with at(START + timedelta(days=1) + timedelta(minutes=3)):
        assert run("retention_people")["sign_in_codes"] == 1


def test_sessions_go_30_days_after_they_end_and_a_live_one_stays(app, circle):
    gone, kept = WebClient(app.test_client()), WebClient(app.test_client())
    with at(START):
        gone.sign_in(circle.daniel.email, PASSWORD)
        gone.sign_out()  # also ends the other device's session: sign that one in after
    with at(START + timedelta(days=1)):
        kept.sign_in(circle.daniel.email, PASSWORD)
    assert count(UserSession) == 2

    with at(START + timedelta(days=30) - timedelta(minutes=1)):
        assert run("retention_people")["user_sessions"] == 0
    with at(START + timedelta(days=30) + timedelta(minutes=1)):
        assert run("retention_people")["user_sessions"] == 1
        assert kept.get("/account").status_code == 200  # the live session still works
    assert count(UserSession, UserSession.revoked_at.is_(None)) == 1

    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with at(START + timedelta(days=1) + lifetime + timedelta(days=30) + timedelta(minutes=1)):
        assert run("retention_people")["user_sessions"] == 1  # expired a month ago
    assert count(UserSession) == 0


def test_finished_invitations_go_30_days_later_but_not_a_link_someone_asked_to_join_through(app, client, circle):
    url = f"/circles/{circle.id}/invitations"
    with at(START):
        client.sign_in(circle.daniel.email, PASSWORD)
        client.post(url, {"name": "Rosa Díaz", "phone": "202-555-0143", "email": "", "message": ""})
        client.post(url, {"name": "Tom Reyes", "phone": "202-555-0144", "email": "", "message": ""})
        tom = db.session.scalar(select(Invitation).where(Invitation.name == "Tom Reyes"))
        revoke = f"{url}/{tom.id}/revoke"
        assert client.post(revoke, form_url=revoke).status_code == 302
        page = client.post(f"{url}/link", form_url=url).get_data(as_text=True)
        joiner = WebClient(app.test_client())
        link = re.search(r"https://care.example.org(/i/[\w-]+)", page)[1]
        joiner.post(link, form_url=link)
        joiner.post("/join", {"name": "Grace Okafor", "phone": "202-555-0113", "email": "", "consent": "y"})
    assert count(Invitation) == 3 and count(JoinRequest) == 1
    days = app.config["INVITATION_DAYS"]

    with at(START + timedelta(days=30) - timedelta(minutes=1)):
        assert run("retention_people")["invitations"] == 0
    with at(START + timedelta(days=30) + timedelta(minutes=1)):
        assert run("retention_people")["invitations"] == 1  # revoked a month ago
    assert db.session.scalars(select(Invitation.name).order_by(Invitation.id)).all() == ["Rosa Díaz", ""]

    with at(START + timedelta(days=days + 30) + timedelta(minutes=1)):
        assert run("retention_people")["invitations"] == 1  # Rosa's expired a month ago
        assert run("retention_people")["invitations"] == 0
    assert db.session.scalar(select(Invitation.kind)) == "link" and count(JoinRequest) == 1


def test_uploaded_contact_lists_go_30_days_after_they_were_used_or_left(client, circle):
    upload_url = f"/circles/{circle.id}/invitations/import"
    with at(START):
        client.sign_in(circle.daniel.email, PASSWORD)
        for data in (b"Name,Mobile\nRosa,202-555-0143\n", b"Name,Mobile\nTom,202-555-0144\n"):
            client.post(
                upload_url,
                {"file": (io.BytesIO(data), "contacts.csv"), "message": ""},
                content_type="multipart/form-data",
            )
        first = db.session.scalar(select(ImportBatch.id).order_by(ImportBatch.id))
    with at(START + timedelta(days=2)):
        confirm = f"{upload_url}/{first}/confirm"
        assert client.post(confirm, form_url=f"{upload_url}/{first}").status_code == 302
    assert count(ImportBatch) == 2

    with at(START + timedelta(days=30) + timedelta(minutes=1)):
        assert run("retention_people")["import_batches"] == 1  # the one never confirmed
    assert db.session.scalar(select(ImportBatch.id)) == first
    with at(START + timedelta(days=32) + timedelta(minutes=1)):
        assert run("retention_people")["import_batches"] == 1
    assert count(ImportBatch) == 0


def test_a_backlog_goes_in_bounded_batches_each_committed(app, client, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_SIZE", 2)
    with at(START):
        for n in range(5):
            text_in(client, f"+1202555018{n}", "hello?")
    steps: list[str] = []
    listen = [
        ("before_cursor_execute", lambda *args: steps.append(args[2].split()[0].upper())),
        ("commit", lambda conn: steps.append("COMMIT")),
    ]
    for name, fn in listen:
        event.listen(db.engine, name, fn)
    try:
        with at(START + timedelta(days=8)):
            assert run("retention_texts")["unknown_inbound_texts"] == 5
    finally:
        for name, fn in listen:
            event.remove(db.engine, name, fn)
    writes = [step for step in steps if step in ("DELETE", "COMMIT")]
    assert writes[:6] == ["DELETE", "COMMIT"] * 3  # 2 + 2 + 1 rows, each batch its own transaction
    assert count(InboundMessage) == 0


def test_the_log_line_says_how_many_and_nothing_else(client, circle, caplog):
    with at(START):
        text_in(client, SAM, "my address is 12 Elm Street")
    caplog.set_level(logging.INFO)
    caplog.clear()
    with at(START + timedelta(days=91)):
        run("retention_texts")
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "'inbound_texts': 1" in logged
    assert "Elm" not in logged and "555" not in logged
