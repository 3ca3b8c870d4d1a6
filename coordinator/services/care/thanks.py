"""Thank-yous: after a task is done, the patient sends one tap of thanks and the helper gets it by text.

People drift away when their help disappears into silence. The service
suggests whom to thank (tasks done in the last two weeks, not yet thanked),
so saying it costs the patient one tap, and each claim is thanked at most
once however many times the button is pressed: the claim's `thanked_at` is
set by one conditional UPDATE whose row count decides who sends the text.

The text names the kind of help and the day, never the need's title, notes
or address (people type medical details there).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from coordinator.categories import CATEGORIES
from coordinator.clock import now
from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Need, Task
from coordinator.services.health.activity import activity_record
from coordinator.services.texting.messages import notify

SUGGEST_DAYS = 14


def thanks_allowed(membership: Membership, *, circle_has_patient: bool) -> bool:
    """The patient thanks people; a coordinator may do it on their behalf only where the patient has no account."""
    if membership.status != MembershipStatus.ACTIVE:
        return False
    return membership.role == PATIENT or (membership.role == COORDINATOR and not circle_has_patient)


def _circle_has_patient(circle_id: int) -> bool:
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.circle_id == circle_id,
                Membership.role == PATIENT,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )
        is not None
    )


def _done_claims(circle_id: int):
    """Done claims of the circle with their task, need and helper loaded by the same query."""
    return (
        select(Claim)
        .join(Task, Task.id == Claim.task_id)
        .join(Need, Need.id == Task.need_id)
        .join(User, User.id == Claim.user_id)
        .options(contains_eager(Claim.task).contains_eager(Task.need), contains_eager(Claim.user))
        .where(Claim.circle_id == circle_id, Claim.status == ClaimStatus.DONE)
    )


def thanks_suggestions(*, circle_id: int, limit: int = 5, exclude_user_id: int | None = None) -> list[Claim]:
    """Tasks done in the last two weeks whose helper hasn't been thanked, newest first (one query)."""
    moment = now()
    query = _done_claims(circle_id).where(
        Claim.thanked_at.is_(None),
        Claim.done_at >= moment - timedelta(days=SUGGEST_DAYS),
        Task.starts_at <= moment,  # never thanks for help that hasn't happened yet
    )
    if exclude_user_id is not None:
        query = query.where(Claim.user_id != exclude_user_id)  # nobody thanks themselves
    return list(db.session.scalars(query.order_by(Claim.done_at.desc(), Claim.id.desc()).limit(limit)))


def thanks_context(claim: Claim) -> dict:
    """What the thank-you text may say: the patient's first name, "the ride", the day it happened."""
    noun = CATEGORIES[claim.task.need.category].noun
    for article in ("a ", "an ", "some "):
        noun = noun.removeprefix(article)
    return {
        "first_name": claim.task.need.circle.patient_first_name,
        "noun": f"the {noun}",
        "day": f"{claim.task.local_date:%a %-d %b}",
    }


def thanks_send(*, patient_membership: Membership, claim_id: int) -> bool:
    """Thank the helper of one done task, once; False if it was already thanked.

    NotFound if the person may not thank (see `thanks_allowed`) or the claim is
    not a done task of their circle.
    """
    circle_id = patient_membership.circle_id
    if not thanks_allowed(patient_membership, circle_has_patient=_circle_has_patient(circle_id)):
        raise NotFound("Only the patient can send thank-yous here.")
    claim = db.session.scalar(_done_claims(circle_id).where(Claim.id == claim_id))
    if claim is None or claim.user_id == patient_membership.user_id:
        raise NotFound("There's no finished task like that to say thank you for.")
    moment = now()
    thanked = db.session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.thanked_at.is_(None))
        .values(thanked_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not thanked:
        return False
    set_committed_value(claim, "thanked_at", moment)  # the UPDATE above already wrote it
    notify(
        user=claim.user,
        kind="thanks",
        key=f"thanks:{claim.id}",
        context=thanks_context(claim),
        circle_id=circle_id,
        task_id=claim.task_id,
        claim_id=claim.id,
    )
    activity_record(
        kind="thanks.sent",
        circle_id=circle_id,
        actor_id=patient_membership.user_id,
        subject_id=claim.user_id,
        object_type="task",
        object_id=claim.task_id,
        data={"claim_id": claim.id},
    )
    return True


def thanks_helper(*, claim_id: int) -> User:
    """Who did the task a thank-you is for, to name them; once `thanks_send` has run, no query at all."""
    return db.session.get(Claim, claim_id).user
