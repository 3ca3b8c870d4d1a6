"""Taking, releasing and finishing tasks, without ever overselling a spot.

Claiming is one conditional UPDATE (`claimed = claimed + 1 WHERE claimed <
capacity`) whose row count says whether a spot was left; the database also
checks `claimed <= capacity` and that nobody holds the same task twice. So
twenty people pressing "I'll do it" at once on a one-person task leaves exactly
one holding it and nineteen told, clearly, that it's taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from coordinator.clock import now
from coordinator.errors import Conflict, NotFound
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.needs import Task, TaskStatus
from coordinator.services.care.tasks import overlapping, sms_context, task_for
from coordinator.services.health.activity import activity_record
from coordinator.services.people.closing import circle_open_check
from coordinator.services.texting.coordinator_notices import coordinator_notice
from coordinator.services.texting.messages import messages_cancel, notify

TAKEN = "Sorry, that one's already taken. Thank you for offering! Other tasks still need someone."
NOTE_MAX = 500


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    task: Task
    overlaps: list[Task]


def claim_make(*, membership: Membership, task_id: int, assigned_by: User | None = None) -> ClaimResult:
    """Take one spot on a task for the member; Conflict if none is left or they already hold it."""
    circle_open_check(membership.circle)
    task = task_for(membership, task_id)
    if membership.role == PATIENT:
        raise Conflict("This is help for you, so it's for others to take. You can change or cancel it instead.")
    if task.cancelled:
        raise Conflict("This task was cancelled, so there's nothing to take.")
    if task.ends_at <= now():
        raise Conflict("This task is already over.")
    held = db.session.scalar(
        select(Claim.id).where(
            Claim.task_id == task.id, Claim.user_id == membership.user_id, Claim.status != ClaimStatus.RELEASED
        )
    )
    if held is not None:
        raise Conflict("You already have this one. Thank you!")
    won = db.session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == TaskStatus.OPEN, Task.claimed < Task.capacity)
        .values(claimed=Task.claimed + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise Conflict(TAKEN)
    claim = Claim(
        task_id=task.id,
        user_id=membership.user_id,
        circle_id=task.circle_id,
        status=ClaimStatus.HELD,
        assigned_by_id=assigned_by.id if assigned_by else None,
    )
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("You already have this one. Thank you!") from None
    db.session.refresh(task)
    activity_record(
        kind="claim.assigned" if assigned_by else "claim.made",
        circle_id=task.circle_id,
        actor_id=assigned_by.id if assigned_by else membership.user_id,
        subject_id=membership.user_id,
        object_type="task",
        object_id=task.id,
    )
    return ClaimResult(claim=claim, task=task, overlaps=overlapping(membership.user_id, task))


def _live_claim(task_id: int, user_id: int) -> Claim | None:
    return db.session.scalar(
        select(Claim).where(Claim.task_id == task_id, Claim.user_id == user_id, Claim.status == ClaimStatus.HELD)
    )


def claim_release(
    *,
    membership: Membership,
    task_id: int,
    note: str = "",
    released_by: User | None = None,
    tell_coordinators: bool = True,
) -> bool:
    """Give a held spot back. Releasing something not held is a no-op (returns False).

    Coordinators are told the task needs someone again, unless the caller tells
    them once about several (someone leaving the circle: one message, not one per task).
    A spot someone holds is theirs to give back even if they can no longer see the task (its need was
    since kept to the inner circle): otherwise they could not say they are not coming.
    """
    claim = _live_claim(task_id, membership.user_id)
    if claim is None or claim.circle_id != membership.circle_id:
        task_for(membership, task_id)  # a task they may not see is "not found"; one they don't hold, a no-op
        return False
    task = db.session.get(Task, task_id)
    note = " ".join((note or "").split())[:NOTE_MAX]
    freed = db.session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.status == ClaimStatus.HELD)
        .values(status=ClaimStatus.RELEASED, released_at=now(), release_note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    if freed != 1:
        return False
    db.session.execute(
        update(Task)
        .where(Task.id == task.id, Task.claimed > 0)
        .values(claimed=Task.claimed - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(task)
    db.session.refresh(claim)
    messages_cancel(task_id=task.id, user_id=membership.user_id)
    activity_record(
        kind="claim.unassigned" if released_by else "claim.released",
        circle_id=task.circle_id,
        actor_id=released_by.id if released_by else membership.user_id,
        subject_id=membership.user_id,
        object_type="task",
        object_id=task.id,
        data={"note": note} if note else {},
    )
    if tell_coordinators and task.status == TaskStatus.OPEN and task.ends_at > now():
        _tell_coordinators(task, about=claim.user, actor=released_by or claim.user, claim=claim)
    return True


def _tell_coordinators(task: Task, *, about: User, actor: User, claim: Claim) -> None:
    """Coordinators hear when a held task opens up again, so nothing quietly goes unmet."""
    coordinators = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .where(
            Membership.circle_id == task.circle_id,
            Membership.role == COORDINATOR,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    context = sms_context(task) | {"person": about.first_name}
    for coordinator in coordinators:
        if coordinator.user_id == actor.id:
            continue
        coordinator_notice(  # held briefly: the ladder's alert for this task in the same minutes joins it
            user=coordinator.user,
            kind="claim_released",
            key=f"claim-released:{claim.id}:{coordinator.user_id}",
            context=context,
            task=task,
            claim_id=claim.id,
        )


def claim_done(*, membership: Membership, task_id: int) -> bool:
    """Mark the member's held task done; False if they don't hold it.

    Only once it has started: "done" days ahead would put a thank-you in front
    of the patient for help that has not happened.
    """
    task = task_for(membership, task_id)
    if not task.started:
        raise Conflict("You can mark it done once it has happened. Thank you for taking it!")
    marked = db.session.execute(
        update(Claim)
        .where(Claim.task_id == task.id, Claim.user_id == membership.user_id, Claim.status == ClaimStatus.HELD)
        .values(status=ClaimStatus.DONE, done_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked:
        messages_cancel(task_id=task.id, user_id=membership.user_id)
        activity_record(
            kind="claim.done",
            circle_id=task.circle_id,
            actor_id=membership.user_id,
            subject_id=membership.user_id,
            object_type="task",
            object_id=task.id,
        )
    return bool(marked)


def _member(circle_id: int, user_id: int) -> Membership:
    member = db.session.scalar(
        select(Membership).where(
            Membership.circle_id == circle_id,
            Membership.user_id == user_id,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    if member is None:
        raise NotFound("That person isn't in this circle.", field="user_id")
    return member


def claim_assign(*, manager: Membership, task_id: int, user_id: int) -> ClaimResult:
    """A coordinator signs someone up for a task; that person is told."""
    task_for(manager, task_id)
    member = _member(manager.circle_id, user_id)
    result = claim_make(membership=member, task_id=task_id, assigned_by=manager.user)
    if member.user_id != manager.user_id:
        notify(
            user=member.user,
            kind="claim_assigned",
            key=f"claim-assigned:{result.claim.id}",
            context=sms_context(result.task) | {"by": manager.user.first_name},
            circle_id=manager.circle_id,
            task_id=task_id,
        )
    return result


def claim_unassign(*, manager: Membership, task_id: int, user_id: int) -> bool:
    """A coordinator takes someone off a task; that person is told.

    Someone who isn't on it (another circle's person, or nobody) is NotFound with no field: the 404 page.
    """
    task = task_for(manager, task_id)
    claim = _live_claim(task.id, user_id)
    if claim is None:
        raise NotFound("They aren't on this task.")
    member = _member(manager.circle_id, user_id)
    released = claim_release(membership=member, task_id=task_id, released_by=manager.user)
    if released and member.user_id != manager.user_id:
        notify(
            user=member.user,
            kind="claim_unassigned",
            key=f"claim-unassigned:{claim.id}",
            context=sms_context(task) | {"by": manager.user.first_name},
            circle_id=manager.circle_id,
            task_id=task_id,
        )
    return released
