"""Bringing the earlier circle back: read an old contact list, show what would happen, then invite.

The people who helped last time are in the coordinator's phone or an old
spreadsheet, so we read what phones and spreadsheet programs really export:
CSV with whatever column names, delimiter and encoding they chose, and vCard.
Nothing is guessed silently and nothing is dropped: every line gets a status
and a reason in a stored preview, and nothing is sent until the coordinator
confirms. The preview runs a fixed number of queries, so a 10,000-line file
takes seconds. Confirming goes through `invitation_send`, which reuses live
invitations, so running an import again after a crash never texts anyone twice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.errors import Conflict, Invalid, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle, Membership, MembershipStatus
from coordinator.models.invitations import PERSONAL, ImportBatch, Invitation, InvitationStatus
from coordinator.services.people.contact_files import RawRow, contacts_read, shown
from coordinator.services.people.invitations import MESSAGE_MAX, Contact, contact_parse, invitation_send

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
STATUSES = ("invite", "member", "duplicate", "rejected")


def import_preview(*, circle: Circle, rows: list[RawRow]) -> list[dict]:
    """What would happen to each row, decided with two queries however long the file is."""
    members = _contacts_of(
        select(User.phone, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.ACTIVE)
    )
    invited = _contacts_of(
        select(Invitation.phone, Invitation.email).where(
            Invitation.circle_id == circle.id,
            Invitation.kind == PERSONAL,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > now(),
        )
    )
    seen: dict[str, int] = {}
    return [_judge(row, circle.phone_region, seen, members, invited) for row in rows]


def _contacts_of(statement) -> set[str]:
    return {value for pair in db.session.execute(statement) for value in pair if value}


def _judge(row: RawRow, region: str, seen: dict[str, int], members: set, invited: set) -> dict:
    entry = {"line": row.line, "name": shown(row.name), "phone": shown(row.phone), "email": shown(row.email)}
    if row.kind == "note":
        return {**entry, "status": "note", "reason": row.note}
    if not row.phone.strip() and not row.email.strip():
        return {**entry, "status": "rejected", "reason": _joined("No phone number or email.", row.note)}
    try:
        contact, fallback = _contact(row, region)
    except Invalid as error:
        return {**entry, "status": "rejected", "reason": _joined(error.message, row.note)}
    entry |= {"name": contact.name, "phone": contact.phone or "", "email": contact.email or ""}
    keys = [(k, w) for k, w in ((contact.phone, "number"), (contact.email, "email")) if k]
    earlier = next(((seen[k], w) for k, w in keys if k in seen), None)
    if earlier:
        status, reason = "duplicate", f"Same {earlier[1]} as line {earlier[0]}."
    elif any(k in members for k, _ in keys):
        status, reason = "member", "Already in the circle."
    elif any(k in invited for k, _ in keys):
        status, reason = "invite", "Has an invitation already; it will be reused."
    else:
        status, reason = "invite", ""
    for k, _ in keys:
        seen.setdefault(k, row.line)
    return {**entry, "status": status, "reason": _joined(reason, fallback, row.note)}


def _contact(row: RawRow, region: str) -> tuple[Contact, str]:
    """The row as a contact; a bad number beside a good email (or the reverse) still invites by the good one."""
    try:
        return contact_parse(name=row.name, phone=row.phone, email=row.email, region=region), ""
    except Invalid as error:
        if error.field == "phone" and row.email.strip():
            retry, instead = {"phone": ""}, "Will invite by email instead."
        elif error.field == "email" and row.phone.strip():
            retry, instead = {"email": ""}, "Will invite by text instead."
        else:
            raise
        values = {"name": row.name, "phone": row.phone, "email": row.email} | retry
        try:
            return contact_parse(**values, region=region), _joined(error.message, instead)
        except Invalid:
            raise error from None


def _joined(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def import_counts(rows: list[dict]) -> dict[str, int]:
    counted = Counter(row["status"] for row in rows)
    return {status: counted.get(status, 0) for status in STATUSES}


def import_stage(*, circle: Circle, creator: User, filename: str, data: bytes, message: str) -> ImportBatch:
    """Read a file and keep its preview, to be confirmed later; nothing is sent here."""
    text = (message or "").strip()
    if len(text) > MESSAGE_MAX:
        raise Invalid(f"Keep the message under {MESSAGE_MAX} characters.", field="message")
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise Invalid("Remove the control characters from the message.", field="message")
    if len(data) > MAX_BYTES:
        raise Invalid("That file is over 2 MB. Split it into smaller files and import each.", field="file")
    rows = contacts_read(data=data, filename=filename or "")
    contacts = sum(1 for row in rows if row.kind == "contact")
    if contacts == 0:
        raise Invalid("We couldn't find any contacts in that file.", field="file")
    if contacts > MAX_ROWS:
        raise Invalid(f"That file has {contacts:,} contacts; import at most {MAX_ROWS:,} at a time.", field="file")
    batch = ImportBatch(
        circle_id=circle.id,
        created_by_id=creator.id,
        filename=shown(filename or "")[:200],
        rows=import_preview(circle=circle, rows=rows),
        message=text,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def import_batch_for(*, circle_id: int, batch_id: int) -> ImportBatch:
    """One uploaded list of this circle; NotFound for any other (another circle's is as good as none)."""
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.circle_id == circle_id))
    if batch is None:
        raise NotFound("No such import.")
    return batch


def import_confirm(
    *, batch: ImportBatch, inviter: User, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Invite every "invite" row once; a second confirm is refused, even one racing this one.

    `progress(done)` is called after each row, so a command can show a bar and commit as it goes.
    """
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.confirmed_at.is_(None))
        .values(confirmed_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict("These invitations were already sent.")
    db.session.expire(batch, ["confirmed_at"])
    circle = db.session.get(Circle, batch.circle_id)
    rows = list(batch.rows)
    counts = {"sent": 0, "reused": 0, "member": sum(1 for row in rows if row["status"] == "member")}
    invites = [row for row in rows if row["status"] == "invite"]
    for done, row in enumerate(invites, 1):
        contact = Contact(name=row["name"], phone=row["phone"] or None, email=row["email"] or None)
        result = invitation_send(circle=circle, inviter=inviter, contact=contact, message=batch.message)
        counts[result.outcome] += 1
        if progress is not None:
            progress(done)
    return counts
