"""Inviting people back, and joining with a name and a number, no password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Invitation, JoinRequest, Membership, Message, User
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.web import WebClient

SAM = "+12025550110"


@pytest.fixture
def coordinator_client(client):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator, name="Team Maria")
    client.sign_in(coordinator.email, PASSWORD)
    client.circle, client.user = circle, coordinator
    return client


def invite(client, **fields):
    data = {"name": "Sam Carter", "phone": "(202) 555-0110", "email": "", "message": "Maria could use us again."}
    data.update(fields)
    return client.post(f"/circles/{client.circle.id}/invitations", data)


def link_in(message: Message) -> str:
    return re.search(r"http://localhost(/i/[\w-]+)", message.body).group(1)


def test_an_sms_invitation_names_the_circle_and_inviter_and_carries_a_full_link(coordinator_client):
    response = invite(coordinator_client)
    assert response.status_code == 302
    message = db.session.scalar(select(Message))
    assert (message.channel, message.to_address, message.kind) == ("sms", SAM, "invitation")
    assert message.body.startswith("Team Maria: Daniel Lopez invited you.")
    assert "Maria could use us again." in message.body and "Reply STOP to opt out." in message.body
    assert re.search(r"http://localhost/i/[\w-]{40,}", message.body)  # the full link, never a shortener
    invitation = db.session.scalar(select(Invitation))
    token = link_in(message).removeprefix("/i/")
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64


def test_reinviting_someone_with_a_live_invitation_reuses_it(coordinator_client):
    invite(coordinator_client)
    response = invite(coordinator_client, phone="202 555 0110")
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already has an invitation that still works" in page
    assert db.session.scalar(select(func.count(Invitation.id))) == 1
    assert db.session.scalar(select(func.count(Message.id))) == 1


def test_an_expired_invitation_is_replaced_by_a_fresh_one(coordinator_client):
    invite(coordinator_client)
    with time_machine.travel(now() + timedelta(days=15), tick=False):
        invite(coordinator_client)
    assert db.session.scalar(select(func.count(Invitation.id))) == 2
    assert db.session.scalar(select(func.count(Invitation.id)).where(Invitation.status == "pending")) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"phone": "12345"}, "That number isn&#39;t valid (read as a United States number)"),
        ({"phone": "call me maybe"}, "That doesn&#39;t look like a phone number."),
        ({"phone": "+1 800 555 0100"}, "can&#39;t get texts"),
        ({"phone": "", "email": ""}, "Enter a mobile number or an email address."),
        ({"phone": "", "email": "not-an-email"}, "Enter an email address like"),
        ({"message": "x" * 601}, "Keep the message under 600 characters."),
    ],
)
def test_bad_invitations_say_why_and_keep_what_was_typed(coordinator_client, fields, message):
    response = invite(coordinator_client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'value="Sam Carter"' in html
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_inviting_a_current_member_sends_nothing(coordinator_client):
    add_member(coordinator_client.circle, make_user(phone=SAM))
    invite(coordinator_client)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_several_at_once_with_a_line_by_line_report(coordinator_client):
    people = "Sam Carter, 202-555-0110\nPriya, priya@example.org\nBad Number, 12\n\nسارة, 202-555-0112\n"
    response = coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/invitations/many",
        {"people": people, "message": "Hi!"},
        form_url=f"/circles/{coordinator_client.circle.id}/invitations",
    )
    html = response.get_data(as_text=True)
    assert "Line 3:" in html and "isn&#39;t valid" in html
    assert "سارة" in html
    assert db.session.scalar(select(func.count(Invitation.id))) == 3
    channels = sorted(db.session.scalars(select(Message.channel)))
    assert channels == ["email", "sms", "sms"]


def accept(app, message: Message, **fields) -> WebClient:
    person = WebClient(app.test_client())
    url = link_in(message)
    opened = person.get(url)
    assert opened.status_code == 200 and opened.headers["Referrer-Policy"] == "no-referrer"
    moved = person.post(url, form_url=url)
    assert moved.status_code == 302 and moved.headers["Location"] == "/join"
    data = {"name": "Sam Carter", "phone": "202-555-0110", "email": "", "consent": "y"}
    data.update(fields)
    person.last = person.post("/join", data)
    return person


def test_joining_takes_a_name_and_number_and_signs_you_in_without_a_password(app, coordinator_client):
    invite(coordinator_client)
    sam = accept(app, db.session.scalar(select(Message)))
    assert sam.last.status_code == 302
    assert sam.last.headers["Location"] == f"/circles/{coordinator_client.circle.id}"  # lands on what would help
    user = db.session.scalar(select(User).where(User.phone == SAM))
    assert user.password_hash is None and user.sms_consent_at is not None
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == user.id)) == "supporter"
    assert sam.get(f"/circles/{coordinator_client.circle.id}/tasks").status_code == 200
    welcome = db.session.scalar(select(Message).where(Message.kind == "welcome"))
    assert welcome.to_address == SAM and "Reply STOP to opt out." in welcome.body


def test_a_personal_invitation_works_once(app, coordinator_client):
    invite(coordinator_client)
    message = db.session.scalar(select(Message))
    accept(app, message)
    again = WebClient(app.test_client()).get(link_in(message))
    assert again.status_code == 410
    assert "expired or was already used" in again.get_data(as_text=True)


def test_a_revoked_or_expired_invitation_is_refused(app, coordinator_client):
    invite(coordinator_client)
    message = db.session.scalar(select(Message))
    with time_machine.travel(now() + timedelta(days=14, minutes=1), tick=False):
        assert WebClient(app.test_client()).get(link_in(message)).status_code == 410
    invitation = db.session.scalar(select(Invitation))
    coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/invitations/{invitation.id}/revoke",
        form_url=f"/circles/{coordinator_client.circle.id}/invitations",
    )
    assert WebClient(app.test_client()).get(link_in(message)).status_code == 410


def test_guessing_invitation_links_is_rate_limited(app):
    guesser = WebClient(app.test_client())
    codes = [guesser.get(f"/i/guess-{n}").status_code for n in range(31)]
    assert codes[:30] == [410] * 30 and codes[30] == 429


def test_joining_without_consent_to_texts_needs_an_email(app, coordinator_client):
    invite(coordinator_client)
    sam = accept(app, db.session.scalar(select(Message)), consent="")
    assert sam.last.status_code == 422
    assert "Tick the box so we can text you" in sam.last.get_data(as_text=True)
    ok = sam.post("/join", {"name": "Sam Carter", "phone": "202-555-0110", "email": "sam@example.org"})
    assert ok.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == SAM))
    assert user.sms_enabled is False and user.sms_consent_at is None


def test_a_forwarded_link_cannot_take_over_someone_elses_number(app, coordinator_client):
    make_user(name="Real Owner", phone="+12025550199")
    invite(coordinator_client)
    sam = accept(app, db.session.scalar(select(Message)), phone="202-555-0199")
    assert sam.last.status_code == 422
    assert "already has an account" in sam.last.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Membership.id))) == 1


def test_joining_with_a_bad_number_and_a_bad_email_hears_both_at_once(app, coordinator_client):
    invite(coordinator_client)
    sam = accept(app, db.session.scalar(select(Message)), phone="12", email="sam@")
    page = " ".join(sam.last.get_data(as_text=True).split())
    assert sam.last.status_code == 422
    assert 'href="#phone"' in page and 'href="#email"' in page  # both in the summary, after one tap
    assert 'value="sam@"' in page  # nothing typed is lost
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.role == "supporter")) == 0


def test_someone_already_known_by_that_number_joins_with_their_account(app, coordinator_client):
    existing = make_user(name="Sam Carter", phone=SAM)
    invite(coordinator_client)
    sam = accept(app, db.session.scalar(select(Message)))
    assert sam.last.status_code == 302
    assert db.session.scalar(select(Membership.user_id).where(Membership.role == "supporter")) == existing.id


def test_a_shared_link_needs_a_coordinators_yes(app, coordinator_client):
    circle = coordinator_client.circle
    page = coordinator_client.post(
        f"/circles/{circle.id}/invitations/link", form_url=f"/circles/{circle.id}/invitations"
    )
    url = re.search(r"http://localhost(/i/[\w-]+)", page.get_data(as_text=True)).group(1)
    joiner = WebClient(app.test_client())
    joiner.post(url, form_url=url)
    done = joiner.post("/join", {"name": "Grace Okafor", "phone": "202-555-0113", "email": "", "consent": "y"})
    assert done.status_code == 302
    assert joiner.get(f"/circles/{circle.id}").status_code == 404  # not in yet
    request = db.session.scalar(select(JoinRequest))
    assert request.status == "pending"
    second = WebClient(app.test_client())
    second.post(url, form_url=url)
    assert second.post("/join", {"name": "Tom", "phone": "202-555-0114", "consent": "y"}).status_code == 302
    coordinator_client.post(
        f"/circles/{circle.id}/invitations/requests/{request.id}/approve", form_url=f"/circles/{circle.id}/invitations"
    )
    assert joiner.get(f"/circles/{circle.id}").status_code == 200
    assert db.session.scalar(select(func.count(JoinRequest.id)).where(JoinRequest.status == "pending")) == 1


def test_a_line_may_give_number_and_email_in_any_order(coordinator_client):
    circle = coordinator_client.circle
    people = "priya@example.org, Priya Natarajan, 202-555-0111\nGrace Okafor, 202 555 0113, grace@example.org\n"
    page = coordinator_client.post(
        f"/circles/{circle.id}/invitations/many",
        {"people": people, "message": "Hi!"},
        form_url=f"/circles/{circle.id}/invitations",
    )
    assert page.get_data(as_text=True).count("invited</strong>") == 2
    invitations = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    assert [(i.name, i.phone, i.email) for i in invitations] == [
        ("Priya Natarajan", "+12025550111", "priya@example.org"),
        ("Grace Okafor", "+12025550113", "grace@example.org"),
    ]


def test_cancelling_an_invitation_asks_first_naming_who_it_was_for(app, coordinator_client):
    circle = coordinator_client.circle
    invite(coordinator_client)
    invitation = db.session.scalar(select(Invitation))
    url = f"/circles/{circle.id}/invitations/{invitation.id}/revoke"
    page = coordinator_client.get(f"/circles/{circle.id}/invitations").get_data(as_text=True)
    assert f'href="{url}"' in page and f'action="{url}"' not in page
    asked = coordinator_client.get(url)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Cancel the invitation to Sam Carter?" in html
    assert "The link we sent by text to +1 202-555-0110 will stop working." in html
    assert db.session.get(Invitation, invitation.id).status == "pending"
    coordinator_client.post(url, form_url=url)
    assert db.session.get(Invitation, invitation.id).status == "revoked"
    assert WebClient(app.test_client()).get(link_in(db.session.scalar(select(Message)))).status_code == 410


def test_cancelling_another_circles_invitation_is_a_404(app, coordinator_client):
    circle = coordinator_client.circle
    other = make_circle(coordinator=make_user(), name="Team Other")
    theirs = Invitation(
        circle_id=other.id, kind="personal", phone=SAM, token_hash="t" * 64, expires_at=now() + timedelta(days=3)
    )
    db.session.add(theirs)
    db.session.commit()
    url = f"/circles/{circle.id}/invitations/{theirs.id}/revoke"
    assert coordinator_client.get(url).status_code == 404
    assert coordinator_client.post(url, form_url=f"/circles/{circle.id}/invitations").status_code == 404
    assert db.session.get(Invitation, theirs.id).status == "pending"


def test_invitations_not_yet_answered_name_each_invitee(coordinator_client):
    invite(coordinator_client)
    invite(coordinator_client, name="", phone="202-555-0112")
    page = coordinator_client.get(f"/circles/{coordinator_client.circle.id}/invitations").get_data(as_text=True)
    pending = page[page.index("Invitations not yet answered (2)") :]
    assert '<strong dir="auto">Sam Carter</strong>' in pending
    assert '<strong dir="auto">+1 202-555-0112</strong>' in pending
    assert "Invitee" not in pending and "Someone" not in pending


@pytest.mark.parametrize(
    ("path", "data"),
    [("", {"name": "Sam", "phone": "12345", "email": "", "message": ""}), ("/many", {"people": "", "message": ""})],
)
def test_each_invitation_form_puts_its_errors_at_the_top(coordinator_client, path, data):
    circle = coordinator_client.circle
    response = coordinator_client.post(
        f"/circles/{circle.id}/invitations{path}", data, form_url=f"/circles/{circle.id}/invitations"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count('class="error-summary"') == 1
    assert html.index('class="error-summary"') < html.index("<h1")
    assert html.count(' id="message"') == 1 and html.count(' id="many_message"') == 1  # no two fields share an id
    if path == "/many":
        assert '<details class="way" open>' in html  # the form with the problem is shown, not folded away
