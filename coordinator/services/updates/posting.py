"""Posting, editing, approving and deleting updates, and the patient's choices about them.

The patient, or a coordinator for her, writes plain text (links become clickable
when shown; nothing is ever read as HTML) with up to four photos, for the whole
circle or the inner circle. When the patient has asked for it, a coordinator's
update waits for her approval before anyone else sees it or hears of it.
Publishing is what tells people (delivery.py); editing marks the update as edited
and tells nobody again. Photo files are written here and removed with their update.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy import update as sql_update

from coordinator.clock import now
from coordinator.errors import Conflict, Invalid, NotFound, Problems
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.updates import Audience, Update, UpdatePhoto, UpdateStatus
from coordinator.plain_text import text_clean
from coordinator.services.health.activity import activity_record
from coordinator.services.texting.messages import notify
from coordinator.services.updates.delivery import update_deliver
from coordinator.services.updates.photos import (
    PHOTOS_PER_UPDATE,
    PreparedPhoto,
    Upload,
    photo_store,
    photos_delete,
    photos_prepare,
)
from coordinator.services.updates.reading import may_change

BODY_MAX = 5000


def _body_clean(body: str, *, photos: int, problems: Problems) -> str:
    text = text_clean(body or "").strip()
    with problems.check():
        if not text and not photos:
            raise Invalid("Write a few words, or add a photo.", field="body")
        if len(text) > BODY_MAX:
            raise Invalid(f"Keep an update under {BODY_MAX:,} characters (this one has {len(text):,}).", field="body")
    return text


def _audience_clean(audience: str, problems: Problems) -> str:
    with problems.check():
        if audience not in (Audience.CIRCLE, Audience.INNER):
            raise Invalid("Choose who can read it.", field="audience")
    return audience


def _waits_for_patient(member: Membership, circle: Circle) -> bool:
    """A coordinator's update waits when the patient asked for that and has an account to approve it with."""
    if member.role == PATIENT or not circle.updates_need_approval:
        return False
    return _has_patient(circle.id)


def _photos_ready(uploads: list[Upload], *, already: int, problems: Problems) -> list[PreparedPhoto]:
    """Each upload read and re-encoded (services/updates/photos.py); a problem is noted beside the others."""
    chosen = [upload for upload in uploads if upload.filename]  # a file box left empty sends no name
    with problems.check():
        if already + len(chosen) > PHOTOS_PER_UPDATE:
            more = " Take one out to add another." if already else ""
            raise Invalid(f"Up to {PHOTOS_PER_UPDATE} photos per update.{more}", field="photos")
        return photos_prepare(chosen)
    return []


def update_post(*, member: Membership, body: str, audience: str, uploads: list[Upload]) -> Update:
    """Post an update (published, or waiting for the patient's approval); its photo files are written now."""
    if not member.manages:
        raise NotFound("No such page.")
    circle = member.circle
    if circle.closed_at is not None:
        raise Conflict("This circle is closing, so nothing new can be posted.")
    problems = Problems.collector()
    photos = _photos_ready(uploads, already=0, problems=problems)
    text = _body_clean(body, photos=len(photos) or len([u for u in uploads if u.filename]), problems=problems)
    audience = _audience_clean(audience, problems)
    problems.raise_if_any()
    moment = now()
    waits = _waits_for_patient(member, circle)
    update = Update(
        circle_id=circle.id,
        author_id=member.user_id,
        audience=audience,
        status=UpdateStatus.PENDING if waits else UpdateStatus.PUBLISHED,
        body=text,
        created_at=moment,
        published_at=None if waits else moment,
    )
    db.session.add(update)
    db.session.flush()
    _photos_add(update, photos)
    activity_record(
        kind="update.posted",
        circle_id=circle.id,
        actor_id=member.user_id,
        subject_id=member.user_id,
        object_type="update",
        object_id=update.id,
        data={"audience": audience, "photos": len(photos), "waiting": waits},
    )
    if waits:
        _ask_patient(update, circle, author=member.user)
    else:
        update_deliver(update, circle)
    return update


def _photos_add(update: Update, photos: list[PreparedPhoto], *, start: int = 0) -> None:
    for position, prepared in enumerate(photos, start=start):
        stored = photo_store(prepared, circle_id=update.circle_id)
        db.session.add(
            UpdatePhoto(
                update_id=update.id,
                circle_id=update.circle_id,
                position=position,
                token=stored.token,
                width=stored.width,
                height=stored.height,
            )
        )


