"""The dispatcher: due rows go out once, late ones never, quiet hours and opt-outs respected."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Message, PhoneOptOut, User
from coordinator.services.texting.dispatch import Pacer, Stats, dispatch_due
from coordinator.services.texting.messages import message_queue, notify
from coordinator.services.texting.quiet_hours import next_allowed
from coordinator.sms.console import ConsoleGateway
from tests.factories import make_circle, make_user

SAM = "+12025550110"
NOON_NEW_YORK = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)
MIDNIGHT_NEW_YORK = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)


def run(gateway=None):
    gateway = gateway or ConsoleGateway(stream=open("/dev/null", "w"))
    try:
        return gateway, dispatch_due(gateway=gateway, pacer=Pacer(0))
    finally:
        if gateway.stream:
            gateway.stream.close()


def welcome(user, key="w", **kw):
    notify(user=user, kind="welcome", key=key, context={"circle_name": "Team Maria", "first_name": "Maria"}, **kw)
    db.session.commit()


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_a_due_text_is_sent_once(app):
    sam = make_user(phone=SAM, email=None)
    welcome(sam)
    gateway, stats = run()
    assert stats.sent == 1 and [m.to for m in gateway.sent] == [SAM]
    gateway, stats = run()
    assert stats.sent == 0 and gateway.sent == []
    message = db.session.scalar(select(Message))
    assert message.status == "sent" and message.provider_id.startswith("CN") and message.attempts == 1


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_the_same_key_is_queued_once(app):
    sam = make_user(phone=SAM, email=None)
    welcome(sam)
    welcome(sam)
    assert len(db.session.scalars(select(Message)).all()) == 1


@time_machine.travel(MIDNIGHT_NEW_YORK, tick=False)
def test_quiet_hours_hold_a_text_until_morning_in_the_recipients_zone(app):
    sam = make_user(phone=SAM, email=None)
    circle = make_circle(coordinator=sam, timezone="America/New_York")
    welcome(sam, circle_id=circle.id)
    gateway, stats = run()
    assert stats.deferred == 1 and gateway.sent == []
    message = db.session.scalar(select(Message))
    assert message.status == "pending" and message.due_at == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)  # 8:00 EDT
    with time_machine.travel(datetime(2026, 6, 2, 12, 1, tzinfo=UTC), tick=False):
        gateway, stats = run()
    assert stats.sent == 1


@time_machine.travel(MIDNIGHT_NEW_YORK, tick=False)
def test_someone_in_another_zone_follows_their_own_clock(app):
    sam = make_user(phone=SAM, email=None)
    sam.timezone = "Europe/London"  # 5:00 in London: still quiet until 8:00 BST
    circle = make_circle(coordinator=sam, timezone="America/New_York")
    db.session.commit()
    welcome(sam, circle_id=circle.id)
    run()
    assert db.session.scalar(select(Message.due_at)) == datetime(2026, 6, 2, 7, 0, tzinfo=UTC)


@time_machine.travel(MIDNIGHT_NEW_YORK, tick=False)
def test_a_sign_in_code_is_not_held_by_quiet_hours(app):
    make_user(phone=SAM, email=None)
    message_queue(channel="sms", to_address=SAM, kind="sign_in_code", key="c", body="code 123456")
    db.session.commit()
    _, stats = run()
    assert stats.sent == 1


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_past_its_send_by_a_message_is_dropped_not_sent(app):
    sam = make_user(phone=SAM, email=None)
    welcome(sam, send_by=now() - timedelta(minutes=1))
    gateway, stats = run()
    assert stats.cancelled == 1 and gateway.sent == []
    assert db.session.scalar(select(Message.last_error)).startswith("too late")


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_opted_out_numbers_are_never_texted(app):
    sam = make_user(phone=SAM, email=None)
    welcome(sam)
    db.session.add(PhoneOptOut(phone=SAM))
    db.session.commit()
    gateway, stats = run()
    assert stats.cancelled == 1 and gateway.sent == []


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_emails_go_through_the_mailer(app, smtp_server):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    app.extensions.pop("mailer", None)
    priya = make_user(email="priya@example.org", phone=None)
    welcome(priya)
    _, stats = run()
    assert stats.sent == 1
    assert "Welcome to Team Maria" in smtp_server.inbox.bodies_to("priya@example.org")[0]


def test_next_allowed_handles_windows_that_wrap_midnight_and_dst():
    start, end = time(21), time(8)
    zone = "America/New_York"
    evening = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)  # 18:30 EST, fine
    assert next_allowed(evening, zone=zone, start=start, end=end) == evening
    night = datetime(2026, 3, 8, 3, 0, tzinfo=UTC)  # 22:00 EST Sat; clocks spring forward overnight
    assert next_allowed(night, zone=zone, start=start, end=end) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 8:00 EDT
    day_window = next_allowed(datetime(2026, 6, 1, 17, 0, tzinfo=UTC), zone=zone, start=time(12), end=time(14))
    assert day_window == datetime(2026, 6, 1, 18, 0, tzinfo=UTC)


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_unreachable_and_disabled_people_are_skipped(app):
    sam = make_user(phone=SAM, email=None)
    welcome(sam)
    db.session.get(User, sam.id).sms_enabled = False
    db.session.commit()
    _, stats = run()
    assert stats.cancelled == 1


def test_a_text_another_dispatcher_took_over_is_not_sent_again_by_the_first(app):
    """The first dispatcher claimed three texts and is slow to reach them; past the lease, a second one
    finds them (asks the provider, which has nothing) and claims them. Whichever order the two then reach
    them in, each text goes once, by the second."""
    from coordinator.services.texting.dispatch import claim_due, deliver, reconcile, recover_stale

    people = [make_user(phone=f"+1202555011{n}", email=None) for n in range(3)]
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        for n, person in enumerate(people):
            welcome(person, key=f"w{n}")
        slow = claim_due(limit=10)
    assert [claim.attempt for claim in slow] == [1, 1, 1]
    gateway = ConsoleGateway(stream=open("/dev/null", "w"))
    first, second = Stats(), Stats()
    try:
        with time_machine.travel(NOON_NEW_YORK + timedelta(minutes=5), tick=False):
            assert recover_stale(lease=timedelta(minutes=1)) == 3
        with time_machine.travel(NOON_NEW_YORK + timedelta(minutes=6), tick=False):
            assert reconcile(gateway=gateway) == 3  # the provider has none of them: due again
            taken = claim_due(limit=10)
            assert [claim.attempt for claim in taken] == [2, 2, 2]
            deliver(slow[0], gateway=gateway, pacer=Pacer(0), stats=first)  # still "sending", but not ours
            for claim in taken:
                deliver(claim, gateway=gateway, pacer=Pacer(0), stats=second)
            for claim in slow[1:]:  # "sent" by the time the first gets there
                deliver(claim, gateway=gateway, pacer=Pacer(0), stats=first)
    finally:
        gateway.stream.close()
    assert (first.sent, second.sent) == (0, 3)
    assert sorted(m.to for m in gateway.sent) == sorted(p.phone for p in people)
    db.session.expire_all()
    assert [(m.status, m.attempts) for m in db.session.scalars(select(Message))] == [("sent", 2)] * 3


class _Interleaved(ConsoleGateway):
    """A provider whose first list call lets another dispatcher reconcile in the middle of this one's."""

    def __init__(self):
        super().__init__(stream=open("/dev/null", "w"))
        self.other_ran = False

    def sent_to(self, *, to, since):
        if not self.other_ran:
            self.other_ran = True
            from coordinator.services.texting.dispatch import reconcile

            reconcile(gateway=self)  # the other dispatcher, while this one waits for the provider's answer
        return super().sent_to(to=to, since=since)


def test_two_dispatchers_reconciling_one_text_decide_once_and_never_send_it_again(app):
    """The text reached the provider before its dispatcher stopped. One reconciler finds it and marks it sent;
    the other, mid-way through the same row, must not then call it never sent (and send it again)."""
    from coordinator.services.texting.dispatch import reconcile

    sam = make_user(phone=SAM, email=None)
    gateway = _Interleaved()
    try:
        with time_machine.travel(NOON_NEW_YORK, tick=False):
            welcome(sam)
            message = db.session.scalar(select(Message))
            gateway.send(to=SAM, body=message.body)  # it got there...
            message.status = "unknown"  # ...but the dispatcher stopped before it wrote so
            db.session.commit()
        with time_machine.travel(NOON_NEW_YORK + timedelta(minutes=1), tick=False):
            reconcile(gateway=gateway)
            db.session.expire_all()
            assert db.session.scalar(select(Message.status)) == "sent"
            assert dispatch_due(gateway=gateway, pacer=Pacer(0)).sent == 0
    finally:
        gateway.stream.close()
    assert gateway.other_ran and len(gateway.sent) == 1
