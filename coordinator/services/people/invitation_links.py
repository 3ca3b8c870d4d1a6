"""An invitation's link and token: the address, opening it, revoking it, letting it expire; the shared link.

A token is random (256 bits), stored only as a hash, works once, expires
(14 days by default) and can be revoked. A personal invitation's token is made
as it is sent (invitations.py). A circle's shared link is the same kind of row,
for anyone the holder passes it to; making a new one ends the old one, and
whoever joins through it waits for a coordinator's yes (joining.py).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.errors import Expired, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle
from coordinator.models.invitations import PERSONAL, SHARED_LINK, Invitation, InvitationStatus
from coordinator.services.health.activity import activity_record
from coordinator.services.people.closing import circle_open_check
from coordinator.tokens import token_hash, token_new
from coordinator.urls import public_url

EXPIRED = "This invitation has expired or was already used. Ask the person who invited you for a new one."


def invitation_url(token: str) -> str:
    return public_url("invitations.open_link", token=token)


def shared_link_create(*, circle: Circle, inviter: User) -> str:
    """A new shareable link for the circle (any older one stops working); joiners need approval."""
    circle_open_check(circle)
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.circle_id == circle.id,
            Invitation.kind == SHARED_LINK,
            Invitation.status == InvitationStatus.PENDING,
        )
        .values(status=InvitationStatus.REVOKED, revoked_at=now())
        .execution_options(synchronize_session=False)
    )
    token = token_new()
    db.session.add(
        Invitation(
            circle_id=circle.id,
            inviter_id=inviter.id,
            kind=SHARED_LINK,
            token_hash=token_hash(token),
            expires_at=now() + timedelta(days=current_app.config["INVITATION_DAYS"]),
        )
    )
    db.session.flush()
    return token


def invitation_revoke(*, circle: Circle, invitation_id: int, actor: User) -> Invitation:
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.circle_id == circle.id)
    )
    if invitation is None:
        raise NotFound("No such invitation.")
    if invitation.status == InvitationStatus.PENDING:
        invitation.status, invitation.revoked_at = InvitationStatus.REVOKED, now()
        activity_record(
            kind="invitation.revoked",
            circle_id=circle.id,
            actor_id=actor.id,
            object_type="invitation",
            object_id=invitation.id,
        )
    return invitation


def invitation_by_token(token: str) -> Invitation:
    """The live invitation behind a token; Expired for anything else (unknown, used, revoked, old)."""
    if not token or len(token) > 100:
        raise Expired(EXPIRED)
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or not invitation.live:
        raise Expired(EXPIRED)
    return invitation


def invitation_live(invitation_id: int | None) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None or not invitation.live:
        raise Expired(EXPIRED)
    return invitation


def invitations_pending(*, circle_id: int) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.circle_id == circle_id,
                Invitation.status == InvitationStatus.PENDING,
                Invitation.kind == PERSONAL,
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def invitations_expire() -> int:
    """Invitations past their date become "expired" (they already stopped working at that moment)."""
    return db.session.execute(
        update(Invitation)
        .where(Invitation.status == InvitationStatus.PENDING, Invitation.expires_at <= now())
        .values(status=InvitationStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    ).rowcount
