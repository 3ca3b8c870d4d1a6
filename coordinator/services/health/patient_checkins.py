"""The patient's weekly check-in, and turning their answer into a draft need.

Asking for help is hard, and asking twice is harder. A circle can choose to
text the patient once a week, on Monday morning in their own zone: "How is this
week? Reply 1-5, or tell us what would help". A number is recorded (a low one
gently tells the coordinators, without the number); anything else, "RIDE TUE 9"
or "someone to talk to sat afternoon", becomes a draft need with a best guess
at the kind of help, the day and the time. A coordinator confirms it with one
tap, so the patient says it once, in their own words, and never fills a form.

Only the patient's texts are read this way, only in a circle that turned
check-ins on, and only within a week of a check-in; our own commands and
Twilio's reserved words are never intercepted.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.categories import CATEGORIES
from coordinator.clock import local, now
from coordinator.errors import Conflict, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.drafts import DraftStatus, NeedDraft
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.needs import Need
from coordinator.services.care.needs import NeedInput, need_post
from coordinator.services.health.activity import activity_record
from coordinator.services.health.settings import health_settings
from coordinator.services.texting.messages import notify
from coordinator.services.texting.quiet_hours import zone_for
from coordinator.sms.commands import parse
from coordinator.sms.help_requests import PLEASANTRIES, SCORE, help_request_parse
from coordinator.urls import public_url

CHECKIN_WEEKDAY = 0  # Monday
CHECKIN_HOURS = range(10, 12)  # 10:00-11:59 in the patient's zone
ANSWER_DAYS = 7  # how long after a check-in a text is read as its answer
DRAFT_THANKS = "Thanks, we'll take care of it. Nothing more to do."


def patient_checkins_send() -> int:
    """Queue this week's check-in for every patient whose circle wants it and whose Monday morning it is."""
    moment = now()
    patients = db.session.scalars(
        select(Membership)
        .join(Circle, Circle.id == Membership.circle_id)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.circle), contains_eager(Membership.user))
        .where(Membership.role == PATIENT, Membership.status == MembershipStatus.ACTIVE, Circle.closed_at.is_(None))
        .order_by(Membership.circle_id)
    )
    queued = 0
    for member in patients:
        user, circle = member.user, member.circle
        if not health_settings(circle).patient_checkins or not user.can_text:
            continue
        wall = local(moment, zone_for(user, circle.timezone))
        if wall.weekday() != CHECKIN_WEEKDAY or wall.hour not in CHECKIN_HOURS:
            continue
        year, week, _ = wall.isocalendar()
        queued += notify(
            user=user,
            kind="patient_checkin",
            key=f"patient-checkin:{circle.id}:{year}-W{week:02d}",
            context={"first_name": user.first_name},
            circle_id=circle.id,
            send_by=moment + timedelta(hours=8),
        )
    return queued


