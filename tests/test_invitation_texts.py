"""An invitation is capped by the texts it goes as, not by characters.

The review's invitation ran to 716 characters of UCS-2 under a 600-character cap. Here a coordinator's
message, inside the invitation as it will be texted, may go as at most three texts: longer is refused
by the field, saying how many texts and about how much to cut; one emoji makes the whole text UCS-2 (70
a segment); a phone's smart quotes are sent as plain ones so they don't.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message
from tests.factories import PASSWORD, make_circle, make_user


@pytest.fixture
def coordinator_client(client):
    coordinator = make_user(name="Daniel Lopez")
    client.circle = make_circle(coordinator=coordinator, name="Team Maria")
    client.sign_in(coordinator.email, PASSWORD)
    return client


def invite(client, message: str, **fields):
    data = {"name": "Sam Carter", "phone": "(202) 555-0110", "email": "", "message": message, **fields}
    return client.post(f"/circles/{client.circle.id}/invitations", data)


def test_an_invitation_too_long_for_three_texts_is_refused_by_its_field_saying_how_much_to_cut(coordinator_client):
    words = "We would love your help with rides to treatment and the odd meal, whatever suits you. " * 5

    response = invite(coordinator_client, words.strip())

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That message would go as 4 texts; keep it to 3" in page
    assert "characters shorter." in page
    assert db.session.scalar(select(Message.id)) is None


def test_one_emoji_makes_a_text_ucs2_so_fewer_characters_fit(coordinator_client):
    """250 plain characters fit in three texts with the rest of the invitation; with one emoji they do not."""
    plain = "x" * 250
    assert invite(coordinator_client, plain).status_code == 302
    refused = invite(coordinator_client, plain[:-1] + "\U0001f49c", phone="(202) 555-0111")
    assert refused.status_code == 422
    assert "\U0001f49c makes this message go as 6 texts instead of 3 or fewer" in refused.get_data(as_text=True)


def test_smart_quotes_from_a_phone_keep_a_text_in_gsm7(coordinator_client):
    assert invite(coordinator_client, "I’m asking again – “rides” mostly…").status_code == 302
    body = db.session.scalar(select(Message.body))
    assert 'I\'m asking again - "rides" mostly...' in body
