"""Replies by text: signed webhooks only, each acted on once, forgiving commands, reserved words respected."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from coordinator.extensions import db
from coordinator.models import Claim, InboundMessage, Message, PhoneOptOut, User
from coordinator.services.care.claims import claim_make
from tests.factories import add_member, first_task, make_circle, make_need, make_user
from tests.sms import SMS_SETTINGS, signed_post, text_in

SAM = "+12025550110"


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS


@pytest.fixture
def circle_with_task(app):
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(coordinator=coordinator)
    sam = make_user(name="Sam Carter", phone=SAM)
    member = add_member(circle, sam)
    task = first_task(make_need(circle, coordinator, title="Ride to chemo", address="12 Elm St"))
    return circle, coordinator, sam, member, task


def test_forged_or_unsigned_webhooks_get_403_and_change_nothing(client, circle_with_task):
    *_, task = circle_with_task
    params = {"MessageSid": "SM1", "From": SAM, "Body": f"TAKE {task.id}"}
    assert client.raw.post("/sms/inbound", data=params).status_code == 403
    assert signed_post(client, "/sms/inbound", params, token="wrong-token").status_code == 403
    assert signed_post(client, "/sms/inbound", params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert db.session.scalar(select(func.count(Claim.id))) == 0
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


@pytest.mark.parametrize("typed", ["TAKE {code}", "take {code}", "Take #{code}!", "  take   {code} ", "take{code}"])
def test_take_is_forgiving_about_case_spaces_and_punctuation(client, circle_with_task, typed):
    *_, task = circle_with_task
    reply = text_in(client, SAM, typed.format(code=task.id))
    assert reply.startswith("Thank you! You've got a ride for Maria")
    assert f"DROP {task.id}" in reply and "Elm" not in reply
    assert db.session.scalar(select(Claim.task_id)) == task.id


def test_a_retried_webhook_acts_once_and_answers_the_same(client, circle_with_task):
    *_, task = circle_with_task
    first = text_in(client, SAM, f"TAKE {task.id}", sid="SMretry")
    again = text_in(client, SAM, f"TAKE {task.id}", sid="SMretry")
    assert first == again
    assert db.session.scalar(select(func.count(Claim.id))) == 1
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 1


def test_the_second_taker_hears_it_is_taken(client, circle_with_task):
    circle, *_, task = circle_with_task
    priya = make_user(name="Priya", phone="+12025550111")
    add_member(circle, priya)
    text_in(client, SAM, f"TAKE {task.id}")
    assert "already taken" in text_in(client, "+12025550111", f"take {task.id}")


def test_ok_confirms_and_drop_frees_the_slot_and_tells_coordinators(client, circle_with_task):
    circle, coordinator, sam, member, task = circle_with_task
    claim_make(membership=member, task_id=task.id)
    db.session.commit()
    assert text_in(client, SAM, f"ok {task.id}") == "Great, thank you! See you then."
    assert db.session.scalar(select(Claim.confirmed_at)) is not None
    reply = text_in(client, SAM, f"DROP {task.id}")
    assert reply.startswith("Got it: you're off a ride")
    db.session.expire_all()
    assert db.session.scalar(select(Claim.status)) == "released"
    told = db.session.scalars(select(Message).where(Message.kind == "claim_released")).all()
    assert [m.to_address for m in told] == ["+12025550101"]


def test_open_and_mine(client, circle_with_task):
    *_, task = circle_with_task
    assert f"TAKE {task.id}" in text_in(client, SAM, "OPEN")
    assert "nothing coming up" in text_in(client, SAM, "mine")
    text_in(client, SAM, f"TAKE {task.id}")
    assert f"(task {task.id})" in text_in(client, SAM, "MINE")


def test_a_task_in_another_circle_is_not_yours_to_take(client, circle_with_task):
    other_circle = make_circle(coordinator=make_user())
    other_task = first_task(make_need(other_circle, make_user(), title="Private"))
    reply = text_in(client, SAM, f"TAKE {other_task.id}")
    assert reply.startswith(f"There's no task {other_task.id} for you")
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_unknown_numbers_get_a_generic_line_and_learn_nothing(client, circle_with_task):
    *_, task = circle_with_task
    reply = text_in(client, "+12025550177", f"TAKE {task.id}")
    assert reply == text_in(client, "+12025550178", "OPEN")
    assert "invited" in reply and "Maria" not in reply and "ride" not in reply


def test_anything_else_gets_one_line_of_help(client, circle_with_task):
    reply = text_in(client, SAM, "what is this?")
    assert "TAKE 42" in reply and "DROP 42" in reply and len(reply) <= 160


@pytest.mark.parametrize("typed", ["TAKE ²", "OK ³", "drop ½"])
def test_a_number_that_only_looks_like_one_gets_the_help_line_not_an_error(client, circle_with_task, typed):
    """ "²" counts as a digit to Python's isdigit() but int() refuses it: a phone's keyboard can type it."""
    reply = text_in(client, SAM, typed)
    assert "TAKE 42" in reply and "DROP 42" in reply


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("OK {code} see you at 9", "ok"),
        ("Drop {code} sorry, can't make it till 5", "drop"),
        ("ok {code} - there by 3:30", "ok"),
    ],
)
def test_a_command_may_carry_the_persons_own_words_and_numbers_after_it(client, circle_with_task, typed, word):
    *_, member, task = circle_with_task
    claim_make(membership=member, task_id=task.id)
    db.session.commit()
    reply = text_in(client, SAM, typed.format(code=task.id))
    db.session.expire_all()
    claim = db.session.scalar(select(Claim))
    if word == "ok":
        assert reply == "Great, thank you! See you then." and claim.confirmed_at is not None
    else:
        assert reply.startswith("Got it: you're off a ride") and claim.status == "released"


@pytest.mark.parametrize(
    "typed", ["TAKE -{code}", "take {code} {code}", "take {code} and {code}", "Take me there {code}"]
)
def test_what_only_looks_like_a_take_takes_nothing(client, circle_with_task, typed):
    *_, task = circle_with_task
    reply = text_in(client, SAM, typed.format(code=task.id))
    assert "TAKE 42" in reply and "DROP 42" in reply  # the help line
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_no_after_a_check_in_says_how_to_give_the_task_back_and_keeps_it_held(client, circle_with_task):
    from coordinator.clock import now
    from coordinator.services.texting.messages import message_queue

    *_, sam, member, task = circle_with_task
    assert text_in(client, SAM, "No") == "No problem at all. Thanks for letting us know."  # nothing asked of Sam
    claim = claim_make(membership=member, task_id=task.id).claim
    message_queue(
        channel="sms", to_address=SAM, kind="checkin", key="still-on", body="Still good?", user_id=sam.id,
        circle_id=task.circle_id, task_id=task.id, claim_id=claim.id,
    )  # fmt: skip
    db.session.execute(update(Message).where(Message.kind == "checkin").values(status="sent", sent_at=now()))
    db.session.commit()
    for typed in ("no sorry, I can't make it tomorrow", "Can't make it", "Nope"):
        reply = text_in(client, SAM, typed)
        assert reply.startswith("Sorry to hear it. To give back a ride") and f"reply DROP {task.id}" in reply
        assert len(reply) <= 160 and "Elm" not in reply
    db.session.expire_all()
    assert db.session.scalar(select(Claim.status)) == "held"  # a bare "no" gives nothing back by itself


def test_someone_can_give_back_a_task_whose_need_was_since_kept_to_the_inner_circle(client, circle_with_task):
    *_, member, task = circle_with_task
    claim_make(membership=member, task_id=task.id)
    task.need.visibility = "inner"  # Sam is not in the inner circle: he no longer sees it, but still holds it
    db.session.commit()
    reply = text_in(client, SAM, f"DROP {task.id}")
    assert reply.startswith("Got it: you're off a ride")
    db.session.expire_all()
    assert db.session.scalar(select(Claim.status)) == "released"


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "CANCEL", "END", "QUIT", "STOPALL"])
def test_stop_words_are_recorded_never_answered_and_cancel_waiting_texts(client, circle_with_task, word):
    from coordinator.services.texting.messages import notify

    *_, sam, _, _ = circle_with_task
    notify(user=sam, kind="welcome", key="waiting", context={"circle_name": "x", "first_name": "y"})
    db.session.commit()
    assert text_in(client, SAM, word) == ""
    db.session.expire_all()
    assert db.session.get(User, sam.id).sms_opted_out_at is not None
    assert db.session.get(PhoneOptOut, SAM) is not None
    assert db.session.scalar(select(Message.status).where(Message.idempotency_key == "waiting")) == "cancelled"


def test_start_opts_back_in_silently(client, circle_with_task):
    *_, sam, _, _ = circle_with_task
    text_in(client, SAM, "STOP")
    assert text_in(client, SAM, "START") == ""
    db.session.expire_all()
    assert db.session.get(User, sam.id).sms_opted_out_at is None
    assert db.session.get(PhoneOptOut, SAM) is None
    assert text_in(client, SAM, "HELP") == ""


def test_status_callbacks_only_move_forward(client, circle_with_task):
    from coordinator.services.texting.messages import message_queue

    message_queue(channel="sms", to_address=SAM, kind="welcome", key="k", body="hi")
    db.session.commit()
    message = db.session.scalar(select(Message))
    message.status, message.provider_id = "sent", "SMabc"
    db.session.commit()
    assert client.raw.post("/sms/status", data={"MessageSid": "SMabc", "MessageStatus": "delivered"}).status_code == 403
    signed_post(client, "/sms/status", {"MessageSid": "SMabc", "MessageStatus": "delivered"})
    signed_post(client, "/sms/status", {"MessageSid": "SMabc", "MessageStatus": "sent"})
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "delivered"


def test_a_landline_receipt_flags_the_number(client, circle_with_task):
    from coordinator.services.texting.messages import message_queue

    *_, sam, _, _ = circle_with_task
    message_queue(channel="sms", to_address=SAM, kind="welcome", key="k2", body="hi")
    db.session.commit()
    message = db.session.scalar(select(Message))
    message.status, message.provider_id = "sent", "SMland"
    db.session.commit()
    signed_post(client, "/sms/status", {"MessageSid": "SMland", "MessageStatus": "undelivered", "ErrorCode": "30006"})
    db.session.expire_all()
    assert db.session.get(User, sam.id).phone_unreachable_at is not None
    assert db.session.get(Message, message.id).status == "undelivered"
    text_in(client, SAM, "MINE")  # a text from the number: it takes texts after all (a carrier's hiccup)
    db.session.expire_all()
    assert db.session.get(User, sam.id).phone_unreachable_at is None


def test_a_receipt_with_an_id_longer_than_any_twilio_sends_is_taken_calmly(client, circle_with_task):
    response = signed_post(client, "/sms/status", {"MessageSid": "SM" + "a" * 200, "MessageStatus": "delivered"})
    assert response.status_code == 204  # it matches no text of ours; it was a 500


def test_mine_fits_one_text_however_many_tasks_and_says_how_many_more(client, circle_with_task):
    from datetime import timedelta

    from coordinator.clock import today_in
    from coordinator.sms.segments import segments

    circle, coordinator, _, member, task = circle_with_task
    claim_make(membership=member, task_id=task.id)
    for days in range(8, 13):  # dated ones ("Wed 10 Jun"), the longest lines
        day = today_in(circle.timezone) + timedelta(days=days)
        claim_make(
            membership=member, task_id=first_task(make_need(circle, coordinator, category="errands", start_date=day)).id
        )
    db.session.commit()
    reply = text_in(client, SAM, "MINE")
    assert segments(reply).count == 1 and f"(task {task.id})" in reply  # soonest first
    shown = reply.count("(task ")
    assert 1 <= shown < 6 and f"and {6 - shown} more" in reply


def test_a_closed_circles_tasks_are_not_offered_or_listed_by_text(client, circle_with_task):
    from coordinator.clock import now

    circle, _, _, member, task = circle_with_task
    claim_make(membership=member, task_id=task.id)
    circle.closed_at = now()
    db.session.commit()
    assert text_in(client, SAM, "MINE").startswith("You have nothing coming up")
    assert "TAKE" not in text_in(client, SAM, "OPEN")
