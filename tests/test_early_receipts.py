"""A delivery receipt that beats the API's answer is kept, then applied once the text's id is stored.

Twilio may call the status callback before the dispatcher has read the create answer and stored the
message id. The fake here does exactly that: it calls back (signed, through the real webhook on a live
server) before it answers the create. Without keeping the receipt, the text would stay "sent" for good
and a refusal by the carrier would be forgotten.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from coordinator.extensions import db
from coordinator.models import EarlyReceipt, Message, User
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import message_queue
from coordinator.services.texting.receipts import Receipt, receipt_early_apply, receipt_early_settle, receipt_record
from coordinator.sms import sms_gateway
from tests.factories import make_user
from tests.fake_twilio import FakeTwilio
from tests.live import LiveServer

SAM = "+12025550110"


def twilio_app(make_app, fake: FakeTwilio):
    return make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="secret-token",
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake.base_url,
        TWILIO_TIMEOUT=30.0,
        SMS_DEFAULT_QUIET_START="00:00",  # never quiet: this is about the receipt, not the clock
        SMS_DEFAULT_QUIET_END="00:00",
    )


def send_one(make_app, receipt: tuple[str, str]) -> tuple[Message, FakeTwilio, User]:
    with FakeTwilio(auth_token="secret-token", receipt_first=receipt) as fake:
        app = twilio_app(make_app, fake)
        with LiveServer(app) as server, app.app_context():
            app.config["PUBLIC_BASE_URL"] = server.url  # where the callback goes, and what it is signed over
            make_user(name="Sam Carter", phone=SAM)
            message_queue(channel="sms", to_address=SAM, kind="welcome", key="w", body="Welcome to Team Maria")
            db.session.commit()
            stats = dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
            sms_gateway().close()
            assert stats.sent == 1
            db.session.expire_all()
            message = db.session.scalar(select(Message))
            assert db.session.scalar(select(func.count()).select_from(EarlyReceipt)) == 0
            sam = db.session.scalar(select(User).where(User.phone == SAM))
            db.session.expunge_all()
    return message, fake, sam


def test_a_delivered_receipt_that_beats_the_answer_still_marks_the_text_delivered(make_app):
    message, fake, sam = send_one(make_app, ("delivered", ""))
    assert fake.callbacks == [204]  # the webhook took it: signed right, before the id was stored
    assert message.status == "delivered"
    assert message.provider_id == fake.received[0]["sid"]
    assert sam.phone_unreachable_at is None


def test_a_carrier_refusal_that_beats_the_answer_still_marks_the_number(make_app):
    message, fake, sam = send_one(make_app, ("undelivered", "30006"))  # a landline: it can't take texts
    assert fake.callbacks == [204]
    assert (message.status, message.error_code) == ("undelivered", "30006")
    assert sam.phone_unreachable_at is not None


@pytest.mark.parametrize("dispatcher_second", [True, False], ids=["dispatcher second", "webhook second"])
def test_whichever_side_comes_second_applies_the_receipt(app, dispatcher_second):
    """The webhook keeps the receipt, commits, and looks for the id again; the dispatcher commits the id, then
    looks for a kept receipt. Whichever looks second sees the other's commit."""
    message_queue(channel="sms", to_address=SAM, kind="welcome", key="w", body="Hello")
    db.session.commit()
    message = db.session.scalar(select(Message))
    message.status = "sending"
    db.session.commit()
    assert receipt_record(provider_id="SM1", provider_status="delivered") == Receipt.KEPT
    db.session.commit()
    if dispatcher_second:
        assert receipt_early_settle("SM1", "delivered") is False  # the webhook's second look: nothing holds SM1 yet
        db.session.commit()
    message.provider_id, message.status = "SM1", "sent"  # the dispatcher stores the id
    db.session.commit()
    if dispatcher_second:
        assert receipt_early_apply(message) is True
    else:
        assert receipt_early_settle("SM1", "delivered") is True
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Message.status)) == "delivered"
    assert db.session.scalar(select(func.count()).select_from(EarlyReceipt)) == 0


def test_a_later_receipt_for_the_same_text_keeps_the_furthest(app):
    assert receipt_record(provider_id="SM2", provider_status="delivered") == Receipt.KEPT
    assert receipt_record(provider_id="SM2", provider_status="sent") == Receipt.KEPT  # late and out of order
    db.session.commit()
    assert db.session.get(EarlyReceipt, "SM2").status == "delivered"


def test_a_second_early_receipt_is_not_lost_when_the_dispatcher_takes_the_first_meanwhile(app):
    """ "sent" is kept; "delivered" comes while the dispatcher applies and drops "sent". The webhook's second
    look applies its own receipt, not only what it finds kept."""
    message_queue(channel="sms", to_address=SAM, kind="welcome", key="w", body="Hello")
    db.session.commit()
    message = db.session.scalar(select(Message))
    assert receipt_record(provider_id="SM3", provider_status="sent") == Receipt.KEPT
    db.session.commit()
    assert receipt_record(provider_id="SM3", provider_status="delivered") == Receipt.KEPT  # kept: the furthest
    message.provider_id, message.status = "SM3", "sent"
    db.session.commit()
    db.session.execute(delete(EarlyReceipt))  # as if the dispatcher had applied and dropped the first one
    db.session.commit()
    assert receipt_early_settle("SM3", "delivered") is True
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Message.status)) == "delivered"


def test_a_receipt_kept_for_a_text_whose_dispatcher_stopped_is_applied_by_the_next_pass(app):
    """The id was stored, then the dispatcher died before applying the kept receipt: any dispatcher's next
    pass applies it."""
    message_queue(channel="sms", to_address=SAM, kind="welcome", key="w", body="Hello")
    db.session.commit()
    assert receipt_record(provider_id="SM4", provider_status="undelivered", error_code="30006") == Receipt.KEPT
    message = db.session.scalar(select(Message))
    message.provider_id, message.status = "SM4", "sent"
    db.session.commit()
    dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
    db.session.expire_all()
    assert (db.session.scalar(select(Message.status)), db.session.scalar(select(Message.error_code))) == (
        "undelivered",
        "30006",
    )
    assert db.session.scalar(select(func.count()).select_from(EarlyReceipt)) == 0