def _recent_checkin(user_id: int, circle_id: int) -> int | None:
    return db.session.scalar(
        select(Message.id)
        .where(
            Message.user_id == user_id,
            Message.circle_id == circle_id,
            Message.kind == "patient_checkin",
            Message.status.not_in((MessageStatus.CANCELLED, MessageStatus.FAILED, MessageStatus.UNDELIVERED)),
            Message.created_at >= now() - timedelta(days=ANSWER_DAYS),
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )


def _coordinators(circle_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .options(joinedload(Membership.user))
            .where(
                Membership.circle_id == circle_id,
                Membership.role == COORDINATOR,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )
    )


def patient_reply(*, user: User, membership: Membership, text: str) -> str | None:
    """The reply to a check-in answer, or None when this text isn't one (normal handling goes on)."""
    body = " ".join((text or "").split())
    if not body or parse(body).word != "UNKNOWN":
        return None
    if membership.role != PATIENT or membership.status != MembershipStatus.ACTIVE or membership.user_id != user.id:
        return None
    circle = membership.circle
    if not health_settings(circle).patient_checkins:
        return None
    checkin_id = _recent_checkin(user.id, circle.id)
    if checkin_id is None:
        return None
    score = SCORE.match(body)
    if score:
        return _score_record(user=user, circle=circle, score=int(score.group(1)), checkin_id=checkin_id)
    words = set(re.sub(r"[^a-z ]+", " ", body.lower()).split())
    if words and words <= PLEASANTRIES:
        return ""  # "ok thanks" after our reply: nothing to do, and no draft for a coordinator to read
    _draft_create(user=user, circle=circle, text=body)
    return DRAFT_THANKS


def _score_record(*, user: User, circle: Circle, score: int, checkin_id: int) -> str:
    activity_record(
        kind="patient.checkin", circle_id=circle.id, actor_id=user.id, subject_id=user.id, data={"score": score}
    )
    if score > 2:
        return f"Thank you, {user.first_name}. If something would help this week, just text it, like RIDE TUE 9."
    told = 0
    for coordinator in _coordinators(circle.id):
        told += notify(
            user=coordinator.user,
            kind="patient_low",
            key=f"patient-low:{checkin_id}:{coordinator.user_id}",
            context={"first_name": circle.patient_first_name},
            circle_id=circle.id,
        )
    also = " We've let your coordinators know." if told else ""
    return f"Thank you for telling us, {user.first_name}. We're sorry it's a hard week.{also}"


def _draft_create(*, user: User, circle: Circle, text: str) -> NeedDraft:
    guess = help_request_parse(text, zone=zone_for(user, circle.timezone))
    draft = NeedDraft(
        circle_id=circle.id,
        from_user_id=user.id,
        text=text,
        category=guess.category,
        day=guess.day,
        start_time=guess.start_time,
        status=DraftStatus.PENDING,
    )
    db.session.add(draft)
    db.session.flush()
    activity_record(
        kind="draft.created",
        circle_id=circle.id,
        actor_id=user.id,
        subject_id=user.id,
        object_type="need_draft",
        object_id=draft.id,
        data={"category": draft.category},
    )
    noun = "help" if draft.category == "other" else CATEGORIES[draft.category].noun
    url = public_url("drafts.index", circle_id=circle.id)
    for coordinator in _coordinators(circle.id):
        notify(
            user=coordinator.user,
            kind="draft_review",
            key=f"draft-review:{draft.id}:{coordinator.user_id}",
            context={"first_name": circle.patient_first_name, "noun": noun, "url": url},
            circle_id=circle.id,
        )
    return draft


def drafts_pending(*, circle_id: int) -> list[NeedDraft]:
    """Drafts waiting for a coordinator, oldest first, with who sent them."""
    return list(
        db.session.scalars(
            select(NeedDraft)
            .options(joinedload(NeedDraft.from_user))
            .where(NeedDraft.circle_id == circle_id, NeedDraft.status == DraftStatus.PENDING)
            .order_by(NeedDraft.created_at, NeedDraft.id)
        )
    )


def draft_title(draft: NeedDraft, circle: Circle) -> str:
    """A plain title to start from: "Ride", "Meal"; never the patient's words (they may be private)."""
    if draft.category == "other":
        return f"Help for {circle.patient_first_name}"
    noun = CATEGORIES[draft.category].noun
    for article in ("a ", "an ", "some "):
        noun = noun.removeprefix(article)
    return noun[:1].upper() + noun[1:]


def _decide(draft_id: int, circle_id: int, **values) -> None:
    """Move a pending draft on, once: a second coordinator acting at the same moment gets Conflict."""
    decided = db.session.execute(
        update(NeedDraft)
        .where(NeedDraft.id == draft_id, NeedDraft.circle_id == circle_id, NeedDraft.status == DraftStatus.PENDING)
        .values(decided_at=now(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not decided:
        raise Conflict("Someone has already dealt with this request.")


def _pending(draft_id: int, circle_id: int) -> NeedDraft:
    draft = db.session.scalar(select(NeedDraft).where(NeedDraft.id == draft_id, NeedDraft.circle_id == circle_id))
    if draft is None:
        raise NotFound("No such request.")
    if draft.status != DraftStatus.PENDING:
        raise Conflict("Someone has already dealt with this request.")
    return draft


def draft_post(
    *,
    draft_id: int,
    circle: Circle,
    actor: User,
    title: str,
    start_date: date | None,
    start_time: time | None,
    end_time: time | None,
    anytime: bool = False,
) -> Need:
    """Turn a draft into a real need (validated like any other); Invalid names the field to fix."""
    draft = _pending(draft_id, circle.id)
    when = {"start_date": start_date, "start_time": start_time, "end_time": end_time, "anytime": anytime}
    need = need_post(circle=circle, author=actor, data=NeedInput(category=draft.category, title=title, **when))
    _decide(draft.id, circle.id, status=DraftStatus.POSTED, need_id=need.id)
    activity_record(
        kind="draft.posted",
        circle_id=circle.id,
        actor_id=actor.id,
        object_type="need_draft",
        object_id=draft.id,
        data={"need_id": need.id},
    )
    return need


def draft_dismiss(*, draft_id: int, circle: Circle, actor: User) -> None:
    """Set a draft aside without posting it (handled another way, or nothing needed)."""
    draft = _pending(draft_id, circle.id)
    _decide(draft.id, circle.id, status=DraftStatus.DISMISSED)
    activity_record(
        kind="draft.dismissed", circle_id=circle.id, actor_id=actor.id, object_type="need_draft", object_id=draft.id
    )
