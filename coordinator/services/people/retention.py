"""Forgetting the traces of getting in: old sign-in codes, reset links, sessions, invitations and contact lists.

None of these is needed once it is over, and several carry a phone number or
email (an invitation, an uploaded contact list) or say when someone was around
(a session). So after a configurable period each is deleted:

- sign-in codes and password reset links used or expired more than RETAIN_SIGN_IN_CODES_DAYS ago;
- sessions ended or expired more than RETAIN_SESSIONS_DAYS ago;
- invitations accepted, revoked or past their date more than RETAIN_INVITATIONS_DAYS ago
  (a shared link someone asked to join through stays, for their request: it carries no contact);
- uploaded contact lists (import batches) confirmed, or left unconfirmed, that long ago.

The scheduler runs this (job `retention_people`); running it twice changes nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, or_, select

from coordinator.clock import now
from coordinator.models.accounts import PasswordReset, UserSession
from coordinator.models.invitations import ImportBatch, Invitation, JoinRequest
from coordinator.models.sign_in_codes import SignInCode
from coordinator.services.batches import in_batches

log = logging.getLogger(__name__)


def _cutoff(setting: str) -> datetime:
    return now() - timedelta(days=current_app.config[setting])


def people_retention_purge(*, batch_done: Callable[[], None] = lambda: None) -> dict[str, int]:
    """Delete what is over and old enough; returns how many rows of each (counts only)."""
    codes, sessions, invited = (
        _cutoff("RETAIN_SIGN_IN_CODES_DAYS"),
        _cutoff("RETAIN_SESSIONS_DAYS"),
        _cutoff("RETAIN_INVITATIONS_DAYS"),
    )
    over = {
        SignInCode: or_(SignInCode.used_at < codes, SignInCode.expires_at < codes),
        PasswordReset: or_(PasswordReset.used_at < codes, PasswordReset.expires_at < codes),
        UserSession: or_(UserSession.revoked_at < sessions, UserSession.expires_at < sessions),
        Invitation: _invitation_over(invited),
        ImportBatch: or_(
            ImportBatch.confirmed_at < invited,
            and_(ImportBatch.confirmed_at.is_(None), ImportBatch.created_at < invited),
        ),
    }
    counts = {model.__tablename__: _delete(model, condition, batch_done) for model, condition in over.items()}
    log.info("Retention (people): %s", counts)
    return counts


def _invitation_over(cutoff: datetime):
    """Ended before `cutoff`, and no join request points at it.

    It ended when it was accepted or revoked, or else at its date (a declined one has no date of its own);
    one accepted or revoked ended before its date, so a date before `cutoff` is enough on its own.
    """
    ended = or_(
        Invitation.expires_at < cutoff,
        Invitation.accepted_at < cutoff,
        Invitation.revoked_at < cutoff,
    )
    asked_through = exists().where(JoinRequest.invitation_id == Invitation.id)
    return and_(ended, ~asked_through)


def _delete(model, condition, batch_done: Callable[[], None]) -> int:
    ids = select(model.id).where(condition).order_by(model.id)
    return in_batches(ids, lambda batch: delete(model).where(model.id.in_(batch)), batch_done=batch_done)
