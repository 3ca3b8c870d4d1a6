"""The message log coordinators read: who each text went to (invitees by name), what it was, what became of it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message
from coordinator.models.circles import PATIENT
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.message_log import message_status
from coordinator.services.texting.messages import notify
from coordinator.sms.console import ConsoleGateway
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.queries import counting
from tests.sms import SMS_SETTINGS, signed_post

MIDNIGHT_NEW_YORK = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
NEXT_NOON_NEW_YORK = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS


@pytest.fixture
def circle(app):
    daniel = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=daniel, patient=make_user(name="Maria Lopez"), timezone="America/New_York")
    circle.daniel = daniel
    circle.sam = make_user(name="Sam Carter", phone="+12025550110", email=None)
    add_member(circle, circle.sam)
    return circle


def dispatch() -> ConsoleGateway:
    gateway = ConsoleGateway(stream=io.StringIO())
    dispatch_due(gateway=gateway, pacer=Pacer(0))
    return gateway


def rows(html: str) -> list[str]:
    """Each message's row as the words on it."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    labelled = re.sub(r'<td[^>]*data-label="([^"]+)"[^>]*>', r"\1: ", body)  # a phone shows the label too
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in labelled.split("<tr>")[1:]]


def welcome(user, circle) -> None:
    notify(
        user=user,
        kind="welcome",
        key=f"welcome:{user.id}",
        circle_id=circle.id,
        context={"circle_name": circle.name, "first_name": "Maria"},
    )
    db.session.commit()


def test_invitees_are_named_and_the_status_is_in_plain_words(client, circle):
    url = f"/circles/{circle.id}/invitations"
    with time_machine.travel(MIDNIGHT_NEW_YORK, tick=False):
        client.sign_in(circle.daniel.email, PASSWORD)
        assert client.post(url, {"name": "Rosa Díaz", "phone": "202-555-0143"}).status_code == 302
        assert client.post(url, {"name": "", "phone": "202-555-0188"}).status_code == 302
        welcome(circle.sam, circle)
        dispatch()  # midnight in New York: everything waits for the morning
        night = rows(client.get(f"/circles/{circle.id}/messages").get_data(as_text=True))
    assert len(night) == 3
    assert night[0].startswith("Sam Carter +1") and "What: Welcome" in night[0]
    assert "Someone you invited" in night[1] and "Rosa Díaz" in night[2]
    assert all("What: Invitation" in row for row in night[1:])
    assert all("Status: Waiting for quiet hours to end" in row for row in night)
    assert "Invitee" not in " ".join(night) and "pending" not in " ".join(night)

    with time_machine.travel(NEXT_NOON_NEW_YORK, tick=False):
        dispatch()
        day = rows(client.get(f"/circles/{circle.id}/messages").get_data(as_text=True))
    assert all("Status: Sent" in row for row in day)


