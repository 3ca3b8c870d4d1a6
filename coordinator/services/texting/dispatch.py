"""Delivering queued messages: nothing lost, nothing sent twice, nobody texted at 3 a.m.

This is the delivery edge, so unlike other services it commits, in steps:
1. claim due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so several
   dispatchers can share the work) and mark them `sending`; commit;
2. for each, check again right before sending (task still on, person still
   reachable and not opted out, not in their quiet hours, not too late); a
   row that must wait goes back to `pending` with a later due time
   (the checks themselves are before_sending.py); words like "tomorrow" are
   written again for the moment of sending (send_time.py);
3. send, and record what the provider said; commit.
A crash between 1 and 3 leaves a row in `sending`; after a lease it becomes
`unknown`, and an `unknown` row is only ever sent again after asking the
provider whether it already has it (`reconcile`).

A dispatcher that is merely slow (a long batch, a pause to keep the send rate,
a busy machine) must not look like a crashed one: each text's lease starts
again right before it goes, in one statement that also checks the row is still
this dispatcher's claim (`_hold`: still `sending`, same attempt number). If
another dispatcher has meanwhile taken it over, the slow one leaves it alone.
"""

from __future__ import annotations

import logging
import random
import time as wall_clock
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.mail import Email, mail_send
from coordinator.models.accounts import User
from coordinator.models.inbound import PhoneOptOut
from coordinator.models.messages import Message, MessageStatus
from coordinator.services.people.phones import phone_mask
from coordinator.services.texting.before_sending import cancel_reason, quiet_until
from coordinator.services.texting.receipts import early_receipts_sweep, receipt_early_apply
from coordinator.services.texting.send_time import words_refresh
from coordinator.sms import Ambiguous, Permanent, Retryable, SmsGateway, sms_gateway

log = logging.getLogger(__name__)

RECONCILE_SLACK = timedelta(minutes=2)
RECONCILE_BUDGET_SECONDS = 10.0  # the most one pass spends asking the provider about unknown texts
UNREACHABLE_CODES = {"21211", "21614", "21612", "21408", "30006"}
OPTED_OUT_CODES = {"21610"}


@dataclass(frozen=True, order=True)
class Claim:
    """One row this dispatcher marked `sending`: it stays ours while its attempt number is the one we set."""

    message_id: int
    attempt: int


@dataclass
class Stats:
    sent: int = 0
    deferred: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    reconciled: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)  # provider errors by code, for /metrics

    def provider_error(self, code: str | None) -> None:
        self.error_codes[code or "none"] = self.error_codes.get(code or "none", 0) + 1


