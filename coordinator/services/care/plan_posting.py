"""Posting a plan in one step, through the same need_post every need goes through.

So asks, matching, the rolling window, validation and privacy all apply to what a plan posts exactly as
they do to a need typed by hand. Each need remembers its plan, treatment day and rule, which makes posting
safe to repeat (after adding a scan, only the scan's needs are new) and a delay one edit (plan_changes.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coordinator.clock import is_ambiguous, now
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle
from coordinator.models.needs import Need
from coordinator.models.plans import Plan
from coordinator.services.care.needs import NeedInput, need_post
from coordinator.services.care.plan_expansion import Proposal, plan_proposals
from coordinator.services.health.activity import activity_record


def posted_keys(plan: Plan) -> set[tuple]:
    """The proposals this plan has already posted (live or cancelled), by Proposal.key, in one query."""
    rows = db.session.execute(
        select(Need.plan_rule_id, Need.plan_day_id, Need.start_date).where(Need.plan_id == plan.id)
    ).all()
    days = {day.id: day for treatment in plan.treatments for day in treatment.days}
    keys = set()
    for rule_id, day_id, start_date in rows:
        day = days.get(day_id)
        keys.add((rule_id, None, start_date) if day is None else (rule_id, day_id, (start_date - day.local_date).days))
    return keys


def plan_unposted(plan: Plan, *, circle: Circle) -> list[Proposal]:
    """What posting now would add."""
    done = posted_keys(plan)
    return [p for p in plan_proposals(plan, zone_name=circle.timezone) if p.key not in done]


def _input(proposal: Proposal, zone_name: str) -> NeedInput:
    """The need a proposal posts; a time the clocks repeat that night (fall back) is the first of the two."""
    rule = proposal.rule
    repeated = any(t is not None and is_ambiguous(proposal.day, t, zone_name) for t in (proposal.start, proposal.end))
    return NeedInput(
        category=rule.category,
        title=rule.title,
        start_date=proposal.day,
        notes=proposal.notes,
        details=dict(proposal.details),
        capacity=rule.capacity,
        anytime=proposal.start is None,
        start_time=proposal.start,
        end_time=proposal.end,
        fold=0 if repeated else None,
    )


@dataclass(frozen=True)
class Posted:
    needs: int
    tasks: int


def plan_post(*, plan: Plan, circle: Circle, author: User) -> Posted:
    """Post every proposal not posted yet; all or nothing (one refusal rolls the lot back at the edge)."""
    proposals = plan_unposted(plan, circle=circle)
    if not proposals:
        raise Invalid("Everything in this plan is already posted.")
    tasks = 0
    for proposal in proposals:
        need = need_post(circle=circle, author=author, data=_input(proposal, circle.timezone))
        need.plan_id, need.plan_rule_id = plan.id, proposal.rule.id
        need.plan_day_id = proposal.plan_day.id if proposal.plan_day is not None else None
        tasks += len(need.tasks)
    plan.posted_at = plan.posted_at or now()
    db.session.flush()
    activity_record(
        kind="plan.posted",
        circle_id=circle.id,
        actor_id=author.id,
        object_type="plan",
        object_id=plan.id,
        data={"needs": len(proposals), "tasks": tasks},
    )
    return Posted(needs=len(proposals), tasks=tasks)