def _ask_patient(update: Update, circle: Circle, *, author: User) -> None:
    from coordinator.urls import public_url

    patient = db.session.scalar(
        select(Membership).where(
            Membership.circle_id == circle.id,
            Membership.role == PATIENT,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    if patient is None:
        return
    notify(
        user=patient.user,
        kind="update_review",
        key=f"update-review:{update.id}",
        context={"author": author.first_name, "url": public_url("updates.index", circle_id=circle.id)},
        circle_id=circle.id,
        subject="An update waits for your OK",
    )


def update_approve(*, member: Membership, update: Update) -> Update:
    """The patient lets a waiting update out: it is published now and people hear of it."""
    if member.role != PATIENT or update.circle_id != member.circle_id:
        raise NotFound("No such update.")
    published = db.session.execute(
        sql_update(Update)
        .where(Update.id == update.id, Update.status == UpdateStatus.PENDING)
        .values(status=UpdateStatus.PUBLISHED, published_at=now(), approved_by_id=member.user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if published != 1:
        raise Conflict("That update is already out.")
    db.session.refresh(update)
    activity_record(
        kind="update.approved",
        circle_id=update.circle_id,
        actor_id=member.user_id,
        object_type="update",
        object_id=update.id,
    )
    update_deliver(update, member.circle)
    return update


def update_edit(
    *,
    member: Membership,
    update: Update,
    body: str,
    audience: str,
    remove_photo_ids: list[int],
    uploads: list[Upload],
) -> list[str]:
    """Change an update's words, audience and photos; marked as edited, nobody is told again.

    Returns the tokens of photos taken out: the edge removes their files once the change is committed.
    """
    if not may_change(member, update):
        raise NotFound("No such update.")
    kept = [p for p in update.photos if p.id not in set(remove_photo_ids)]
    problems = Problems.collector()
    photos = _photos_ready(uploads, already=len(kept), problems=problems)
    text = _body_clean(body, photos=len(kept) + len([u for u in uploads if u.filename]), problems=problems)
    audience = _audience_clean(audience, problems)
    problems.raise_if_any()
    gone = [p for p in update.photos if p not in kept]
    changed = text != update.body or audience != update.audience or gone or photos
    if not changed:
        return []
    update.body, update.audience, update.edited_at = text, audience, now()
    for photo in gone:
        db.session.delete(photo)
    for position, photo in enumerate(kept):
        photo.position = position
    _photos_add(update, photos, start=len(kept))
    activity_record(
        kind="update.edited",
        circle_id=update.circle_id,
        actor_id=member.user_id,
        object_type="update",
        object_id=update.id,
    )
    return [p.token for p in gone]


def update_delete(*, member: Membership, update: Update) -> list[str]:
    """Delete an update, its photos, hearts and links; notes stay (they were written to the patient).

    Texts and emails about it that haven't gone yet are cancelled. Returns the photo tokens to remove.
    """
    if not may_change(member, update):
        raise NotFound("No such update.")
    tokens = [p.token for p in update.photos]
    circle_id, update_id = update.circle_id, update.id
    db.session.execute(
        sql_update(Message)
        .where(
            Message.status == MessageStatus.PENDING,
            Message.idempotency_key.like(f"update-email:{update_id}:%"),
        )
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(UpdatePhoto).where(UpdatePhoto.update_id == update_id))
    db.session.delete(update)
    db.session.flush()
    if not db.session.scalar(
        select(exists().where(Update.circle_id == circle_id, Update.status == UpdateStatus.PUBLISHED))
    ):
        # Nothing left to read: a "new update" text still waiting would lead to an empty page.
        db.session.execute(
            sql_update(Message)
            .where(
                Message.status == MessageStatus.PENDING,
                Message.circle_id == circle_id,
                Message.kind.in_(("update_news", "update_week")),
            )
            .values(status=MessageStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
    activity_record(
        kind="update.deleted", circle_id=circle_id, actor_id=member.user_id, object_type="update", object_id=update_id
    )
    return tokens


def update_photos_forget(*, circle_id: int, tokens: list[str]) -> None:
    """Remove photo files once the change that dropped them is committed (never before)."""
    if tokens:
        photos_delete(circle_id=circle_id, tokens=tokens)


def update_settings_allowed(member: Membership) -> bool:
    """The patient sets how updates and notes work; a coordinator only where the circle has no patient account."""
    if member.role == PATIENT:
        return True
    return member.manages and not _has_patient(member.circle_id)


def _has_patient(circle_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Membership.circle_id == circle_id,
                    Membership.role == PATIENT,
                    Membership.status == MembershipStatus.ACTIVE,
                )
            )
        )
    )


def update_settings_change(*, member: Membership, need_approval: bool, email_full: bool, notes_shared: bool) -> None:
    """The patient's choices (a coordinator's only where the circle has no patient account)."""
    circle = member.circle
    if not update_settings_allowed(member):
        raise NotFound("No such page.")
    circle.updates_need_approval = need_approval
    circle.updates_email_full = email_full
    circle.notes_shared = notes_shared
    activity_record(
        kind="circle.settings_changed",
        circle_id=circle.id,
        actor_id=member.user_id,
        data={"updates_need_approval": need_approval, "updates_email_full": email_full, "notes_shared": notes_shared},
    )
