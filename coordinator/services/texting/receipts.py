"""Delivery receipts: the provider's word on a text we sent, which only ever moves it forward.

Twilio calls back as a text goes out and as it lands, sometimes late and out of order, so a
late "sent" never undoes "delivered". The row changes only if it is still in the state we read
(one conditional UPDATE), so two receipts racing each other can't both win. A final refusal from
the carrier (STOP, a number that doesn't exist) is remembered on the number (inbound.number_refused).

A receipt can also beat the dispatcher: Twilio may call back before the dispatcher has stored the id
Twilio's answer gave the text. Such a receipt is kept (`early_receipts`) and applied by whichever side
comes second: the dispatcher, right after it commits the id (`receipt_early_apply`), or the webhook,
which looks for the id once more after committing the early receipt (`receipt_early_settle`). One of
the two always sees the other's commit, so no receipt is lost between them.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.inbound import EarlyReceipt
from coordinator.models.messages import Message, MessageStatus
from coordinator.services.texting.inbound import number_refused

RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
}
PROVIDER_STATUS = {  # Twilio's MessageStatus, as ours; the ones not here (queued, sending, ...) change nothing
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}
REFUSED = (MessageStatus.UNDELIVERED, MessageStatus.FAILED)


class Receipt(StrEnum):
    MOVED = "moved"  # the message moved on
    KEPT = "kept"  # no message has that id yet: kept for when one does (then call receipt_early_settle)
    IGNORED = "ignored"  # nothing to do: an unknown status, or not further than the message already is


def receipt_record(*, provider_id: str, provider_status: str, error_code: str = "") -> Receipt:
    """Move the message the provider calls `provider_id` on to what it reports, or keep the receipt for later."""
    new = PROVIDER_STATUS.get((provider_status or "").lower())
    if not provider_id or new is None:
        return Receipt.IGNORED
    message = db.session.scalar(select(Message).where(Message.provider_id == provider_id))
    if message is None:
        _keep_early(provider_id, new, error_code[:20])
        return Receipt.KEPT
    return Receipt.MOVED if _move(message, new, error_code) else Receipt.IGNORED


def receipt_early_apply(message: Message) -> bool:
    """Apply and drop a receipt that came before `message.provider_id` was stored (the dispatcher calls this
    after committing the id). True if the message moved on."""
    early = db.session.get(EarlyReceipt, message.provider_id) if message.provider_id else None
    if early is None:
        return False
    moved = _move(message, early.status, early.error_code)
    # Core, not session.delete: the webhook and a dispatcher may both apply it, and the second deletes nothing
    db.session.execute(delete(EarlyReceipt).where(EarlyReceipt.provider_id == early.provider_id))
    db.session.expunge(early)
    return moved


def receipt_early_settle(provider_id: str, provider_status: str, error_code: str = "") -> bool:
    """After a kept receipt was committed: if its message has the id by now, apply this receipt there, and the
    furthest one kept for it (another receipt may have been kept, or taken, meanwhile). True if it moved."""
    message = db.session.scalar(select(Message).where(Message.provider_id == provider_id))
    if message is None:
        return False
    moved = receipt_early_apply(message)
    new = PROVIDER_STATUS.get((provider_status or "").lower())
    return (_move(message, new, error_code) if new is not None else False) or moved


def early_receipts_sweep() -> int:
    """Apply kept receipts whose text has its id by now (a dispatcher stopped between storing the id and
    applying them); one query when there are none. Returns how many were applied."""
    messages = db.session.scalars(
        select(Message).join(EarlyReceipt, EarlyReceipt.provider_id == Message.provider_id)
    ).all()
    for message in messages:
        receipt_early_apply(message)
    return len(messages)


def _rank(status):
    """RANK in SQL, for comparing a kept receipt with a newer one inside the database."""
    return case({str(state): rank for state, rank in RANK.items()}, value=status, else_=0)


def _keep_early(provider_id: str, status: str, error_code: str) -> None:
    """Keep a receipt for an id no row holds yet; two for the same text keep the furthest (one statement)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    kept = insert(EarlyReceipt).values(provider_id=provider_id, status=status, error_code=error_code, received_at=now())
    further = _rank(kept.excluded.status) > _rank(EarlyReceipt.status)
    db.session.execute(
        kept.on_conflict_do_update(
            index_elements=["provider_id"],
            set_={
                "status": case((further, kept.excluded.status), else_=EarlyReceipt.status),
                "error_code": case((further, kept.excluded.error_code), else_=EarlyReceipt.error_code),
            },
        )
    )


def _move(message: Message, new: str, error_code: str) -> bool:
    if RANK[new] <= RANK.get(message.status, 0):
        return False
    values = {"status": new}
    if error_code:
        values["error_code"] = error_code[:20]
    moved = db.session.execute(
        update(Message).where(Message.id == message.id, Message.status == message.status).values(**values)
    ).rowcount
    if moved and new in REFUSED:
        number_refused(message.to_address, error_code)
    return bool(moved)


def early_receipts_purge(*, older_than: timedelta) -> int:
    """Receipts no text of ours ever claimed (another system on the same account): gone after a while."""
    return db.session.execute(delete(EarlyReceipt).where(EarlyReceipt.received_at < now() - older_than)).rowcount
