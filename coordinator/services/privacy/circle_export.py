"""A circle's records as a ZIP, for its patient and coordinators (and the host, from the command line).

Needs, tasks, who took them, the treatment plan's days, updates with their photos and the notes sent back, the members
with what the People page shows a coordinator (numbers and emails of people still in the circle; never a password,
a token or a session), the message log as its page shows it (numbers shortened;
what a message said only for coordinators, as on the page) and the activity
record with people named. Nothing from any other circle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from coordinator.clock import now
from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.activity import Event
from coordinator.models.circles import COORDINATOR, PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim
from coordinator.models.invitations import Invitation
from coordinator.models.messages import Message
from coordinator.models.needs import Need, Task
from coordinator.models.plans import Plan, PlanDay, PlanTreatment
from coordinator.models.updates import Update, UpdateHeart, UpdateNote, UpdatePhoto
from coordinator.services.health.activity import activity_record
from coordinator.services.people.phones import phone_mask
from coordinator.services.privacy.archive import COMMON_NOTES, Archive, Progress, Sheet
from coordinator.services.texting.message_log import KINDS as MESSAGE_KINDS
from coordinator.services.texting.message_log import message_status
from coordinator.services.updates.photos import photo_path

# Events whose details only the patient sees in an export (how her week is going, in her own words or a number).
PATIENT_ONLY_DETAILS = frozenset({"patient.checkin"})


def circle_export(*, circle: Circle, exporter: Membership | None, out: IO[bytes], progress: Progress | None = None):
    """Write `circle`'s ZIP to `out` as `exporter` may see it (None: the host, seeing what a coordinator sees).

    Records circle.exported, with the exporter as its actor (none for the host).
    """
    role = exporter.role if exporter else COORDINATOR
    archive = Archive(out, progress=progress)
    archive.json("circle.json", "The circle itself: its name, time zone and settings.", _about(circle, exporter))
    for sheet in (
        _needs(circle),
        _tasks(circle),
        _claims(circle),
        _members(circle),
        _messages(circle, bodies=role == COORDINATOR),
        _activity(circle, details_for_patient=role == PATIENT),
        _updates(circle),
        _notes(circle, hidden_too=role == PATIENT),
        _plan_days(circle),
    ):
        archive.sheet(sheet)
    archive.files(
        "photos",
        "The photos on updates, full size, named as updates.csv's photo_files column names them.",
        _photo_files(circle),
    )
    archive.close(title=f"The records of {circle.name}", notes=COMMON_NOTES)
    activity_record(kind="circle.exported", circle_id=circle.id, actor_id=exporter.user_id if exporter else None)


def circle_to_export(*, circle_id: int) -> Circle:
    """The circle with that id (the host's command names circles by id); NotFound if there is none."""
    circle = db.session.get(Circle, circle_id)
    if circle is None:
        raise NotFound(f"There is no circle {circle_id}.")
    return circle


def _about(circle: Circle, exporter: Membership | None) -> dict:
    return {
        "name": circle.name,
        "patient": circle.patient_name,
        "time_zone": circle.timezone,
        "phone_region": circle.phone_region,
        "created_at": circle.created_at,
        "supporters_see_each_others_names": circle.names_visible,
        "health_settings": circle.health_settings or {},
        "closed_at": circle.closed_at,
        "purge_after": circle.purge_after,
        "exported_at": now(),
        "exported_by": exporter.user.name if exporter else "the host (from the command line)",
    }


def _needs(circle: Circle) -> Sheet:
    posted_by = aliased(User)
    query = (
        select(
            Need.id,
            Need.category,
            Need.title,
            Need.notes,
            Need.details,
            Need.address,
            Need.visibility,
            Need.capacity,
            Need.anytime,
            Need.start_date,
            Need.start_time,
            Need.end_time,
            Need.rrule,
            posted_by.name,
            Need.created_at,
            Need.cancelled_at,
        )
        .outerjoin(posted_by, posted_by.id == Need.created_by_id)
        .where(Need.circle_id == circle.id)
    )
    return Sheet(
        name="needs.csv",
        about="What was asked for: each need, with its notes, details and address, and how often it repeats.",
        columns=(
            "need_id",
            "kind",
            "title",
            "notes",
            "details",
            "address",
            "who_sees_it",
            "people_needed",
            "any_time_before",
            "first_date",
            "starts",
            "ends",
            "repeats",
            "posted_by",
            "posted_at",
            "cancelled_at",
        ),
        query=query,
        key=Need.id,
        cells=tuple,
    )


def _tasks(circle: Circle) -> Sheet:
    query = (
        select(
            Task.id,
            Task.need_id,
            Need.title,
            Need.category,
            Task.local_date,
            Task.start_time,
            Task.end_time,
            Task.anytime,
            Task.capacity,
            Task.claimed,
            Task.status,
            Task.notes,
            Task.covered_elsewhere_at,
            Task.cancelled_at,
        )
        .join(Need, Need.id == Task.need_id)
        .where(Task.circle_id == circle.id)
    )
    return Sheet(
        name="tasks.csv",
        about="Each date a need became: when, how many people it needs and how many said yes.",
        columns=(
            "task_code",
            "need_id",
            "title",
            "kind",
            "date",
            "starts",
            "ends",
            "any_time_before",
            "people_needed",
            "people_taken",
            "status",
            "notes_for_this_date",
            "covered_another_way_at",
            "cancelled_at",
        ),
        query=query,
        key=Task.id,
        cells=tuple,
    )


def _claims(circle: Circle) -> Sheet:
    person, assigned_by = aliased(User), aliased(User)
    query = (
        select(
            Claim.id,
            Claim.task_id,
            Need.title,
            Task.local_date,
            person.name,
            Claim.status,
            Claim.created_at,
            assigned_by.name,
            Claim.released_at,
            Claim.release_note,
            Claim.done_at,
            Claim.confirmed_at,
            Claim.thanked_at,
        )
        .join(Task, Task.id == Claim.task_id)
        .join(Need, Need.id == Task.need_id)
        .join(person, person.id == Claim.user_id)
        .outerjoin(assigned_by, assigned_by.id == Claim.assigned_by_id)
        .where(Claim.circle_id == circle.id)
    )
    return Sheet(
        name="claims.csv",
        about="Who said yes to which task, and what became of it.",
        columns=(
            "claim_id",
            "task_code",
            "task",
            "date",
            "person",
            "status",
            "taken_at",
            "signed_up_by",
            "given_back_at",
            "note_when_given_back",
            "done_at",
            "confirmed_at",
            "thanked_at",
        ),
        query=query,
        key=Claim.id,
        cells=tuple,
    )


def _members(circle: Circle) -> Sheet:
    query = (
        select(
            Membership.id,
            User.name,
            Membership.role,
            Membership.status,
            Membership.inner_circle,
            Membership.created_at,
            Membership.removed_at,
            User.phone,
            User.email,
            User.sms_opted_out_at,
        )
        .join(User, User.id == Membership.user_id)
        .where(Membership.circle_id == circle.id)
    )
    return Sheet(
        name="members.csv",
        about="Everyone who is or was in the circle. Numbers and emails only for people still in it, "
        "as the People page shows them to coordinators.",
        columns=(
            "name",
            "role",
            "status",
            "inner_circle",
            "joined_at",
            "removed_at",
            "mobile",
            "email",
            "replied_stop_at",
        ),
        query=query,
        key=Membership.id,
        cells=_member_cells,
    )


def _member_cells(row) -> tuple:
    still_in = row.status == MembershipStatus.ACTIVE
    return (
        *row[1:7],
        row.phone if still_in else None,
        row.email if still_in else None,
        row.sms_opted_out_at,
    )


def _messages(circle: Circle, *, bodies: bool) -> Sheet:
    """The message log, row for row as its page words it (services/texting/message_log.py)."""
    invitees: dict[int, str] = {}
    moment = now()

    def prepare(rows) -> None:  # the names invitations went to, one query per batch
        invitees.clear()
        ids = {_invitation_id(row[0]) for row in rows} - {None}
        if ids:
            found = db.session.execute(
                select(Invitation.id, Invitation.name).where(Invitation.circle_id == circle.id, Invitation.id.in_(ids))
            )
            invitees.update({found_row.id: found_row.name for found_row in found})

    def cells(row) -> tuple:
        message = row[0]
        status, _tone, why = message_status(message, circle_zone=circle.timezone, moment=moment)
        to = message.user.name if message.user else invitees.get(_invitation_id(message)) or "Someone you invited"
        address = phone_mask(message.to_address) if message.channel == "sms" else "by email"
        kind = MESSAGE_KINDS.get(message.kind, message.kind.replace("_", " ").capitalize())
        return (message.sent_at or message.due_at, to, address, kind, status, why) + ((message.body,) if bodies else ())

    query = select(Message).options(joinedload(Message.user)).where(Message.circle_id == circle.id)
    return Sheet(
        name="messages.csv",
        about="Every text and email the circle sent or planned, as the Messages page shows them"
        + (": numbers shortened." if bodies else ": numbers shortened; only coordinators see what they said."),
        columns=("when", "to", "address", "what", "status", "why") + (("message",) if bodies else ()),
        query=query,
        key=Message.id,
        key_of=lambda row: row[0].id,
        prepare=prepare,
        cells=cells,
    )


def _invitation_id(message: Message) -> int | None:
    """Invitations are queued under the key "invitation:<id>:<channel>" (as message_log reads them)."""
    parts = message.idempotency_key.split(":")
    return (
        int(parts[1])
        if message.kind == "invitation" and len(parts) == 3 and parts[1].isascii() and parts[1].isdigit()
        else None
    )


def _activity(circle: Circle, *, details_for_patient: bool) -> Sheet:
    actor, subject = aliased(User), aliased(User)
    query = (
        select(
            Event.id,
            Event.occurred_at,
            Event.kind,
            actor.name,
            subject.name,
            Event.object_type,
            Event.object_id,
            Event.data,
        )
        .outerjoin(actor, actor.id == Event.actor_id)
        .outerjoin(subject, subject.id == Event.subject_id)
        .where(Event.circle_id == circle.id)
    )

    def cells(row) -> tuple:
        hidden = row.kind in PATIENT_ONLY_DETAILS and not details_for_patient
        return (row[0], row.occurred_at, row.kind, row[3] or "the service", row[4], row.object_type, row.object_id) + (
            "" if hidden else row.data,
        )

    return Sheet(
        name="activity.csv",
        about="The circle's activity record: everything that happened, who did it and whom it concerned.",
        columns=("event_id", "occurred_at", "what", "by", "about", "object", "object_id", "details"),
        query=query,
        key=Event.id,
        cells=cells,
    )


def _photo_name(update_id: int, number: int) -> str:
    """A photo's name in the ZIP: its update and its place on it (1 to 4), never the random token it is kept by."""
    return f"update-{update_id}-photo-{number}.jpg"


def _photo_files(circle: Circle) -> Iterator[tuple[str, Path]]:
    """(name in the ZIP, file on disk) for every photo on the circle's updates, in each update's order.

    One SELECT of ids and tokens (small, whatever the photos weigh); each file is read as it is written.
    """
    rows = db.session.execute(
        select(UpdatePhoto.update_id, UpdatePhoto.token)
        .where(UpdatePhoto.circle_id == circle.id)
        .order_by(UpdatePhoto.update_id, UpdatePhoto.position, UpdatePhoto.id)
    ).all()
    numbers: dict[int, int] = {}
    for update_id, token in rows:
        numbers[update_id] = numbers.get(update_id, 0) + 1
        yield _photo_name(update_id, numbers[update_id]), photo_path(circle_id=circle.id, token=token, size="full")


def _updates(circle: Circle) -> Sheet:
    photos = select(func.count(UpdatePhoto.id)).where(UpdatePhoto.update_id == Update.id).scalar_subquery()
    hearts = select(func.count()).select_from(UpdateHeart).where(UpdateHeart.update_id == Update.id).scalar_subquery()
    query = (
        select(
            Update.id,
            Update.created_at,
            Update.published_at,
            Update.edited_at,
            User.name,
            Update.audience,
            Update.status,
            Update.body,
            photos.label("photos"),
            hearts.label("hearts"),
        )
        .outerjoin(User, User.id == Update.author_id)
        .where(Update.circle_id == circle.id)
    )
    return Sheet(
        name="updates.csv",
        about="Every update: who wrote it, for whom, its words, its photos (in the photos folder) and hearts.",
        columns=(
            "written_at",
            "published_at",
            "edited_at",
            "by",
            "for",
            "status",
            "words",
            "photos",
            "photo_files",
            "hearts",
        ),
        query=query,
        key=Update.id,
        cells=lambda row: (
            *row[1:9],
            ";".join(f"photos/{_photo_name(row.id, n)}" for n in range(1, row.photos + 1)),
            row.hearts,
        ),
    )


def _plan_days(circle: Circle) -> Sheet:
    """The treatment plan (the export is for the patient and coordinators, who see it): one row per treatment day."""
    query = (
        select(
            PlanDay.id,
            Plan.name,
            Plan.audience,
            PlanTreatment.label,
            PlanTreatment.kind,
            PlanTreatment.place,
            PlanDay.number,
            PlanDay.series_date,
            PlanDay.local_date,
            PlanDay.start_time,
            PlanDay.status,
        )
        .join(Plan, Plan.id == PlanDay.plan_id)
        .join(PlanTreatment, PlanTreatment.id == PlanDay.treatment_id)
        .where(Plan.circle_id == circle.id)
    )
    return Sheet(
        name="treatment_plan.csv",
        about="Each treatment day of the plan: which treatment, cycle or day number, first planned for, now, status.",
        columns=(
            "plan",
            "who_sees_it",
            "treatment",
            "kind",
            "place",
            "number",
            "first_planned_for",
            "date",
            "time",
            "status",
        ),
        query=query,
        key=PlanDay.id,
        cells=lambda row: tuple(row[1:]),
    )


def _notes(circle: Circle, *, hidden_too: bool) -> Sheet:
    query = (
        select(UpdateNote.id, UpdateNote.created_at, User.name, UpdateNote.via, UpdateNote.body, UpdateNote.hidden_at)
        .join(User, User.id == UpdateNote.author_id)
        .where(UpdateNote.circle_id == circle.id)
    )
    if not hidden_too:
        query = query.where(UpdateNote.hidden_at.is_(None))
    return Sheet(
        name="notes.csv",
        about="Notes of encouragement sent to the patient (the ones she hid only in her own export).",
        columns=("sent_at", "from", "by", "words", "hidden_at"),
        query=query,
        key=UpdateNote.id,
        cells=lambda row: tuple(row[1:]),
    )
