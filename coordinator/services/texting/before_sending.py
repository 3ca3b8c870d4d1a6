"""The last look before a message goes out: must it still go at all, and may it go now?

The dispatcher (dispatch.py) asks both questions of every row right before it
sends, because a lot can change between queueing and sending: the task was
cancelled or filled, the claim given back, the person replied STOP, left the
circle, or is asleep. Both only read; the dispatcher decides what to do with
the answer (cancel the row, or put it back until quiet hours end).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.inbound import PhoneOptOut
from coordinator.models.messages import Message
from coordinator.models.needs import Task, TaskStatus
from coordinator.services.texting.ask_budget import send_refusal
from coordinator.services.texting.quiet_hours import next_allowed, window_for, zone_for
from coordinator.services.texting.send_time import stale_reason

OFFERED = re.compile(r"\bTAKE (\d+)\b")  # each task an ask offers, by its code (templates/sms/offer.txt)
QUIET_EXEMPT = {"sign_in_code"}  # the person asked for it this minute
TASK_KINDS = {"reminder", "checkin", "ask"}
NEWS_KINDS = {"update_news", "update_week", "update_email", "notes_summary"}  # only while still in the circle
CLOSING_KINDS = {"circle_closed"}  # the one message a closing circle still sends: that it is closing
ALREADY_CONFIRMED = "they already said they can still do it"
CANCELLED = "the task was cancelled"


def cancel_reason(message: Message) -> str | None:
    """Why a message must not go out any more, checked right before sending."""
    moment = now()
    stale = stale_reason(message)
    if stale:
        return stale
    if message.send_by is not None and moment > message.send_by:
        return "too late: its moment has passed"
    if message.circle_id and message.kind not in CLOSING_KINDS:
        closed = db.session.scalar(select(Circle.closed_at).where(Circle.id == message.circle_id))
        if closed is not None:
            return "the circle is closing"
    if message.channel == "sms":
        if db.session.get(PhoneOptOut, message.to_address) is not None:
            return "the number replied STOP"
        user = db.session.get(User, message.user_id) if message.user_id else None
        if user is not None and (user.sms_opted_out_at or user.phone_unreachable_at or not user.sms_enabled):
            return "texts are off for this person"
    if message.kind in TASK_KINDS and message.task_id:
        task = db.session.get(Task, message.task_id)
        gone = (
            CANCELLED
            if task is None or task.status != TaskStatus.OPEN
            else "somebody already took it"
            if message.kind == "ask" and task.claimed >= task.capacity
            else None
        )
        # An offer goes while any task it names is open, unless its first task was cancelled: it would open the text.
        if gone and not (message.kind == "ask" and gone != CANCELLED and _offer_still_open(message)):
            return gone
        if message.claim_id:
            claim = db.session.get(Claim, message.claim_id)
            if claim is None or claim.status != ClaimStatus.HELD:
                return "the task was given back"
            if message.kind == "checkin" and claim.confirmed_at and claim.confirmed_at >= message.created_at:
                return ALREADY_CONFIRMED  # they replied OK after this was written (a moved task asks again)
    if message.user_id and message.circle_id and message.kind in TASK_KINDS | NEWS_KINDS | {"digest", "reopen_ask"}:
        member = db.session.scalar(
            select(Membership.status).where(
                Membership.user_id == message.user_id, Membership.circle_id == message.circle_id
            )
        )
        if member not in (MembershipStatus.ACTIVE, MembershipStatus.ARCHIVED) or (
            member == MembershipStatus.ARCHIVED and message.kind != "reopen_ask"
        ):
            return "no longer in the circle"
    return send_refusal(message)  # the week's asks and the spacing between them (ask_budget.py)


def _offer_still_open(message: Message) -> bool:
    """Whether an ask offering several tasks (services/health/offers.py) still offers one somebody could take.

    The text names each task it offers by its code ("TAKE 143"), the task's number: those are what it asks.
    """
    others = {int(code) for code in OFFERED.findall(message.body or "")} - {message.task_id}
    if not others:
        return False
    found = db.session.scalar(
        select(Task.id)
        .where(
            Task.id.in_(others),
            Task.circle_id == message.circle_id,
            Task.status == TaskStatus.OPEN,
            Task.claimed < Task.capacity,
            Task.starts_at > now(),
        )
        .limit(1)
    )
    return found is not None


def quiet_until(message: Message) -> datetime | None:
    """When the recipient's quiet hours end, if they're in them now; else None."""
    if message.channel != "sms" or message.kind in QUIET_EXEMPT:
        return None
    user = db.session.get(User, message.user_id) if message.user_id else None
    circle_zone = (
        db.session.scalar(select(Circle.timezone).where(Circle.id == message.circle_id)) if message.circle_id else None
    )
    start, end = window_for(user)
    moment = now()
    allowed = next_allowed(moment, zone=zone_for(user, circle_zone), start=start, end=end)
    return allowed if allowed > moment else None
