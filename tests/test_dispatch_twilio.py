"""The dispatcher over the real twilio SDK against the fake server: retries, unknowns, refusals, the rate cap."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Message, PhoneOptOut, User
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import message_queue
from coordinator.sms import sms_gateway
from tests.factories import make_user
from tests.fake_twilio import FakeTwilio, error, slow
from tests.waiting import wait_until

SAM = "+12025550110"
NOON_NY = datetime(2026, 6, 2, 16, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeTwilio(auth_token="secret-token") as server:
        yield server


@pytest.fixture
def twilio_timeout():
    """Seconds the SDK waits for an answer: long, so a busy machine's slow answer is never taken for a lost one."""
    return 10.0


@pytest.fixture
def twilio_app(make_app, fake, twilio_timeout):
    app = make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="secret-token",
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake.base_url,
        TWILIO_TIMEOUT=twilio_timeout,
    )
    with app.app_context():
        yield app
        sms_gateway().close()


def queue(n=1, to=SAM, **kw):
    for i in range(n):
        message_queue(channel="sms", to_address=to, kind="welcome", key=f"k{i}-{to}", body=f"Hello {i}", **kw)
    db.session.commit()


def one() -> Message:
    db.session.expire_all()
    return db.session.scalar(select(Message))


def dispatch(**kw):
    return dispatch_due(pacer=kw.pop("pacer", Pacer(0)), **kw)


@time_machine.travel(NOON_NY, tick=True)
def test_a_429_is_retried_later_with_backoff_then_sent(twilio_app, fake):
    queue()
    fake.script(error(429))
    stats = dispatch()
    message = one()
    assert stats.retried == 1 and message.status == "pending" and message.error_code == "429"
    assert timedelta(seconds=20) <= message.due_at - now() <= timedelta(seconds=40)
    assert dispatch().sent == 0  # not due yet
    with time_machine.travel(message.due_at + timedelta(seconds=1), tick=False):
        assert dispatch().sent == 1
    assert len(fake.received) == 1 and one().attempts == 2


@time_machine.travel(NOON_NY, tick=True)
def test_retries_stop_at_the_send_by_deadline(twilio_app, fake):
    queue(send_by=now() + timedelta(seconds=10))
    fake.script(error(429))
    dispatch()
    message = one()
    assert message.status == "failed" and message.last_error.startswith("gave up")
    assert fake.received == []


@time_machine.travel(NOON_NY, tick=True)
@pytest.mark.parametrize("twilio_timeout", [0.5])  # the fake answers after 1.0 s, so the SDK always gives up first
def test_a_timeout_becomes_unknown_and_reconciling_finds_it_instead_of_resending(twilio_app, fake):
    queue()
    fake.script(slow(1.0))
    assert dispatch().unknown == 1
    assert one().status == "unknown"
    # Reconciling happens long after the late answer in real life: let it go out (into a closed socket) first.
    assert wait_until(fake.idle, seconds=10), "the fake never finished its late answer"
    with time_machine.travel(now() + timedelta(seconds=45), tick=False):
        stats = dispatch()
    assert stats.reconciled == 1 and stats.sent == 0
    message = one()
    assert message.status == "sent" and message.provider_id == fake.received[0]["sid"]
    assert len(fake.received) == 1


@time_machine.travel(NOON_NY, tick=True)
def test_a_500_that_never_reached_the_provider_is_resent_after_reconciling(twilio_app, fake):
    queue()
    fake.script(error(500))
    assert dispatch().unknown == 1
    with time_machine.travel(now() + timedelta(seconds=45), tick=False):
        stats = dispatch()
    assert stats.reconciled == 1 and stats.sent == 1
    assert one().status == "sent" and len(fake.received) == 1


@time_machine.travel(NOON_NY, tick=True)
def test_an_invalid_number_is_flagged_and_never_tried_again(twilio_app, fake):
    sam = make_user(phone=SAM, email=None)
    queue(user_id=sam.id)
    fake.script(error(400, 21211))
    assert dispatch().failed == 1
    db.session.expire_all()
    assert one().error_code == "21211" and db.session.get(User, sam.id).phone_unreachable_at is not None
    message_queue(channel="sms", to_address=SAM, kind="welcome", key="later", body="again", user_id=sam.id)
    db.session.commit()
    assert dispatch().cancelled == 1 and len(fake.received) == 0


@time_machine.travel(NOON_NY, tick=True)
def test_21610_means_opted_out_for_good(twilio_app, fake):
    queue()
    fake.script(error(400, 21610))
    dispatch()
    assert db.session.get(PhoneOptOut, SAM) is not None


@time_machine.travel(NOON_NY, tick=True)
def test_the_sends_per_second_cap_is_respected(twilio_app, fake):
    queue(n=6, to="+12025550111")
    started = time.monotonic()
    assert dispatch(pacer=Pacer(10)).sent == 6
    assert time.monotonic() - started >= 0.45  # six sends at ten a second take half a second
