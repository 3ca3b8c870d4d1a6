"""Reopening a quiet circle: ask the people who helped before, once, whether they can again.

Asking a second time is hard, so the service does it: a coordinator (or the
patient) picks who to ask and words the message; the patient approves it; each
person gets one message with a personal link (or can reply by text). A yes
brings them back as an active supporter; a no quietly archives them, and
nobody is asked again for that reopening.
"""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.errors import Conflict, Expired, Invalid, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import PATIENT, SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim
from coordinator.models.invitations import ReopenAnswer, Reopening, ReopeningStatus
from coordinator.services.health.activity import activity_record
from coordinator.services.people.closing import circle_open_check
from coordinator.services.texting.ask_budget import REOPEN_ASK, CircleBudget
from coordinator.services.texting.messages import message_queue, notify
from coordinator.sms.segments import too_many_texts
from coordinator.tokens import token_hash, token_new
from coordinator.urls import public_url

QUIET_DAYS = 60
ANSWER_DAYS = 30
MESSAGE_MAX = 600  # characters, for an email; the text is capped by segments
MESSAGE_TEXTS = 3  # the most SMS segments the ask, with the coordinator's words, may go as


def reopen_default_message(*, circle: Circle) -> str:
    return (
        f"{circle.patient_first_name}'s treatment is starting again, and we're getting the circle back together. "
        "You helped before and it meant a lot. Could you be part of it this time? Even one small thing helps."
    )


def former_supporters(*, circle_id: int) -> list[tuple[Membership, bool]]:
    """Supporters (active or archived), each with whether they look gone quiet (suggested for asking)."""
    members = list(
        db.session.scalars(
            select(Membership)
            .where(
                Membership.circle_id == circle_id,
                Membership.role == SUPPORTER,
                Membership.status.in_((MembershipStatus.ACTIVE, MembershipStatus.ARCHIVED)),
            )
            .order_by(Membership.created_at)
        )
    )
    since = now() - timedelta(days=QUIET_DAYS)
    recent = set(
        db.session.scalars(select(Claim.user_id).where(Claim.circle_id == circle_id, Claim.created_at >= since))
    )
    return [(m, m.status == MembershipStatus.ARCHIVED or m.user_id not in recent) for m in members]


