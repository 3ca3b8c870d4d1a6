"""The short path a new circle opens on: who it's for, the first needs, then the people to help.

A brand-new circle has nothing asked for and nobody in it but whoever started
it, so its first page must say what to do next rather than "everything is
covered". Each step ticks itself from what exists (a need posted, someone else
in the circle or an invitation out), so nobody marks anything done by hand, and
the card goes away once all three are.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.circles import PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.invitations import Invitation, InvitationStatus
from coordinator.models.needs import Need


@dataclass(frozen=True)
class Suggestion:
    """A one-tap start on a common need: the need form opens with this kind of help and title."""

    category: str
    title: str


@dataclass(frozen=True)
class Step:
    key: str  # "who", "needs" or "people"
    done: bool
    needs: int = 0  # needs posted and not cancelled
    joined: int = 0  # people in the circle besides whoever started it
    invited: int = 0  # invitations (and shared links) still open
    patient_here: bool = False  # on "who": the patient has an account in the circle (then she thanks people)
    suggestions: tuple[Suggestion, ...] = ()


# What people most often ask for first, by kind of help (keys of coordinator.categories.CATEGORIES).
# "{me}" is "me" when the patient is looking, else her first name.
FIRST_NEEDS = (
    ("ride", "Rides to treatment"),
    ("meal", "Meals on treatment weeks"),
    ("childcare", "School pick-ups"),
    ("visit", "Someone to sit with {me}"),
    ("errands", "Picking up groceries"),
)


def setup_steps(circle: Circle, *, viewer: Membership | None = None) -> list[Step]:
    """The three setup steps for `circle`, each ticked when done (one query).

    `viewer` only words the suggestions: the patient asks for "someone to sit with me".
    """
    others = Membership.user_id != circle.created_by_id if circle.created_by_id else Membership.id.isnot(None)
    needs = select(func.count(Need.id)).where(Need.circle_id == circle.id, Need.cancelled_at.is_(None))
    joined = select(func.count(Membership.id)).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.ACTIVE, others
    )
    invited = select(func.count(Invitation.id)).where(
        Invitation.circle_id == circle.id, Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > now()
    )
    patient = select(func.count(Membership.id)).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.ACTIVE, Membership.role == PATIENT
    )
    row = db.session.execute(
        select(needs.scalar_subquery(), joined.scalar_subquery(), invited.scalar_subquery(), patient.scalar_subquery())
    ).one()
    needs_count, joined_count, invited_count, patients = row
    if not circle.created_by_id:  # nobody is known to have started it: anyone past the first counts
        joined_count = max(joined_count - 1, 0)
    me = "me" if viewer is not None and viewer.role == PATIENT else circle.patient_first_name
    return [
        Step("who", done=True, patient_here=patients > 0),
        Step(
            "needs",
            done=needs_count > 0,
            needs=needs_count,
            suggestions=tuple(Suggestion(category, title.format(me=me)) for category, title in FIRST_NEEDS),
        ),
        Step("people", done=joined_count > 0 or invited_count > 0, joined=joined_count, invited=invited_count),
    ]
