"""A text goes out once, whatever happens between two dispatchers (services/texting/dispatch.py).

Each test stops the world at the moment that used to let a text go twice or a status go back: a host that
dies right after Twilio took a text and comes back minutes later, a reconcile cut off mid-lookup, an
answer from Twilio that arrives after another host settled the text and its receipt came, and a host that
pauses between reading a text and deciding to hold it for the morning while another host sends it.
"""

from __future__ import annotations

import io
import time as time_module
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from coordinator.extensions import db
from coordinator.models import Message, User
from coordinator.services.texting import dispatch
from coordinator.services.texting.dispatch import (
    Pacer,
    Stats,
    claim_due,
    deliver,
    dispatch_due,
    reconcile,
    recover_stale,
)
from coordinator.services.texting.receipts import receipt_record
from coordinator.sms import Retryable
from coordinator.sms.console import ConsoleGateway
from tests.factories import make_user
from tests.test_dispatch import NOON_NEW_YORK, SAM, welcome

LEASE = timedelta(seconds=60)


def at(minutes: float):
    return time_machine.travel(NOON_NEW_YORK + timedelta(minutes=minutes), tick=False)


def sent_then_stopped(person, gateway) -> None:
    """A text to `person` is claimed and reaches the provider; its dispatcher stops before writing so."""
    welcome(person)
    [claim] = claim_due(limit=10)
    message = db.session.get(Message, claim.message_id)
    gateway.send(to=message.to_address, body=message.body)


def status_counts() -> dict[str, int]:
    db.session.expire_all()
    return dict(Counter(db.session.scalars(select(Message.status))))


def status() -> str:
    db.session.expire_all()
    return db.session.scalar(select(Message.status))


def test_a_host_back_minutes_after_dying_mid_send_finds_the_text_at_twilio_and_does_not_send_it_again(app):
    make_user(phone=SAM, email=None)
    gateway = ConsoleGateway(stream=io.StringIO())
    with at(0):
        sent_then_stopped(db.session.scalar(select(User).where(User.phone == SAM)), gateway)
    with at(4):
        dispatch_due(gateway=gateway, pacer=Pacer(0))  # back: the row is "unknown", Twilio is asked
    with at(5):
        dispatch_due(gateway=gateway, pacer=Pacer(0))
    assert len(gateway.sent) == 1
    assert status() == "sent"


class LookupDiesOnce(ConsoleGateway):
    """The first lookup at Twilio dies (the process killed mid-call, or the SDK choking on a page)."""

    died = False

    def sent_to(self, *, to, since):
        if not self.died:
            self.died = True
            raise RuntimeError("killed mid-lookup")
        return super().sent_to(to=to, since=since)


def test_a_reconcile_cut_off_mid_lookup_still_finds_the_text_next_time(app):
    sam = make_user(phone=SAM, email=None)
    gateway = LookupDiesOnce(stream=io.StringIO())
    with at(0):
        sent_then_stopped(sam, gateway)
    with at(70 / 60):
        recover_stale(lease=LEASE)  # another host notices the lease ran out
    with at(4), pytest.raises(RuntimeError):
        reconcile(gateway=gateway)
    db.session.rollback()
    with at(5):
        dispatch_due(gateway=gateway, pacer=Pacer(0))
    assert len(gateway.sent) == 1
    assert status() == "sent"


class SlowAnswer(ConsoleGateway):
    """Twilio stores the text at once, but its answer comes after the lease; meanwhile `meanwhile` runs."""

    def __init__(self, meanwhile):
        super().__init__(stream=io.StringIO())
        self.meanwhile = meanwhile

    def send(self, *, to, body):
        result = super().send(to=to, body=body)
        self.meanwhile(result)
        return result


def test_a_late_answer_from_twilio_never_takes_a_delivered_text_back_to_sent(app):
    sam = make_user(phone=SAM, email=None)

    def meanwhile(result):
        with at(2):
            recover_stale(lease=LEASE)
        with at(3):
            reconcile(gateway=gateway)  # the other host finds it at Twilio: sent, with its id
            assert receipt_record(provider_id=result.provider_id, provider_status="delivered") == "moved"
            db.session.commit()

    gateway = SlowAnswer(meanwhile)
    with at(0):
        welcome(sam)
        dispatch_due(gateway=gateway, pacer=Pacer(0))
    assert status() == "delivered"
    assert len(gateway.sent) == 1


