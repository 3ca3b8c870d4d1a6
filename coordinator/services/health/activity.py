"""Writing to the activity record, the history network health is computed from."""

from __future__ import annotations

from typing import Any

from coordinator.extensions import db
from coordinator.models.activity import Event

# Every kind of event the service records. A new feature adds its kinds here,
# so a typo fails loudly instead of silently missing from health figures.
KINDS = frozenset(
    {
        "account.registered",
        "account.password_changed",
        "account.password_reset",
        "circle.created",
        "member.joined",
        "member.role_changed",
        "member.removed",
        "need.posted",
        "need.changed",
        "need.cancelled",
        "plan.created",
        "plan.posted",
        "plan.moved",
        "plan.cancelled_days",
        "task.changed",
        "task.moved",
        "task.cancelled",
        "claim.made",
        "claim.assigned",
        "claim.released",
        "claim.unassigned",
        "claim.done",
        "claim.confirmed",
        "invitation.sent",
        "invitation.revoked",
        "invitation.accepted",
        "join.requested",
        "join.approved",
        "join.declined",
        "member.reactivated",
        "member.archived",
        "member.preferences_changed",
        "circle.settings_changed",
        "circle.reopen_requested",
        "circle.reopened",
        "sms.opted_out",
        "sms.opted_in",
        "feed.reset",
        "sms.replied",
        "ask.sent",
        "ask.offered",  # another task offered in the same asking text (services/health/offers.py)
        "task.escalated",
        "alert.sent",
        "alert.handled",
        "task.covered_elsewhere",
        "member.reengaged",
        "thanks.sent",
        "patient.checkin",
        "draft.created",
        "draft.posted",
        "draft.dismissed",
        # Privacy and security (issue 12)
        "account.signed_in",
        "account.sign_in_failed",
        "account.registration_attempted",
        "account.exported",
        "account.deleted",
        "circle.exported",
        "member.left",
        "circle.closed",
        "circle.close_cancelled",
        "circle.purged",
        # Updates and encouragement (issue 15)
        "update.posted",
        "update.approved",
        "update.edited",
        "update.deleted",
        "note.sent",
        "note.hidden",
        "note.shown",
        "heart.sent",
    }
)

# The events a person or a circle's coordinators see as security history: who
# signed in, changed a password or a role, left or was removed, took data out,
# deleted an account or closed the circle.
SECURITY_KINDS = frozenset(
    {
        "account.signed_in",
        "account.sign_in_failed",
        "account.registration_attempted",
        "account.password_changed",
        "account.password_reset",
        "account.exported",
        "account.deleted",
        "member.role_changed",
        "member.removed",
        "member.left",
        "circle.exported",
        "circle.closed",
        "circle.close_cancelled",
        "circle.purged",
    }
)


def activity_record(
    *,
    kind: str,
    circle_id: int | None = None,
    actor_id: int | None = None,
    subject_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event; it is written with the change that caused it."""
    if kind not in KINDS:
        raise ValueError(f"Unknown activity kind {kind!r}; add it to KINDS")
    event = Event(
        kind=kind,
        circle_id=circle_id,
        actor_id=actor_id,
        subject_id=subject_id,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
    )
    db.session.add(event)
    return event
