"""Delivery receipts: the provider's word on a text we sent, which only ever moves it forward.

Twilio calls back as a text goes out and as it lands, sometimes late and out of order, so a
late "sent" never undoes "delivered". The row changes only if it is still in the state we read
(one conditional UPDATE), so two receipts racing each other can't both win. A final refusal from
the carrier (STOP, a number that doesn't exist) is remembered on the number (inbound.number_refused).
"""

from __future__ import annotations

from sqlalchemy import select, update

from coordinator.extensions import db
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


def receipt_record(*, provider_id: str, provider_status: str, error_code: str = "") -> bool:
    """Move the message the provider calls `provider_id` on to what it reports; True if it moved."""
    new = PROVIDER_STATUS.get((provider_status or "").lower())
    if not provider_id or new is None:
        return False
    message = db.session.scalar(select(Message).where(Message.provider_id == provider_id))
    if message is None or RANK[new] <= RANK.get(message.status, 0):
        return False
    values = {"status": new}
    if error_code:
        values["error_code"] = error_code[:20]
    db.session.execute(
        update(Message).where(Message.id == message.id, Message.status == message.status).values(**values)
    )
    if new in REFUSED:
        number_refused(message.to_address, error_code)
    return True
