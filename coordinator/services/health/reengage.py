"""Re-engagement: one gentle, concrete ask for a supporter drifting away, and quiet archiving after long silence.

Part of each outreach pass (outreach.py calls it after the ladder). Someone who
has drifted (services/health/load.py says who) gets one low-pressure text, with
a small task that suits them when there is one and it keeps them within their
fair share; never more than once in eight weeks, and from the same weekly
budget as every ask: never within REENGAGE_QUIET_DAYS of another ask, in this
pass or an earlier one (services/texting/ask_budget.py). Someone who still has
not done anything weeks after that ask is archived, not nagged; anyone who came back in the meantime is
left alone and may be asked again on a later drift.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.activity import Event
from coordinator.models.circles import SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.services.care.matching import suits
from coordinator.services.care.tasks import sms_context
from coordinator.services.health.activity import activity_record
from coordinator.services.health.asking import CircleState, Outcome
from coordinator.services.health.load import ACTIVE_KINDS, drifting
from coordinator.services.health.settings import HealthSettings, health_settings
from coordinator.services.texting.ask_budget import REENGAGE, CircleBudget
from coordinator.services.texting.messages import notify

SMALL_KINDS = ("call", "visit", "errands", "other", "meal")  # good first steps back
REENGAGE_EVERY = timedelta(weeks=8)


def reengage(circle: Circle, outcome: Outcome, *, state: CircleState | None = None) -> None:
    """One low-pressure, concrete ask for each drifting supporter; long silence after it: archive quietly.

    `state` is this pass's view of the circle's open tasks and budget (None: it
    has no open tasks), so someone just asked about a task is not texted again.
    """
    settings = health_settings(circle)
    if not settings.reengage:
        return
    moment = now()
    members = {
        m.user_id: m
        for m in db.session.scalars(
            select(Membership)
            .options(joinedload(Membership.user))
            .where(
                Membership.circle_id == circle.id,
                Membership.role == SUPPORTER,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )
    }
    _archive_silent(circle, members, settings, outcome)
    drifts = drifting(circle_id=circle.id)
    if not drifts:
        return
    budget = state.budget if state else CircleBudget.load_for(circle.id, list(members))
    small = [
        t
        for t in (state.tasks if state else [])
        if t.need.category in SMALL_KINDS and t.starts_at < moment + timedelta(days=14) and t.claimed < t.capacity
    ]
    for drift in drifts:
        member = members.get(drift.user_id)
        if member is None or member.status != MembershipStatus.ACTIVE or not member.user.can_text:
            continue
        if member.reengaged_at is not None and member.reengaged_at > moment - REENGAGE_EVERY:
            continue
        if not budget.may_ask(member, REENGAGE):
            continue  # asked enough this week, or asked lately (days, not hours): one clear message, not two
        # A concrete small task, unless even that (with any asks still out) would take them past their fair share.
        room = state is not None and state.has_room(member.user_id)
        task = next((t for t in small if room and (t.id, member.user_id) not in state.asked and suits(member, t)), None)
        context = (sms_context(task) if task else {"first_name": circle.patient_first_name}) | {
            "name": member.user.first_name,
            "has_task": task is not None,
        }
        if notify(
            user=member.user,
            kind="reengage",
            key=f"reengage:{member.id}:{moment:%Y%m%d}",
            context=context,
            circle_id=circle.id,
            task_id=task.id if task else None,
        ):
            member.reengaged_at = moment
            budget.spend(member.user_id)
            activity_record(
                kind="member.reengaged", circle_id=circle.id, subject_id=member.user_id, data={"reason": drift.reason}
            )
            outcome.reengaged += 1


def _archive_silent(circle: Circle, members: dict[int, Membership], settings: HealthSettings, outcome: Outcome) -> None:
    moment = now()
    waited = [
        m
        for m in members.values()
        if m.reengaged_at is not None and m.reengaged_at < moment - timedelta(weeks=settings.archive_after_weeks)
    ]
    if not waited:
        return
    since = min(m.reengaged_at for m in waited)
    lately = set(
        db.session.scalars(
            select(Event.subject_id).where(
                Event.circle_id == circle.id, Event.kind.in_(ACTIVE_KINDS), Event.occurred_at >= since
            )
        )
    )
    for member in waited:
        if member.user_id in lately:
            member.reengaged_at = None  # they came back; the next drift may be asked about again
            continue
        member.status = MembershipStatus.ARCHIVED
        activity_record(
            kind="member.archived",
            circle_id=circle.id,
            subject_id=member.user_id,
            data={"why": "no answer after a gentle ask"},
        )
        outcome.archived += 1