def test_a_late_answer_marks_a_text_another_host_was_about_to_send_again_as_sent(app):
    sam = make_user(phone=SAM, email=None)

    def meanwhile(result):
        with at(2):
            recover_stale(lease=LEASE)  # "unknown": the other host will ask Twilio before sending again

    gateway = SlowAnswer(meanwhile)
    with at(0):
        welcome(sam)
        dispatch_due(gateway=gateway, pacer=Pacer(0))
    assert status() == "sent"  # the answer came: nobody needs to ask or send again
    with at(5):
        dispatch_due(gateway=gateway, pacer=Pacer(0))
    assert len(gateway.sent) == 1


def test_a_host_that_pauses_before_holding_a_text_for_the_morning_does_not_undo_another_hosts_send(app, monkeypatch):
    sam = make_user(phone=SAM, email=None)
    gateway = ConsoleGateway(stream=io.StringIO())
    with at(0):
        welcome(sam)
        [claim] = claim_due(limit=10)

    def paused_then_quiet(message):
        monkeypatch.undo()
        with at(2):
            recover_stale(lease=LEASE)
        with at(3):
            dispatch_due(gateway=gateway, pacer=Pacer(0))  # the other host settles it and sends it
        return NOON_NEW_YORK + timedelta(hours=20)  # the first host wakes and decides: wait for the morning

    monkeypatch.setattr(dispatch, "quiet_until", paused_then_quiet)
    with at(1):
        deliver(claim, gateway=gateway, pacer=Pacer(0), stats=Stats())
    assert len(gateway.sent) == 1
    assert status() == "sent"  # not "pending" for a second send tomorrow morning


class OtherHostMeanwhile(Pacer):
    """While this dispatcher waits its turn to send, the other host finds its lease run out and sends the text."""

    def __init__(self, gateway):
        super().__init__(0)
        self.gateway = gateway

    def wait(self) -> None:
        with at(2):
            recover_stale(lease=LEASE)
        with at(3):
            dispatch_due(gateway=self.gateway, pacer=Pacer(0))


def test_a_dispatcher_whose_lease_ran_out_while_it_waited_its_turn_does_not_send(app):
    sam = make_user(phone=SAM, email=None)
    gateway = ConsoleGateway(stream=io.StringIO())
    with at(0):
        welcome(sam)
        [claim] = claim_due(limit=10)
    with at(1):  # still ours when deliver looks first; taken over before the hold
        deliver(claim, gateway=gateway, pacer=OtherHostMeanwhile(gateway), stats=Stats())
    assert len(gateway.sent) == 1
    assert status() == "sent"


class SlowLookups(ConsoleGateway):
    """A degraded provider: each lookup takes a quarter of a second, and while `failing` it then fails."""

    failing = True

    def __init__(self):
        super().__init__(stream=io.StringIO())
        self.looked_up: list[str] = []

    def sent_to(self, *, to, since):
        time_module.sleep(0.25)
        self.looked_up.append(to)
        if self.failing:
            raise Retryable("busy", code="20429")
        return super().sent_to(to=to, since=since)


def test_a_slow_provider_holds_a_pass_of_reconciling_to_its_budget_and_the_rest_come_first_next_pass(app):
    phones = [f"+1202555012{n}" for n in range(4)]
    with at(0):
        for phone in phones:
            welcome(make_user(phone=phone, email=None), key=phone)
        db.session.execute(update(Message).values(status="unknown"))  # their dispatcher stopped mid-send
        db.session.commit()
    gateway = SlowLookups()
    with at(5):
        reconcile(gateway=gateway, budget_seconds=0.3)
    first = list(gateway.looked_up)
    assert 1 <= len(first) < len(phones)  # it stopped at its budget (however slow the machine, never all four)
    assert status_counts() == {"unknown": len(phones)}  # nothing decided while the provider fails
    gateway.failing = False
    with at(6):
        reconcile(gateway=gateway, budget_seconds=0.3)
    second = gateway.looked_up[len(first) :]
    assert second and not set(second) & set(first)  # those not asked yet come first