def test_a_text_that_did_not_arrive_says_so_and_why(client, circle):
    with time_machine.travel(NEXT_NOON_NEW_YORK, tick=False):
        client.sign_in(circle.daniel.email, PASSWORD)
        welcome(circle.sam, circle)
        dispatch()
        message = db.session.scalar(select(Message))
        callback = {"MessageSid": message.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30006"}
        assert signed_post(client, "/sms/status", callback).status_code == 204
        [row] = rows(client.get(f"/circles/{circle.id}/messages").get_data(as_text=True))
    assert "Status: Couldn't be delivered That number can't receive texts. Check it with them." in row


def test_a_text_the_dispatcher_held_back_says_why(client, circle):
    with time_machine.travel(NEXT_NOON_NEW_YORK, tick=False):
        client.sign_in(circle.daniel.email, PASSWORD)
        notify(
            user=circle.sam,
            kind="welcome",
            key="w",
            circle_id=circle.id,
            context={"circle_name": circle.name, "first_name": "Maria"},
        )
        db.session.commit()
        sam = circle.sam
        sam.sms_enabled = False
        db.session.commit()
        dispatch()
        [row] = rows(client.get(f"/circles/{circle.id}/messages").get_data(as_text=True))
    assert "Status: Not sent They've turned texts off." in row


@pytest.mark.parametrize(
    ("status", "due_in", "error", "words"),
    [
        ("pending", timedelta(0), "", ("Sending now", "", "")),
        ("pending", timedelta(hours=30), "", ("Planned", "", "")),
        ("pending", timedelta(0), "timeout", ("Trying again", "", "The first try didn't go through.")),
        ("sending", timedelta(0), "", ("Sending now", "", "")),
        ("unknown", timedelta(0), "", ("Checking it went", "", "")),
        ("sent", timedelta(0), "", ("Sent", "ok", "")),
        ("delivered", timedelta(0), "", ("Delivered", "ok", "")),
        ("cancelled", timedelta(0), "somebody already took it", ("Not sent", "", "Someone else had already said yes.")),
        ("cancelled", timedelta(0), "", ("Not sent", "", "It was no longer needed.")),
        (
            "failed",
            timedelta(0),
            "boom",
            (
                "Couldn't be delivered",
                "bad",
                "Their phone company didn't pass it on. It may be switched off or out of signal.",
            ),
        ),
    ],
)
def test_every_state_has_words(app, status, due_in, error, words):
    moment = NEXT_NOON_NEW_YORK
    due = moment + due_in
    message = Message(kind="ask", channel="sms", status=status, due_at=due, last_error=error, error_code=None)
    if due_in == timedelta(hours=30):
        message.due_at = due.replace(minute=17)  # not when quiet hours end: simply planned for later
    assert message_status(message, circle_zone="America/New_York", moment=moment) == words


def test_the_log_costs_the_same_queries_for_three_messages_or_thirty(client, circle):
    url = f"/circles/{circle.id}/invitations"
    counts = []
    with time_machine.travel(NEXT_NOON_NEW_YORK, tick=False):
        client.sign_in(circle.daniel.email, PASSWORD)
        for batch in (3, 27):
            for n in range(batch):
                assert (
                    client.post(
                        url, {"name": f"Friend {batch}-{n}", "phone": f"202-555-{batch * 100 + n:04d}"}
                    ).status_code
                    == 302
                )
            with counting(db.engine) as statements:
                page = client.get(f"/circles/{circle.id}/messages").get_data(as_text=True)
            counts.append(len(statements))
            assert f"Friend {batch}-0" in page
    assert counts[0] == counts[1]


def test_the_log_reads_on_a_phone_and_only_coordinators_see_what_was_said(client, circle):
    with time_machine.travel(NEXT_NOON_NEW_YORK, tick=False):
        welcome(circle.sam, circle)
        client.sign_in(circle.daniel.email, PASSWORD)
        html = client.get(f"/circles/{circle.id}/messages").get_data(as_text=True)
        assert 'class="log card-table"' in html and "table-scroll" not in html
        assert 'data-label="Message"' in html and "Welcome to Team Test!" in html
        client.sign_out()
        maria = next(m.user for m in circle.memberships if m.role == PATIENT)
        client.sign_in(maria.email, PASSWORD)
        patient_view = client.get(f"/circles/{circle.id}/messages").get_data(as_text=True)
    assert "Sam Carter" in patient_view and "Welcome to Team Test!" not in patient_view


def test_every_reason_the_dispatcher_drops_a_text_has_words_for_the_coordinator():
    """A stale or over-budget text shows why in plain words, not the dispatcher's own note (or a vague default)."""
    import re
    from pathlib import Path

    from coordinator.services.texting import ask_budget
    from coordinator.services.texting.message_log import NOT_SENT

    source = (Path(__file__).parent.parent / "coordinator/services/texting/send_time.py").read_text()
    reasons = set(re.findall(r'"(stale: [^"]+)"', source))
    reasons |= {ask_budget.OVER_BUDGET, ask_budget.TOO_SOON, ask_budget.REENGAGE_TOO_SOON}
    assert len(reasons) >= 8
    assert reasons <= set(NOT_SENT), sorted(reasons - set(NOT_SENT))
    message = Message(
        kind="ask", channel="sms", status="cancelled", due_at=NEXT_NOON_NEW_YORK, last_error=ask_budget.TOO_SOON
    )
    assert message_status(message, circle_zone="America/New_York", moment=NEXT_NOON_NEW_YORK)[2] == (
        "They'd been asked something else shortly before."
    )


def test_a_long_log_comes_a_page_at_a_time_newest_first_and_older_pages_follow_on_without_gaps(client, circle):
    from coordinator.services.texting.message_log import LOG_LENGTH

    with time_machine.travel(NEXT_NOON_NEW_YORK, tick=True):
        for number in range(LOG_LENGTH + 5):  # the same moment for many rows: the order must still hold across pages
            notify(
                user=circle.sam,
                kind="welcome",
                key=f"welcome-{number}",
                circle_id=circle.id,
                context={"circle_name": f"Circle number {number}", "first_name": "Maria"},
            )
        db.session.commit()
        client.sign_in(circle.daniel.email, PASSWORD)
        first = client.get(f"/circles/{circle.id}/messages").get_data(as_text=True)
        older = re.search(r'href="([^"]*before=\d+)"[^>]*>Older messages', first)
        assert older, "a long log offers its older messages"
        second = client.get(unescape(older.group(1))).get_data(as_text=True)
    assert len(first.encode()) < 30_000, "the first screen stays light on a phone"
    numbers = [int(n) for n in re.findall(r"Circle number (\d+)", first + second)]
    assert numbers == list(range(LOG_LENGTH + 4, -1, -1)), "every message once, newest first, none lost between pages"
    assert "Older messages" not in second and "Back to the newest" in second


def test_an_older_page_of_another_circle_shows_nothing_of_it(client, circle):
    other = make_circle(coordinator=make_user(name="Olga Other"), name="Other circle")
    for circle_id, name in ((circle.id, "Ours"), (other.id, "Theirs")):
        notify(
            user=circle.sam,
            kind="welcome",
            key=f"welcome-{name}",
            circle_id=circle_id,
            context={"circle_name": name, "first_name": "Maria"},
        )
    db.session.commit()
    foreign = db.session.scalar(select(Message.id).where(Message.circle_id == other.id))
    client.sign_in(circle.daniel.email, PASSWORD)
    page = client.get(f"/circles/{circle.id}/messages?before={foreign}").get_data(as_text=True)
    assert "Theirs" not in page and "Ours" not in page and "No older messages" in page
    nonsense = client.get(f"/circles/{circle.id}/messages?before=abc")  # not a number: the newest page
    assert nonsense.status_code == 200 and "Ours" in nonsense.get_data(as_text=True)
