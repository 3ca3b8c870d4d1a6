"""Forgetting old texts: what messages said, and the texts people sent us, after configurable periods.

A sent message keeps its row (who it went to, what kind, when, what became of
it) so the message log still shows that something happened, but after
RETAIN_MESSAGE_BODIES_DAYS its words (body and subject) are blanked. A message
still on its way (pending, sending, or unknown: maybe sent) is never touched.
Texts people sent us are deleted: a member's after RETAIN_INBOUND_DAYS, one from
a number that belongs to nobody after RETAIN_UNKNOWN_INBOUND_DAYS. A delivery receipt kept for a text
id no row of ours ever took (another sender on the same Twilio account) goes after a day. The scheduler
runs this (job `retention_texts`); running it twice changes nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from coordinator.clock import now
from coordinator.models.inbound import InboundMessage
from coordinator.models.messages import Message, MessageStatus
from coordinator.services.batches import in_batches
from coordinator.services.texting.receipts import early_receipts_purge

log = logging.getLogger(__name__)

EARLY_RECEIPTS_KEPT = timedelta(days=1)  # a receipt waits this long for its text's id (seconds would do)

# What became of a message once nothing more will happen to it; only these lose their words.
FINISHED = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.FAILED,
    MessageStatus.UNDELIVERED,
    MessageStatus.CANCELLED,
)


def _cutoff(setting: str) -> datetime:
    return now() - timedelta(days=current_app.config[setting])


def texting_retention_purge(*, batch_done: Callable[[], None] = lambda: None) -> dict[str, int]:
    """Blank old message bodies, delete old inbound texts and stale early receipts; returns how many of each."""
    counts = {
        "message_bodies": _blank_bodies(_cutoff("RETAIN_MESSAGE_BODIES_DAYS"), batch_done),
        "inbound_texts": _delete_inbound(InboundMessage.user_id.is_not(None), "RETAIN_INBOUND_DAYS", batch_done),
        "unknown_inbound_texts": _delete_inbound(
            InboundMessage.user_id.is_(None), "RETAIN_UNKNOWN_INBOUND_DAYS", batch_done
        ),
        "early_receipts": early_receipts_purge(older_than=EARLY_RECEIPTS_KEPT),
    }
    batch_done()
    log.info("Retention (texts): %s", counts)
    return counts


def _blank_bodies(cutoff: datetime, batch_done: Callable[[], None]) -> int:
    ids = (
        select(Message.id)
        .where(
            Message.status.in_(FINISHED),
            Message.due_at < cutoff,
            or_(Message.body != "", Message.subject != ""),
        )
        .order_by(Message.id)
    )
    return in_batches(
        ids,
        lambda batch: update(Message).where(Message.id.in_(batch)).values(body="", subject=""),
        batch_done=batch_done,
    )


def _delete_inbound(whose, setting: str, batch_done: Callable[[], None]) -> int:
    ids = (
        select(InboundMessage.id)
        .where(whose, InboundMessage.received_at < _cutoff(setting))
        .order_by(InboundMessage.id)
    )
    return in_batches(
        ids, lambda batch: delete(InboundMessage).where(InboundMessage.id.in_(batch)), batch_done=batch_done
    )
