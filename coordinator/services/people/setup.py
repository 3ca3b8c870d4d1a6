"""The short path a new circle opens on: who it's for, the first needs, then the people to help.

A brand-new circle has nothing asked for and nobody in it but whoever started
it, so its first page must say what to do next rather than "everything is
covered". Each step ticks itself from what exists (a need posted, someone else
in the circle or an invitation out), so nobody marks anything done by hand, and
the card goes away once all three are.

`circle_counts` counts all of it in one statement, together with the other
numbers the circle's first page shows a coordinator (people waiting to join,
requests the patient texted), so that page asks the database once for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.circles import PATIENT, Circle, Membership, MembershipStatus
from coordinator.models.drafts import DraftStatus, NeedDraft
from coordinator.models.invitations import Invitation, InvitationStatus, JoinRequest, JoinRequestStatus
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


@dataclass(frozen=True)
class CircleCounts:
    needs: int  # posted and not cancelled
    joined: int  # active members besides whoever started the circle
    invited: int  # invitations still open
    patients: int  # active patient accounts
    waiting: int  # people who used the shared link and wait for a yes
    drafts: int  # requests the patient texted, waiting to be looked over


def circle_counts(circle: Circle) -> CircleCounts:
    """The setup steps' counts and what waits on a coordinator, in one query whatever the circle's size."""
    others = Membership.user_id != circle.created_by_id if circle.created_by_id else Membership.id.isnot(None)
    active = (Membership.circle_id == circle.id, Membership.status == MembershipStatus.ACTIVE)
    counts = (
        select(func.count(Need.id)).where(Need.circle_id == circle.id, Need.cancelled_at.is_(None)),
        select(func.count(Membership.id)).where(*active, others),
        select(func.count(Invitation.id)).where(
            Invitation.circle_id == circle.id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > now(),
        ),
        select(func.count(Membership.id)).where(*active, Membership.role == PATIENT),
        select(func.count(JoinRequest.id)).where(
            JoinRequest.circle_id == circle.id, JoinRequest.status == JoinRequestStatus.PENDING
        ),
        select(func.count(NeedDraft.id)).where(
            NeedDraft.circle_id == circle.id, NeedDraft.status == DraftStatus.PENDING
        ),
    )
    needs, joined, invited, patients, waiting, drafts = db.session.execute(
        select(*(count.scalar_subquery() for count in counts))
    ).one()
    if not circle.created_by_id:  # nobody is known to have started it: anyone past the first counts
        joined = max(joined - 1, 0)
    return CircleCounts(needs, joined, invited, patients, waiting, drafts)


def setup_steps(circle: Circle, *, viewer: Membership | None = None, counts: CircleCounts | None = None) -> list[Step]:
    """The three setup steps for `circle`, each ticked when done (one query, none given its `counts`).

    `viewer` only words the suggestions: the patient asks for "someone to sit with me".
    """
    counts = counts or circle_counts(circle)
    me = "me" if viewer is not None and viewer.role == PATIENT else circle.patient_first_name
    return [
        Step("who", done=True, patient_here=counts.patients > 0),
        Step(
            "needs",
            done=counts.needs > 0,
            needs=counts.needs,
            suggestions=tuple(Suggestion(category, title.format(me=me)) for category, title in FIRST_NEEDS),
        ),
        Step("people", done=counts.joined > 0 or counts.invited > 0, joined=counts.joined, invited=counts.invited),
    ]