class Pacer:
    """Keeps sends under the configured rate (per dispatcher process)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.last = 0.0

    def wait(self) -> None:
        if self.interval:
            delay = self.last + self.interval - wall_clock.monotonic()
            if delay > 0:
                wall_clock.sleep(delay)
            self.last = wall_clock.monotonic()


def dispatch_due(*, limit: int = 100, gateway: SmsGateway | None = None, pacer: Pacer | None = None) -> Stats:
    """One pass: recover crashed rows, reconcile unknown ones, then deliver what is due."""
    gateway = gateway or sms_gateway()
    pacer = pacer or Pacer(float(current_app.config["SMS_SENDS_PER_SECOND"]))
    stats = Stats()
    recover_stale(lease=_lease())
    after = timedelta(seconds=float(current_app.config["SMS_RECONCILE_AFTER_SECONDS"]))  # let the provider store it
    reconcile(gateway=gateway, stats=stats, older_than=after)
    if early_receipts_sweep():  # receipts kept for ids a stopped dispatcher stored but never applied them to
        db.session.commit()
    for claim in claim_due(limit=limit):
        deliver(claim, gateway=gateway, pacer=pacer, stats=stats)
    return stats


def _lease() -> timedelta:
    """Longer than any send can take: a `sending` row older than this was left by a crashed dispatcher."""
    return timedelta(seconds=float(current_app.config["SMS_SENDING_LEASE_SECONDS"]))


def recover_stale(*, lease: timedelta) -> int:
    """Rows left in `sending` by a crashed dispatcher become `unknown` (never blindly resent)."""
    count = db.session.execute(
        update(Message)
        .where(Message.status == MessageStatus.SENDING, Message.updated_at < now() - lease)
        .values(status=MessageStatus.UNKNOWN, last_error="dispatcher stopped mid-send", updated_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


def claim_due(*, limit: int) -> list[Claim]:
    """Mark up to `limit` due rows `sending` and commit; returns our claims on them (ours alone)."""
    moment = now()
    candidates = (
        select(Message.id)
        .where(Message.status == MessageStatus.PENDING, Message.due_at <= moment)
        .order_by(Message.due_at, Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.commit()
        return []
    claimed = db.session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, updated_at=moment)
        .returning(Message.id, Message.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(Claim(message_id, attempt) for message_id, attempt in claimed)


def deliver(claim: Claim, *, gateway: SmsGateway, pacer: Pacer, stats: Stats) -> None:
    message = db.session.get(Message, claim.message_id)
    if message is None or message.status != MessageStatus.SENDING or message.attempts != claim.attempt:
        return  # another dispatcher took it over while it waited in our batch
    attempt = claim.attempt
    reason = cancel_reason(message)
    if reason:
        stats.cancelled += _finish(message, attempt, MessageStatus.CANCELLED, error=reason)
        return
    wait_until = quiet_until(message)
    if wait_until is not None:
        if message.send_by is not None and wait_until > message.send_by:
            late = "only possible in quiet hours before it stopped mattering"
            stats.cancelled += _finish(message, attempt, MessageStatus.CANCELLED, error=late)
        else:
            stats.deferred += _finish(message, attempt, MessageStatus.PENDING, due_at=wait_until, attempts=attempt - 1)
        return
    pacer.wait()
    words_refresh(message)  # saved with the hold: the words about to go out are on the row (reconcile compares them)
    if not _hold(claim):
        log.info("Message %s was taken over by another dispatcher; not sending it", claim.message_id)
        return
    if message.channel == "email":
        _send_email(message, attempt, stats)
    else:
        _send_sms(message, attempt, gateway, stats)


def _hold(claim: Claim) -> bool:
    """Start the lease again right before sending, if the row is still our claim; commit (or roll back) either way.

    One conditional UPDATE, so it is never both ours and taken over: either it runs first and the row's
    fresh `updated_at` keeps recover_stale away for a whole lease, or recover_stale (or a new claim) ran
    first and this matches nothing.
    """
    held = db.session.execute(
        update(Message)
        .where(
            Message.id == claim.message_id,
            Message.status == MessageStatus.SENDING,
            Message.attempts == claim.attempt,
        )
        .values(updated_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if held != 1:
        db.session.rollback()  # and the refreshed words with it: the row is someone else's now
        return False
    db.session.commit()
    return True


def _send_sms(message: Message, attempt: int, gateway: SmsGateway, stats: Stats) -> None:
    to = message.to_address  # read before the send: a row another dispatcher took over is not read again
    try:
        result = gateway.send(to=to, body=message.body)
    except Retryable as error:
        _retry_later(message, attempt, error.code or "retry", str(error), stats)
    except Ambiguous as error:
        _finish(message, attempt, MessageStatus.UNKNOWN, error=str(error)[:300], code=error.code)
        stats.unknown += 1
        stats.provider_error(error.code)
        log.warning("SMS %s to %s: outcome unknown (%s); will reconcile", message.id, phone_mask(to), error.code)
    except Permanent as error:
        _refused(message, attempt, to, error.code or "", str(error))
        stats.failed += 1
        stats.provider_error(error.code)
    else:
        _sent(message, attempt, result.provider_id, now())
        stats.sent += 1


def _send_email(message: Message, attempt: int, stats: Stats) -> None:
    try:
        mail_send(
            Email(to=message.to_address, subject=message.subject or "A message from Coordinator", body=message.body)
        )
    except OSError as error:
        _retry_later(message, attempt, "smtp", str(error), stats)
    else:
        _finish(message, attempt, MessageStatus.SENT, sent_at=now())
        stats.sent += 1


def _retry_later(message: Message, attempt: int, code: str, error: str, stats: Stats) -> None:
    stats.provider_error(code)
    delay = min(30 * 2 ** max(attempt - 1, 0), 1800) * random.uniform(0.75, 1.25)
    retry_at = now() + timedelta(seconds=delay)
    if message.send_by is not None and retry_at > message.send_by:
        stats.failed += _finish(message, attempt, MessageStatus.FAILED, error=f"gave up: {error}"[:300], code=code)
        return
    stats.retried += _finish(message, attempt, MessageStatus.PENDING, due_at=retry_at, error=error[:300], code=code)


def _refused(message: Message, attempt: int, to: str, code: str, error: str) -> None:
    """Permanent refusals are final, and some say something about the number itself."""
    _finish(message, attempt, MessageStatus.FAILED, error=error[:300], code=code)
    if code in OPTED_OUT_CODES:
        record_opt_out(to)
    elif code in UNREACHABLE_CODES:
        db.session.execute(update(User).where(User.phone == to).values(phone_unreachable_at=now()))
        db.session.commit()
    log.info("SMS %s to %s refused for good (%s)", message.id, phone_mask(to), code)


def record_opt_out(phone: str) -> None:
    if db.session.get(PhoneOptOut, phone) is None:
        db.session.add(PhoneOptOut(phone=phone))
    db.session.execute(
        update(User).where(User.phone == phone, User.sms_opted_out_at.is_(None)).values(sms_opted_out_at=now())
    )
    db.session.commit()


def _sent(message: Message, attempt: int, provider_id: str, sent_at) -> None:
    """The provider has it: store its id (commit), then apply a receipt that came before the id did.

    If the row stopped being ours while the provider took its time (our lease ran out, another dispatcher
    took it over), the provider's answer still says the text went: a row still waiting to be settled or
    sent again is marked sent with this id, so it is not sent a second time; one settled already is left as
    it is (its status never goes back).
    """
    if not _finish(message, attempt, MessageStatus.SENT, provider_id=provider_id, sent_at=sent_at):
        waiting = (Message.status.in_((MessageStatus.UNKNOWN, MessageStatus.PENDING)), Message.provider_id.is_(None))
        sent = {"status": MessageStatus.SENT, "provider_id": provider_id, "sent_at": sent_at, "updated_at": now()}
        if not _write_if(message.id, *waiting, **sent):
            return
        db.session.expire(message)
    receipt_early_apply(message)
    db.session.commit()


def _finish(
    message: Message, attempt: int, status: str, *, error: str | None = None, code: str | None = None, **values
) -> bool:
    """Write how this attempt ended, only while the row is still this dispatcher's claim (status `sending`,
    the same attempt), and commit. False, writing nothing, if it was taken over meanwhile: a late answer
    never overwrites what another dispatcher (or a receipt) decided since."""
    values = {"status": status, "updated_at": now(), **values}
    if error is not None:
        values["last_error"] = error
    if code is not None:
        values["error_code"] = code
    written = _write_if(message.id, Message.status == MessageStatus.SENDING, Message.attempts == attempt, **values)
    db.session.expire(message)  # read again from the row
    if not written:
        log.info("Message %s was taken over by another dispatcher; its %s is not written", message.id, status)
    return written


def _write_if(message_id: int, *still, **values) -> bool:
    """One UPDATE of the row, only while it is as `still` says (whose it is, in which state); commit. True if so."""
    written = db.session.execute(
        update(Message)
        .where(Message.id == message_id, *still)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return written == 1


def reconcile(
    *,
    gateway: SmsGateway,
    stats: Stats | None = None,
    older_than: timedelta = timedelta(0),
    budget_seconds: float = RECONCILE_BUDGET_SECONDS,
) -> int:
    """Settle `unknown` rows by asking the provider; only what it never got is sent again.

    A pass asks for `budget_seconds` at most (a slow provider must not hold up the texts due behind it);
    rows asked about longest ago come first, so none waits behind the same few every pass.

    Every dispatcher reconciles, so each row is first taken (`_take_unknown`: its `updated_at` stamped, if
    nobody changed it since it was read) and settled only while it still carries that stamp: two dispatchers
    never both decide about one text.
    """
    stats = stats or Stats()
    seen = db.session.execute(
        select(Message.id, Message.updated_at)
        .where(Message.status == MessageStatus.UNKNOWN, Message.updated_at <= now() - older_than)
        .order_by(Message.updated_at, Message.id)
        .limit(200)
    ).all()
    db.session.commit()
    deadline = wall_clock.monotonic() + budget_seconds
    for message_id, updated_at in seen:
        if wall_clock.monotonic() > deadline:
            break  # the rest next pass
        stamp = _take_unknown(message_id, updated_at)
        if stamp is None:
            continue  # another dispatcher is settling it
        message = db.session.get(Message, message_id)
        # From when it was due: every attempt comes after that. Not from updated_at, which recovery and
        # these very stamps move forward (a host back after minutes would look past the text it sent).
        since = message.due_at - _lease() - RECONCILE_SLACK
        try:
            found = [m for m in gateway.sent_to(to=message.to_address, since=since) if m.body == message.body]
        except (Retryable, Ambiguous, Permanent) as error:
            # error.code, not the error: its text can carry the provider's URL, with the number in it
            log.warning("Could not reconcile message %s yet (%s)", message.id, error.code)
            _settle_unknown(message, stamp, updated_at=now())  # asked again after the others
            continue
        if found:
            known = set(
                db.session.scalars(
                    select(Message.provider_id).where(Message.provider_id.in_([m.provider_id for m in found]))
                )
            )
            found = [m for m in found if m.provider_id not in known]  # each provider message settles one row
        if found:
            settled = _settle_unknown(
                message, stamp, status=MessageStatus.SENT, provider_id=found[0].provider_id,
                sent_at=found[0].created_at or now(),
            )  # fmt: skip
            if settled:
                receipt_early_apply(message)
                db.session.commit()
        elif message.send_by is not None and now() > message.send_by:
            settled = _settle_unknown(
                message,
                stamp,
                status=MessageStatus.FAILED,
                last_error="never reached the provider, and it's now too late",
            )
        else:
            settled = _settle_unknown(
                message, stamp, status=MessageStatus.PENDING, due_at=now(),
                last_error="never reached the provider; sending again",
            )  # fmt: skip
        stats.reconciled += int(settled)
    return len(seen)


def _take_unknown(message_id: int, seen_at) -> object | None:
    """Stamp an `unknown` row as this dispatcher's to settle, if it is as it was read; the stamp, or None."""
    stamp = now()
    taken = _write_if(
        message_id, Message.status == MessageStatus.UNKNOWN, Message.updated_at == seen_at, updated_at=stamp
    )
    return stamp if taken else None


def _settle_unknown(message: Message, stamp, **values) -> bool:
    """Write what reconciling found, only if the row is still the `unknown` one this dispatcher took; commit."""
    values.setdefault("updated_at", now())
    return _write_if(message.id, Message.status == MessageStatus.UNKNOWN, Message.updated_at == stamp, **values)
