"""Acting on texts people send: TAKE, OK, DROP, OPEN, MINE, NOTE, and opt-out words.

Each inbound text is stored by its provider id first, so a webhook retried by
Twilio finds the stored answer and nothing happens twice. Unknown numbers get
one generic line and learn nothing. Opt-out and opt-in words are recorded but
never answered (Twilio answers those itself).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.clock import now
from coordinator.errors import Conflict, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.inbound import InboundMessage, PhoneOptOut
from coordinator.models.messages import Message
from coordinator.models.needs import Need, Task, TaskStatus
from coordinator.services.care.claims import claim_make, claim_release
from coordinator.services.care.matching import suits
from coordinator.services.care.plan_quiet import quiet_visits_left_out
from coordinator.services.care.tasks import sms_context
from coordinator.services.health.activity import activity_record
from coordinator.services.health.patient_checkins import patient_reply
from coordinator.services.texting.digests import digest_line
from coordinator.services.texting.messages import messages_cancel
from coordinator.services.updates.notes import note_by_text
from coordinator.sms.commands import Command, parse
from coordinator.sms.segments import segments
from coordinator.urls import public_url

HELP_LINE = (
    "Reply TAKE 42 to take task 42, OK 42 to confirm, DROP 42 to give it back, OPEN for what's needed, "
    "MINE for yours, NOTE and words to send a note."
)
MINE_MOST = 30  # counted for "and N more"; as many as fit in one text are named
NO_LOOKS_BACK = timedelta(days=2)  # a check-in goes the evening before; a reminder hours before
STRANGER = (
    "This number sends updates for Coordinator support circles. If you were invited, open the link in your invitation."
)


def inbound_handle(*, provider_id: str, from_number: str, body: str) -> str:
    """Act on one inbound text (once per provider id) and return the reply ("" for none)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    fresh = db.session.execute(
        insert(InboundMessage)
        .values(
            provider_id=provider_id, from_number=from_number, body=body[:1600], received_at=now(), command="", reply=""
        )
        .on_conflict_do_nothing(index_elements=["provider_id"])
        .returning(InboundMessage.id)  # not rowcount: PostgreSQL reports -1 for this insert
    ).first()
    row = db.session.scalar(select(InboundMessage).where(InboundMessage.provider_id == provider_id))
    if not fresh:
        return row.reply  # a retried webhook: same answer, nothing done again
    command = parse(body)
    user = db.session.scalar(select(User).where(User.phone == from_number))
    row.user_id = user.id if user else None
    if user is not None and user.phone_unreachable_at is not None:
        user.phone_unreachable_at = None  # it just sent a text: it can take ours (a carrier once said otherwise)
    row.command = command.word
    row.reply = _act(command, from_number, user, body)
    return row.reply


def sender_known(*, phone: str) -> bool:
    """Whether `phone` is someone's (web/sms.py throttles texts from numbers that are nobody's)."""
    return db.session.scalar(select(User.id).where(User.phone == phone).limit(1)) is not None


def _act(command: Command, from_number: str, user: User | None, body: str = "") -> str:
    if command.word == "OPT_OUT":
        _opt_out(from_number, user)
        return ""
    if command.word == "OPT_IN":
        _opt_in(from_number, user)
        return ""
    if command.word == "PROVIDER_HELP":
        return ""
    if user is not None and command.word in ("BACK", "NO"):
        answered = _reopen_reply(user, yes=command.word == "BACK")
        if answered is not None:
            return answered
    if user is None or not _memberships(user):
        return STRANGER
    if command.word == "NO":
        return _no(user)
    if command.word == "BACK":
        return HELP_LINE
    for member in _memberships(user):
        activity_record(
            kind="sms.replied",
            circle_id=member.circle_id,
            actor_id=user.id,
            subject_id=user.id,
            data={"command": command.word},
        )
    if command.word == "NOTE" and any(m.role != PATIENT for m in _memberships(user)):
        return note_by_text(user=user, words=command.words) if command.words else HELP_LINE
    patient = next((m for m in _memberships(user) if m.role == PATIENT), None)
    answer = patient_reply(user=user, membership=patient, text=body) if patient else None
    if answer is not None:
        return answer  # the patient answering a weekly check-in ("3", "RIDE TUE 9")
    if command.word in ("UNKNOWN", "NOTE"):
        return HELP_LINE
    handler = {"TAKE": _take, "OK": _confirm, "DROP": _drop, "OPEN": _open, "MINE": _mine}[command.word]
    return handler(user, command.code)


