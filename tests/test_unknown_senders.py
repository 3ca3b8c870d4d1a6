"""Texts from numbers that are nobody's are throttled per number; members' texts never are.

The review sent 40 texts in a row from an unknown number: all were stored and answered, no 429.
Now, after the signature check, such a number gets UNKNOWN_SENDER_LIMIT (5 an hour by default):
the first five are stored and get the usual one line, the rest are neither stored nor answered
(an empty TwiML 200, so we never text a stranger again and again). Forged requests do not count.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import InboundMessage
from coordinator.services.texting.inbound import STRANGER
from tests.factories import add_member, make_circle, make_user
from tests.sms import SMS_SETTINGS, signed_post, text_in

STRANGER_NUMBER = "+12025550177"


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS | {"UNKNOWN_SENDER_LIMIT": "5 per hour;20 per day"}


def _stored_from(number: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(InboundMessage.id)).where(InboundMessage.from_number == number))


def test_an_unknown_number_gets_five_answers_then_nothing_is_stored_or_said(client):
    replies = [text_in(client, STRANGER_NUMBER, f"hello {n}") for n in range(6)]

    assert replies[:5] == [STRANGER] * 5
    assert replies[5] == ""
    assert _stored_from(STRANGER_NUMBER) == 5
    assert text_in(client, STRANGER_NUMBER, "still there?") == ""  # still counted, still refused
    assert _stored_from(STRANGER_NUMBER) == 5


def test_another_unknown_number_has_its_own_allowance(client):
    for n in range(6):
        text_in(client, STRANGER_NUMBER, f"hello {n}")

    assert text_in(client, "+12025550178", "hi") == STRANGER


def test_a_member_is_never_throttled_this_way(client):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    sam = make_user(name="Sam Carter", phone="+12025550110")
    add_member(circle, sam)
    db.session.commit()

    replies = [text_in(client, sam.phone, "MINE") for _ in range(7)]

    assert all(replies) and STRANGER not in replies
    assert _stored_from(sam.phone) == 7


def test_forged_texts_do_not_use_up_a_number_s_allowance(client):
    for n in range(6):
        forged = signed_post(
            client, "/sms/inbound", {"MessageSid": f"SMf{n}", "From": STRANGER_NUMBER, "Body": "x"}, token="wrong"
        )
        assert forged.status_code == 403

    assert text_in(client, STRANGER_NUMBER, "hello") == STRANGER


def test_a_stop_past_the_allowance_is_still_honoured(client):
    from coordinator.models import PhoneOptOut

    for n in range(6):
        text_in(client, STRANGER_NUMBER, f"hello {n}")
    assert text_in(client, STRANGER_NUMBER, "STOP") == ""
    db.session.expire_all()
    assert db.session.get(PhoneOptOut, STRANGER_NUMBER) is not None  # nothing goes to it, even once it is someone's
    assert _stored_from(STRANGER_NUMBER) == 5
