"""What people type reaches texts, emails and the database clean, and an invitation is capped by texts.

The review queued a coordinator's invitation carrying U+202E (right-to-left override) and a BEL
verbatim, capped at 600 characters that went as 716 characters of UCS-2, and answered a texted NUL
with a 500. Here those go through the real forms, webhooks and headers: what is stored and queued
holds no control or direction character, a message too long for three texts is refused by its field
with how much to cut, and no NUL anywhere answers 500. The cleaner itself is checked by hypothesis.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import InboundMessage, Message, Need
from coordinator.models.accounts import UserSession
from coordinator.plain_text import LINE_BREAKS, REMOVED_CATEGORIES, text_clean, text_storable
from coordinator.services.texting.messages import message_queue
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.sms import SMS_SETTINGS, signed_post, text_in
from tests.test_needs import need_form

SPOOFING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\ufeff"
CONTROLS = "".join(map(chr, range(32))) + "".join(map(chr, range(0x7F, 0xA0)))


def _unclean(text: str, *, newlines: bool = True) -> list[str]:
    return [
        ch
        for ch in text
        if (ch != "\n" or not newlines) and (ch in SPOOFING or ch in CONTROLS or unicodedata.category(ch) in "CcCfCs")
    ]


@given(st.text(alphabet=st.one_of(st.characters(codec=None), st.sampled_from(SPOOFING + CONTROLS))))
def test_the_cleaner_leaves_no_control_or_direction_character_and_cleaning_twice_changes_nothing(text):
    once = text_clean(text)
    assert _unclean(once) == []
    assert _unclean(text_clean(text, multiline=False), newlines=False) == []
    assert unicodedata.is_normalized("NFC", once) and once == once.strip()
    assert text_clean(once) == once


@given(st.text(alphabet=st.characters(codec="ascii")), st.booleans())
def test_the_plain_ascii_shortcut_cleans_exactly_as_the_full_rule_does(text, multiline):
    """Most values skip the per-character walk; what they come out as must not change."""
    full = LINE_BREAKS.sub("\n", text).replace("\t", " ")
    if not multiline:
        full = full.replace("\n", " ")
    full = "".join(ch for ch in full if ch == "\n" or unicodedata.category(ch) not in REMOVED_CATEGORIES)
    assert text_clean(text, multiline=multiline) == unicodedata.normalize("NFC", full).strip()
    assert text_storable(text) == "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")


def test_the_cleaner_keeps_what_people_mean():
    assert text_clean(" Cafe\u0301\tat 5\r\nsee you\u2028Dan ") == "Café at 5\nsee you\nDan"
    assert text_clean("Maria\u202e\u0007 \u200bLopez", multiline=False) == "Maria Lopez"
    assert text_clean("line one\nline two", multiline=False) == "line one line two"


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS


@pytest.fixture
def coordinator_client(client):
    coordinator = make_user(name="Daniel Lopez")
    client.circle = make_circle(coordinator=coordinator, name="Team Maria")
    client.sign_in(coordinator.email, PASSWORD)
    return client


def invite(client, message: str, **fields):
    data = {"name": "Sam Carter", "phone": "(202) 555-0110", "email": "", "message": message, **fields}
    return client.post(f"/circles/{client.circle.id}/invitations", data)


def test_an_invitation_with_a_direction_override_and_a_bell_is_queued_clean(coordinator_client):
    response = invite(coordinator_client, "Maria\u202e could use us\u0007 again.\u200f", name="Sam\u202d Carter")

    assert response.status_code == 302
    body = db.session.scalar(select(Message.body))
    assert "Maria could use us again." in body
    assert _unclean(body) == []


def test_a_texted_nul_is_answered_and_stored_without_it(app, client):
    """Twilio retries what fails: a NUL must be dropped, the text kept and answered as usual."""
    reply = text_in(client, "+12025550199", "HELP\x00 me\u202e")

    assert reply  # an unknown number still gets the usual answer
    assert db.session.scalar(select(InboundMessage.body)) == "HELP me"


def test_a_receipt_with_a_nul_is_taken(client):
    response = signed_post(client, "/sms/status", {"MessageSid": "SM\x00x", "MessageStatus": "deliv\x00ered"})
    assert response.status_code == 204


def test_a_session_stores_the_user_agent_without_a_nul(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        user = make_user()
        db.session.commit()
        response = app.test_client().post(
            "/sign-in",
            data={"email": user.email, "password": PASSWORD},
            headers={"User-Agent": "Mozilla/5.0\x00 (iPhone\u202e)"},
        )
        assert response.status_code == 302
        assert db.session.scalar(select(UserSession.user_agent)) == "Mozilla/5.0 (iPhone)"


@pytest.mark.parametrize(
    "page",
    [
        "/circles/{circle}/tasks?week=%00",
        "/circles/{circle}/calendar?week=2026-01-01%00",
        "/circles/{circle}/needs/new?category=%00ride",
        "/circles?next=%00",
        "/sign-in?next=/%00",
        "/circles/{circle}/messages?page=%00",
    ],
)
def test_a_nul_in_a_query_string_is_never_a_server_error(client, page):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    add_member(circle, make_user())
    client.sign_in(coordinator.email, PASSWORD)

    assert client.get(page.format(circle=circle.id)).status_code < 500


def test_a_nul_in_a_form_field_is_dropped_and_the_rest_saved(coordinator_client):
    """It used to be refused with "Remove the control characters."; now the stray character just goes."""
    fields = need_form(
        title="Ride to\x00 the clinic\u202e",
        start_date=(date.today() + timedelta(days=3)).isoformat(),
        detail_destination="Mercy\x00 Cancer Center",
        notes="Side door\r\nRing twice\x07",
    )
    response = coordinator_client.post(f"/circles/{coordinator_client.circle.id}/needs/new?category=ride", fields)

    assert response.status_code == 302
    need = db.session.scalar(select(Need))
    assert (need.title, need.details["destination"]) == ("Ride to the clinic", "Mercy Cancer Center")
    assert need.notes == "Side door\nRing twice"


def test_every_queued_message_is_cleaned_at_the_last_step(app):
    """Whatever path a text comes by (a template, an import, a job), nothing unclean is written to send."""
    message_queue(channel="sms", to_address="+12025550110", kind="test", key="k1", body="Hi\u202e\x07 there\x00")
    message_queue(channel="email", to_address="a@example.org", kind="test", key="k2", body="x", subject="S\nub\u200bj")
    db.session.commit()

    assert list(db.session.execute(select(Message.body, Message.subject).order_by(Message.id))) == [
        ("Hi there", ""),
        ("x", "S ubj"),
    ]