def reopen_request(*, actor: Membership, member_ids: list[int], message: str) -> Reopening:
    """Prepare a reopening; it goes out at once if the patient asks, else after the patient approves."""
    circle_open_check(actor.circle)
    text = (message or "").strip()
    if not text:
        raise Invalid("Write a few words to send.", field="message")
    if len(text) > MESSAGE_MAX:
        raise Invalid(f"Keep the message under {MESSAGE_MAX} characters.", field="message")
    _fits_in_texts(text, circle=actor.circle)
    allowed = {m.id for m, _ in former_supporters(circle_id=actor.circle_id)}
    chosen = sorted(set(member_ids) & allowed)
    if not chosen:
        raise Invalid("Choose at least one person to ask.", field="member_ids")
    if db.session.scalar(
        select(Reopening.id).where(
            Reopening.circle_id == actor.circle_id, Reopening.status == ReopeningStatus.AWAITING_PATIENT
        )
    ):
        raise Conflict("A reopening is already waiting for the patient's approval.")
    reopening = Reopening(circle_id=actor.circle_id, requested_by_id=actor.user_id, message=text, member_ids=chosen)
    db.session.add(reopening)
    db.session.flush()
    activity_record(
        kind="circle.reopen_requested", circle_id=actor.circle_id, actor_id=actor.user_id, data={"people": len(chosen)}
    )
    patient = db.session.scalar(
        select(Membership).where(
            Membership.circle_id == actor.circle_id,
            Membership.role == PATIENT,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    if patient is None or patient.user_id == actor.user_id:
        reopen_send(reopening=reopening, approver=actor.user)
    else:
        url = public_url("reopen.review", circle_id=actor.circle_id)
        notify(
            user=patient.user,
            kind="reopen_review",
            key=f"reopen-review:{reopening.id}",
            context={"by": actor.user.first_name, "count": len(chosen), "url": url},
            circle_id=actor.circle_id,
        )
    return reopening


def reopen_pending(*, circle_id: int) -> Reopening | None:
    return db.session.scalar(
        select(Reopening).where(Reopening.circle_id == circle_id, Reopening.status == ReopeningStatus.AWAITING_PATIENT)
    )


def _fits_in_texts(text: str, *, circle: Circle) -> None:
    """The words, inside the ask as it will be texted (with a real-length link), go as at most MESSAGE_TEXTS texts."""
    sample = {"circle": circle, "message": text, "url": public_url("reopen.answer", token=token_new())}
    problem = too_many_texts(render_template("sms/reopen_ask.txt", **sample).strip(), most=MESSAGE_TEXTS)
    if problem:
        raise Invalid(problem, field="message")


def reopen_send(*, reopening: Reopening, approver: User) -> int:
    """Send each chosen person one message with a personal answer link; returns how many were asked."""
    sent = db.session.execute(
        update(Reopening)
        .where(Reopening.id == reopening.id, Reopening.status == ReopeningStatus.AWAITING_PATIENT)
        .values(status=ReopeningStatus.SENT, sent_at=now(), approved_by_id=approver.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if sent != 1:
        raise Conflict("This reopening was already sent or withdrawn.")
    circle = db.session.get(Circle, reopening.circle_id)
    asked = 0
    chosen = list(db.session.scalars(select(Membership).where(Membership.id.in_(reopening.member_ids))))
    budget = CircleBudget.load_for(circle.id, [m.user_id for m in chosen])
    for member in chosen:
        if not budget.may_ask(member, REOPEN_ASK):
            continue  # it draws from their asks this week like any ask (services/texting/ask_budget.py)
        token = token_new()
        answer = ReopenAnswer(reopening_id=reopening.id, membership_id=member.id, token_hash=token_hash(token))
        db.session.add(answer)
        db.session.flush()
        url = public_url("reopen.answer", token=token)
        context = {"circle": circle, "person": member.user, "message": reopening.message, "url": url}
        body = render_template("sms/reopen_ask.txt", **context).strip()
        user = member.user
        if user.can_text:
            channel, address = "sms", user.phone
        elif user.email and user.email_enabled:
            channel, address = "email", user.email
        else:
            continue
        message_queue(
            channel=channel,
            to_address=address,
            kind="reopen_ask",
            key=f"reopen-ask:{answer.id}",
            body=body,
            subject=f"{circle.name}: could you help again?",
            user_id=user.id,
            circle_id=circle.id,
        )
        budget.spend(user.id)
        asked += 1
    activity_record(kind="circle.reopened", circle_id=circle.id, actor_id=approver.id, data={"asked": asked})
    return asked


def reopen_withdraw(*, reopening: Reopening) -> None:
    reopening.status = ReopeningStatus.WITHDRAWN


def answer_by_token(token: str) -> ReopenAnswer:
    answer = db.session.scalar(select(ReopenAnswer).where(ReopenAnswer.token_hash == token_hash(token or "")))
    if answer is None:
        raise NotFound("No such question.")
    reopening = db.session.get(Reopening, answer.reopening_id)
    if reopening.sent_at and reopening.sent_at + timedelta(days=ANSWER_DAYS) < now() and answer.answer == "asked":
        raise Expired("This question has closed. A coordinator can add you back any time.")
    return answer


def answer_membership(answer: ReopenAnswer) -> Membership:
    """Whose answer it is (the page greets them by name and names the circle)."""
    return db.session.get(Membership, answer.membership_id)


def reopen_answer(*, answer: ReopenAnswer, yes: bool) -> Membership:
    """Record a yes (back in, active) or a no (quietly archived). Answering again changes the answer."""
    member = db.session.get(Membership, answer.membership_id)
    if member.status not in (MembershipStatus.ACTIVE, MembershipStatus.ARCHIVED):
        raise Expired("You're no longer in this circle.")
    answer.answer, answer.answered_at = ("yes" if yes else "no"), now()
    was = member.status
    member.status = MembershipStatus.ACTIVE if yes else MembershipStatus.ARCHIVED
    if member.status != was or yes:
        activity_record(
            kind="member.reactivated" if yes else "member.archived",
            circle_id=member.circle_id,
            actor_id=member.user_id,
            subject_id=member.user_id,
            data={"reopening": answer.reopening_id},
        )
    return member