def _memberships(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE)
        )
    )


def _membership_for_task(user: User, code: int | None) -> tuple[Membership, Task] | None:
    task = db.session.get(Task, code) if code else None
    if task is None:
        return None
    member = next((m for m in _memberships(user) if m.circle_id == task.circle_id), None)
    return (member, task) if member else None


def _take(user: User, code: int | None) -> str:
    found = _membership_for_task(user, code)
    if found is None:
        return f"There's no task {code} for you. Reply OPEN to see what's needed."
    member, task = found
    if member.role == PATIENT:
        return f"Task {code} is help for you, so it's for others to take. We'll find someone."
    try:
        result = claim_make(membership=member, task_id=task.id)
    except NotFound:
        return f"There's no task {code} for you. Reply OPEN to see what's needed."
    except Conflict as error:
        if "already have" in error.message:
            return f"You already have task {code}. Thank you!"
        return f"Task {code} is already taken or over. Thank you for offering! Reply OPEN for others."
    c = sms_context(result.task)
    clash = " Note: it overlaps another task you have." if result.overlaps else ""
    return f"Thank you! You've got {c['noun']} for {c['first_name']} {c['when']} (task {c['code']}). We'll remind you. Reply DROP {c['code']} if plans change.{clash}"


def _confirm(user: User, code: int | None) -> str:
    claim = db.session.scalar(
        select(Claim).where(Claim.task_id == (code or 0), Claim.user_id == user.id, Claim.status == ClaimStatus.HELD)
    )
    if claim is None:
        return f"You don't have task {code} right now. Reply MINE to see yours."
    if claim.confirmed_at is None:
        db.session.execute(update(Claim).where(Claim.id == claim.id).values(confirmed_at=now()))
        activity_record(
            kind="claim.confirmed",
            circle_id=claim.circle_id,
            actor_id=user.id,
            subject_id=user.id,
            object_type="task",
            object_id=claim.task_id,
        )
    return "Great, thank you! See you then."


def _drop(user: User, code: int | None) -> str:
    found = _membership_for_task(user, code)
    if found is None:
        return f"You don't have task {code} right now. Reply MINE to see yours."
    member, task = found
    try:
        released = claim_release(membership=member, task_id=task.id, note="Dropped by text")
    except NotFound:
        released = False
    if not released:
        return f"You don't have task {code} right now. Reply MINE to see yours."
    c = sms_context(task)
    return (
        f"Got it: you're off {c['noun']} {c['when']}. Thanks for letting us know; the coordinators will find someone."
    )


def _no(user: User) -> str:
    """A "no" (or "can't make it") that answers no ask of theirs. After a check-in or a reminder about a task they
    hold, it most likely means "I can't come": saying "no problem" would leave the task held by someone who is not
    coming, and giving it back on a bare "no" could be wrong ("No problem, see you then"). So: how to give it back."""
    task = db.session.scalar(
        select(Task)
        .join(Claim, (Claim.task_id == Task.id) & (Claim.user_id == user.id) & (Claim.status == ClaimStatus.HELD))
        .join(Message, (Message.task_id == Task.id) & (Message.user_id == user.id))
        .options(joinedload(Task.need))
        .where(
            Message.kind.in_(("checkin", "reminder")),
            Message.sent_at > now() - NO_LOOKS_BACK,
            Task.status == TaskStatus.OPEN,
            Task.ends_at > now(),
        )
        .order_by(Message.sent_at.desc())
        .limit(1)
    )
    if task is None:
        return "No problem at all. Thanks for letting us know."
    c = sms_context(task)
    return f"Sorry to hear it. To give back {c['noun']} {c['when']}, reply DROP {c['code']} and we'll find someone."


