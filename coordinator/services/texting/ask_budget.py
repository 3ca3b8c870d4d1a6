"""One budget per person: which texts ask something of a supporter, how many they had this week, and spacing.

A supporter chooses "Ask me at most N times a week" (Membership.asks_per_week).
Every text that asks something of them draws from that one number: asks about a
task, the weekly digest, re-engagement and a reopening's ask (ASKING_KINDS). A
reminder or check-in about a task they took, a thank-you, news about a task they
hold, or news of an update they chose to hear of (services/updates/delivery.py)
asks nothing of them and never counts.

The week is the last seven days, rolling (7 x 24 hours back from now), for
everyone. A calendar week in the person's zone would let three asks on Saturday
and three more on Monday through; any seven days a supporter looks back over
holds at most N of our asks, which is the promise as they read it, and it needs
no zone or daylight-saving rule to agree on. Spacing: no two asking texts to one
person within ASK_MIN_GAP_HOURS (in any circle), and re-engagement never within
REENGAGE_QUIET_DAYS after another ask.

Queued-and-not-cancelled and sent texts count, each at the moment it went (or
will go): its sent_at, else its due_at. Outreach, re-engagement, digests
and reopening load a whole circle's budget in two queries (`CircleBudget`; for
one person, `asks_used` and `ask_refusal`); the dispatcher checks once more
right before sending (`send_refusal`), counting only texts already handed over.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.circles import Membership
from coordinator.models.messages import Message, MessageStatus

ASK, DIGEST, REENGAGE, REOPEN_ASK = "ask", "digest", "reengage", "reopen_ask"
ASKING_KINDS = frozenset({ASK, DIGEST, REENGAGE, REOPEN_ASK})
WEEK = timedelta(days=7)
NOT_GOING = (MessageStatus.CANCELLED, MessageStatus.FAILED)
HANDED_OVER = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.UNKNOWN)

OVER_BUDGET = "over the week's asks"
TOO_SOON = "too soon after another ask"
REENGAGE_TOO_SOON = "re-engagement too soon after another ask"


def ask_gap() -> timedelta:
    return timedelta(hours=current_app.config["ASK_MIN_GAP_HOURS"])


def reengage_quiet() -> timedelta:
    return timedelta(days=current_app.config["REENGAGE_QUIET_DAYS"])


def _went_at():
    return func.coalesce(Message.sent_at, Message.due_at)


def _spacing_refusal(kind: str, last: datetime | None, moment: datetime) -> str | None:
    if last is None:
        return None
    if last > moment - ask_gap():
        return TOO_SOON
    if kind == REENGAGE and last > moment - reengage_quiet():
        return REENGAGE_TOO_SOON
    return None


@dataclass
class CircleBudget:
    """Asks used this week (in this circle) and the last asking text (in any circle) for a circle's people."""

    used: Counter
    last: dict[int, datetime]
    moment: datetime = field(default_factory=now)

    @classmethod
    def load_for(cls, circle_id: int, user_ids: list[int] | None = None) -> CircleBudget:
        """Two queries, however many people: counts in the circle, then each person's latest ask anywhere."""
        moment = now()
        counted = (
            select(Message.user_id, func.count())
            .where(
                Message.circle_id == circle_id,
                Message.kind.in_(ASKING_KINDS),
                Message.status.not_in(NOT_GOING),
                _went_at() > moment - WEEK,
            )
            .group_by(Message.user_id)
        )
        people = (
            select(Membership.user_id).where(Membership.circle_id == circle_id) if user_ids is None else list(user_ids)
        )
        latest = (
            select(Message.user_id, func.max(_went_at()))
            .where(
                Message.user_id.in_(people),
                Message.kind.in_(ASKING_KINDS),
                Message.status.not_in(NOT_GOING),
                _went_at() > moment - max(WEEK, reengage_quiet(), ask_gap()),
            )
            .group_by(Message.user_id)
        )
        return cls(
            used=Counter(dict(db.session.execute(counted).all())),
            last=dict(db.session.execute(latest).all()),
            moment=moment,
        )

    def refusal(self, member: Membership, kind: str = ASK) -> str | None:
        """Why one more asking text of `kind` may not be queued to `member` now (None: it may)."""
        if self.used[member.user_id] >= member.asks_per_week:
            return OVER_BUDGET
        return _spacing_refusal(kind, self.last.get(member.user_id), self.moment)

    def may_ask(self, member: Membership, kind: str = ASK) -> bool:
        return self.refusal(member, kind) is None

    def spend(self, user_id: int) -> None:
        """Count a text just queued, so the rest of this pass sees it."""
        self.used[user_id] += 1
        self.last[user_id] = max(self.moment, self.last.get(user_id, self.moment))


def asks_used(member: Membership) -> int:
    """How many of their asks this week one member has used (queued or sent, not cancelled) in their circle."""
    return CircleBudget.load_for(member.circle_id, [member.user_id]).used[member.user_id]


def ask_refusal(member: Membership, kind: str = ASK) -> str | None:
    """Why one more asking text of `kind` may not go to `member` now (None: it may); one person's CircleBudget."""
    return CircleBudget.load_for(member.circle_id, [member.user_id]).refusal(member, kind)


def send_refusal(message: Message) -> str | None:
    """The last check before an asking text goes: would it break the week's budget or the spacing right now?

    Only texts already handed to the provider count here, so two asks queued
    for one person cannot cancel each other: the first goes, the second is
    then refused.
    """
    if message.kind not in ASKING_KINDS or message.user_id is None:
        return None
    moment = now()
    others = (
        Message.user_id == message.user_id,
        Message.id != message.id,
        Message.kind.in_(ASKING_KINDS),
        Message.status.in_(HANDED_OVER),
    )
    if message.circle_id is not None:
        allowed = db.session.scalar(
            select(Membership.asks_per_week).where(
                Membership.user_id == message.user_id, Membership.circle_id == message.circle_id
            )
        )
        sent = db.session.scalar(
            select(func.count()).where(*others, Message.circle_id == message.circle_id, _went_at() > moment - WEEK)
        )
        if allowed is not None and sent >= allowed:
            return OVER_BUDGET
    last = db.session.scalar(select(func.max(_went_at())).where(*others))
    return _spacing_refusal(message.kind, last, moment)
