"""Encouragement back to the patient: a short note (from the page, or texted as NOTE ...) or one tap of love.

Notes go to the patient and coordinators; other supporters read them only when
the patient shares notes. The patient can hide a note (and show it again). A heart
is counted once per person per update. Both count as taking part (activity), so
someone who writes notes is not "drifting". The patient and coordinators hear of
new notes at most once a day (`notes_summaries_send`), never once per note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import render_template
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager

from coordinator.clock import local, now
from coordinator.errors import Conflict, Invalid, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import MANAGING_ROLES, PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.messages import Message
from coordinator.models.updates import NotesBy, NoteVia, Update, UpdateHeart, UpdateNote, UpdateStatus
from coordinator.plain_text import text_clean
from coordinator.services.health.activity import activity_record
from coordinator.services.texting.messages import message_queue
from coordinator.services.texting.quiet_hours import zone_for
from coordinator.services.updates.reading import may_read, readable
from coordinator.urls import public_url

NOTE_MAX = 500
NOTES_A_DAY = 20  # per person per circle: plenty for kindness, too few for a flood
SUMMARY_HOURS = range(17, 21)  # one summary a day, in the early evening of the reader's zone


def _note_text(body: str) -> str:
    text = text_clean(body or "").strip()
    if not text:
        raise Invalid("Write a few words to send.", field="body")
    if len(text) > NOTE_MAX:
        raise Invalid(f"Keep a note under {NOTE_MAX} characters (this one has {len(text)}).", field="body")
    return text


def note_send(*, member: Membership, body: str, update: Update | None = None, via: str = NoteVia.WEB) -> UpdateNote:
    """A note from a member to the patient (about an update, or none in particular)."""
    if member.role == PATIENT:
        raise Conflict("Notes are for your circle to send you.")
    if update is not None and not may_read(member, update):
        raise NotFound("No such update.")
    if member.circle.closed_at is not None:
        raise Conflict("This circle is closing, so notes can't be sent any more.")
    text = _note_text(body)
    today = now() - timedelta(days=1)
    sent_today = db.session.scalar(
        select(func.count(UpdateNote.id)).where(
            UpdateNote.circle_id == member.circle_id,
            UpdateNote.author_id == member.user_id,
            UpdateNote.created_at > today,
        )
    )
    if sent_today >= NOTES_A_DAY:
        raise Conflict("That's a lot of notes for one day. Thank you! Try again tomorrow.")
    note = UpdateNote(
        circle_id=member.circle_id,
        update_id=update.id if update else None,
        author_id=member.user_id,
        body=text,
        via=via,
        created_at=now(),
    )
    db.session.add(note)
    db.session.flush()
    activity_record(
        kind="note.sent",
        circle_id=member.circle_id,
        actor_id=member.user_id,
        subject_id=member.user_id,
        object_type="note",
        object_id=note.id,
        data={"via": via},
    )
    return note


def heart_send(*, member: Membership, update: Update) -> bool:
    """One "send love" from this member on this update; True if it is new (pressing again changes nothing)."""
    if not may_read(member, update) or update.status != UpdateStatus.PUBLISHED:
        raise NotFound("No such update.")
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    fresh = db.session.execute(
        insert(UpdateHeart)
        .values(update_id=update.id, user_id=member.user_id, created_at=now())
        .on_conflict_do_nothing(index_elements=["update_id", "user_id"])
        .returning(UpdateHeart.update_id)
    ).first()
    if fresh:
        activity_record(
            kind="heart.sent",
            circle_id=member.circle_id,
            actor_id=member.user_id,
            subject_id=member.user_id,
            object_type="update",
            object_id=update.id,
        )
    return fresh is not None


def note_hidden(*, member: Membership, note_id: int, hidden: bool) -> UpdateNote:
    """The patient hides a note from everyone else (or shows it again)."""
    note = db.session.get(UpdateNote, note_id)
    if member.role != PATIENT or note is None or note.circle_id != member.circle_id:
        raise NotFound("No such note.")
    note.hidden_at, note.hidden_by_id = (now(), member.user_id) if hidden else (None, None)
    activity_record(
        kind="note.hidden" if hidden else "note.shown",
        circle_id=member.circle_id,
        actor_id=member.user_id,
        object_type="note",
        object_id=note.id,
    )
    return note


def note_by_text(*, user: User, words: str) -> str:
    """NOTE <words> texted in: the note goes to the circle they last heard news from; the reply says so."""
    members = [
        m
        for m in db.session.scalars(
            select(Membership)
            .join(Circle, Circle.id == Membership.circle_id)
            .options(contains_eager(Membership.circle))
            .where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE)
            .order_by(Membership.created_at.desc(), Membership.id.desc())
        )
    ]
    helping = [m for m in members if m.role != PATIENT]
    if not helping:
        return "Notes are for your circle to send you. Reply OPEN or MINE for tasks."
    member = _circle_last_heard(user, helping)
    latest = db.session.scalar(
        select(Update)
        .where(
            readable(member), Update.status == UpdateStatus.PUBLISHED, Update.published_at > now() - timedelta(days=14)
        )
        .order_by(Update.published_at.desc())
        .limit(1)
    )
    try:
        note_send(member=member, body=words, update=latest, via=NoteVia.SMS)
    except (Invalid, Conflict) as error:
        return error.message
    return f"Thank you! Your note is on its way to {member.circle.patient_first_name}."


def _circle_last_heard(user: User, members: list[Membership]) -> Membership:
    """With several circles: the one whose update news reached them last, else the one they joined last."""
    if len(members) == 1:
        return members[0]
    circle_id = db.session.scalar(
        select(Message.circle_id)
        .where(Message.user_id == user.id, Message.kind.in_(("update_news", "update_week", "update_email")))
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return next((m for m in members if m.circle_id == circle_id), members[0])


def notes_by(member: Membership) -> str:
    """How the patient or a coordinator hears of new notes: their choice, else a daily text (or email)."""
    if member.notes_by:
        return member.notes_by
    user = member.user
    if user.can_text:
        return NotesBy.TEXT
    return NotesBy.EMAIL if user.email and user.email_enabled else NotesBy.NONE


def notes_summaries_send() -> int:
    """Once a day, early evening in their zone: the patient and coordinators hear of notes since the last summary."""
    moment = now()
    members = db.session.scalars(
        select(Membership)
        .join(Circle, Circle.id == Membership.circle_id)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.circle), contains_eager(Membership.user))
        .where(
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role.in_(MANAGING_ROLES),
            Circle.closed_at.is_(None),
            exists().where(
                UpdateNote.circle_id == Membership.circle_id, UpdateNote.created_at > moment - timedelta(days=2)
            ),
        )
        .order_by(Membership.id)
    ).all()
    queued = 0
    for member in members:
        queued += _summary(member, moment)
    return queued


def _summary(member: Membership, moment) -> int:
    user, circle = member.user, member.circle
    choice = notes_by(member)
    if choice == NotesBy.NONE:
        return 0
    wall = local(moment, zone_for(user, circle.timezone))
    if wall.hour not in SUMMARY_HOURS:
        return 0
    key = f"notes:{member.id}:{wall.date().isoformat()}"
    if db.session.scalar(select(exists().where(Message.idempotency_key == key))):
        return 0
    since = db.session.scalar(
        select(func.max(Message.created_at)).where(
            Message.user_id == user.id, Message.kind == "notes_summary", Message.circle_id == circle.id
        )
    ) or moment - timedelta(days=2)
    shown = UpdateNote.hidden_at.is_(None) if member.role != PATIENT else UpdateNote.id.is_not(None)
    rows = db.session.execute(
        select(User.name)
        .join(UpdateNote, UpdateNote.author_id == User.id)
        .where(UpdateNote.circle_id == circle.id, UpdateNote.created_at > since, UpdateNote.author_id != user.id, shown)
        .order_by(UpdateNote.created_at)
    ).all()
    if not rows:
        return 0
    names = list(dict.fromkeys(name.split()[0] if name.strip() else "someone" for (name,) in rows))
    shown_names = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
    if len(names) == 2:
        shown_names = " and ".join(names)
    url = public_url("updates.notes", circle_id=circle.id)
    body = render_template(
        "sms/notes_summary.txt",
        count=len(rows),
        first_name="you" if member.role == PATIENT else circle.patient_first_name,
        names=shown_names,
        url=url,
    ).strip()
    by_text = choice == NotesBy.TEXT and user.can_text
    if not by_text and not (user.email and user.email_enabled):
        return 0
    return int(
        message_queue(
            channel="sms" if by_text else "email",
            to_address=user.phone if by_text else user.email,
            kind="notes_summary",
            key=key,
            body=body,
            subject="" if by_text else f"{circle.name}: new notes of encouragement",
            user_id=user.id,
            circle_id=circle.id,
            send_by=moment + timedelta(hours=12),
        )
    )


NOTES_PAGE = 20  # a page of notes: 500 characters at most each, so about 20 KB at worst on a phone


@dataclass(frozen=True)
class NotesPage:
    notes: list[UpdateNote]
    older: int | None  # the note the next page starts below, None on the last page


def notes_page(member: Membership, *, before: int | None = None, limit: int = NOTES_PAGE) -> NotesPage:
    """Notes for the patient and coordinators (the patient also sees hidden ones), newest first, `limit` at a time
    (older pages below the note `before`, of this circle only): one query."""
    if not member.manages:
        raise NotFound("No such page.")
    query = (
        select(UpdateNote)
        .join(User, User.id == UpdateNote.author_id)
        .options(contains_eager(UpdateNote.author))
        .where(UpdateNote.circle_id == member.circle_id)
        .order_by(UpdateNote.created_at.desc(), UpdateNote.id.desc())
        .limit(limit + 1)
    )
    if member.role != PATIENT:
        query = query.where(UpdateNote.hidden_at.is_(None))
    if before is not None:
        boundary = (
            select(UpdateNote.created_at)
            .where(UpdateNote.id == before, UpdateNote.circle_id == member.circle_id)
            .scalar_subquery()
        )
        query = query.where(
            or_(
                UpdateNote.created_at < boundary,
                and_(UpdateNote.created_at == boundary, UpdateNote.id < before),
            )
        )
    notes = list(db.session.scalars(query))
    return NotesPage(notes=notes[:limit], older=notes[limit - 1].id if len(notes) > limit else None)