def _open(user: User, code: int | None) -> str:
    members = _memberships(user)
    moment = now()
    tasks = db.session.scalars(
        select(Task)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .join(Circle, Circle.id == Task.circle_id)
        .where(
            Circle.closed_at.is_(None),  # a closing circle asks nothing more of anyone
            Task.circle_id.in_([m.circle_id for m in members]),
            Task.status == TaskStatus.OPEN,
            Task.claimed < Task.capacity,
            Task.starts_at > moment,
            Task.starts_at < moment + timedelta(days=14),
        )
        .order_by(Task.starts_at)
        .limit(50)
    )
    by_circle = {m.circle_id: m for m in members}
    picks = [t for t in quiet_visits_left_out(list(tasks)) if suits(by_circle[t.circle_id], t)][:3]
    if not picks:
        return "Nothing open that suits you right now. Thank you for checking!"
    url = public_url("tasks.index", circle_id=picks[0].circle_id, open="1")
    return "Open: " + "; ".join(digest_line(t) for t in picks) + f". More: {url}"


def _mine(user: User, code: int | None) -> str:
    rows = db.session.scalars(
        select(Task)
        .join(Claim, Claim.task_id == Task.id)
        .join(Need, Need.id == Task.need_id)
        .options(contains_eager(Task.need))
        .join(Circle, Circle.id == Task.circle_id)
        .where(
            Circle.closed_at.is_(None),
            Claim.user_id == user.id,
            Claim.status == ClaimStatus.HELD,
            Task.status == TaskStatus.OPEN,
            Task.ends_at > now(),
        )
        .order_by(Task.starts_at)
        .limit(MINE_MOST)
    ).all()
    if not rows:
        return "You have nothing coming up. Reply OPEN to see what's needed."
    lines = [digest_line(t).replace("(TAKE ", "(task ") for t in rows]
    for shown in range(len(lines), 0, -1):  # as many as one text holds, soonest first
        more = f" and {len(rows) - shown} more" if shown < len(rows) else ""
        reply = "Yours: " + "; ".join(lines[:shown]) + f"{more}. Reply DROP and the number if plans change."
        if segments(reply).count <= 1:
            break
    return reply


def opt_out_record(phone: str) -> None:
    """The number said STOP: nothing more goes to it until it says START (a stranger's too: it may be someone's later)."""
    if db.session.get(PhoneOptOut, phone) is None:
        db.session.add(PhoneOptOut(phone=phone))


def _opt_out(phone: str, user: User | None) -> None:
    opt_out_record(phone)
    if user is not None:
        user.sms_opted_out_at = user.sms_opted_out_at or now()
        messages_cancel(user_id=user.id)
        for member in _memberships(user):
            activity_record(kind="sms.opted_out", circle_id=member.circle_id, actor_id=user.id, subject_id=user.id)


def _opt_in(phone: str, user: User | None) -> None:
    db.session.execute(delete(PhoneOptOut).where(PhoneOptOut.phone == phone))
    if user is not None and user.sms_opted_out_at is not None:
        user.sms_opted_out_at = None
        for member in _memberships(user):
            activity_record(kind="sms.opted_in", circle_id=member.circle_id, actor_id=user.id, subject_id=user.id)


def number_refused(phone: str, code: str) -> None:
    """A carrier's final word on a number: opted out (21610), or not a mobile that exists (30005, 30006)."""
    if code == "21610":
        if db.session.get(PhoneOptOut, phone) is None:
            db.session.add(PhoneOptOut(phone=phone))
        db.session.execute(
            update(User).where(User.phone == phone, User.sms_opted_out_at.is_(None)).values(sms_opted_out_at=now())
        )
    elif code in {"30005", "30006"}:
        db.session.execute(update(User).where(User.phone == phone).values(phone_unreachable_at=now()))


def _reopen_reply(user: User, *, yes: bool) -> str | None:
    """An answer by text to "could you help this time?"; None if nobody asked them."""
    from coordinator.models.invitations import ReopenAnswer
    from coordinator.services.health.reopen import reopen_answer

    member_ids = select(Membership.id).where(
        Membership.user_id == user.id, Membership.status.in_((MembershipStatus.ACTIVE, MembershipStatus.ARCHIVED))
    )
    answer = db.session.scalar(
        select(ReopenAnswer)
        .where(ReopenAnswer.membership_id.in_(member_ids), ReopenAnswer.answer == "asked")
        .order_by(ReopenAnswer.asked_at.desc())
    )
    if answer is None:
        return None
    reopen_answer(answer=answer, yes=yes)
    if yes:
        return "Thank you! You're back in. Reply OPEN to see what would help."
    return "Thank you for letting us know. We won't ask again."
