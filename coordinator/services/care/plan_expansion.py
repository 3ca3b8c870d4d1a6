"""From a plan to the needs it calls for, before anything is posted: the proposals and their preview.

Each enabled rule is laid over the treatment days it applies to ("meals on days +1 to +3" over six cycles is
eighteen meals) or over the weeks the plan spans (a weekly errand run). Dates are whole days in the circle's
calendar, so a month end or a clock change never shifts one; times are wall times in the circle's zone and
become moments only when posted (task_moments, which steps over a skipped hour). Quiet days take visits out
(on no-visitor days, or in their quiet hours) and give meals the patient's drop-off note. Only reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from coordinator.categories import CATEGORIES
from coordinator.clock import is_nonexistent, last_plannable, local, now, to_utc_lenient, today_in
from coordinator.models.plans import Plan, PlanDay, PlanQuiet, PlanRule, PlanTreatment

VISIT_KINDS = {"visit", "exercise"}  # what "no visitors" rules out
MEAL_KINDS = {"meal"}
RIDE_HOME_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class Proposal:
    """One need a plan would post: on `day`, at a time (or any time that day), tied to a treatment day or not."""

    rule: PlanRule
    plan_day: PlanDay | None
    day: date
    start: time | None
    end: time | None
    notes: str
    details: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> tuple:
        """What makes it the same proposal after a delay: the rule, and its day's offset or its date."""
        if self.plan_day is None:
            return (self.rule.id, None, self.day)
        return (self.rule.id, self.plan_day.id, (self.day - self.plan_day.local_date).days)

    @property
    def category(self) -> str:
        return self.rule.category


def _real(day: date, clock: time | None, zone_name: str) -> time | None:
    """A wall time that exists that day: one the clocks skip (spring forward) moves on by the gap."""
    if clock is None or not is_nonexistent(day, clock, zone_name):
        return clock
    return local(to_utc_lenient(day, clock, zone_name), zone_name).time()


def _applies(rule: PlanRule, treatment: PlanTreatment) -> bool:
    return rule.applies_to in ("every", treatment.kind)


def _minutes(clock: time, delta: timedelta) -> time | None:
    moved = datetime.combine(date(2000, 1, 2), clock) + delta
    return moved.time() if moved.date() == date(2000, 1, 2) else None


def _length(treatment: PlanTreatment | None) -> timedelta | None:
    """How long the treatment itself lasts, when it has a start and a later end on the same day."""
    if treatment is None or treatment.start_time is None or treatment.end_time is None:
        return None
    day = date(2000, 1, 2)
    length = datetime.combine(day, treatment.end_time) - datetime.combine(day, treatment.start_time)
    return length if length > timedelta(0) else None


def rule_times(
    rule: PlanRule, appointment: time | None, treatment: PlanTreatment | None
) -> tuple[time | None, time | None]:
    """A rule's start and end on a day: from the appointment's time (lead_minutes), or the rule's own.

    A ride timed from the appointment ends half an hour after the treatment does, counting the treatment's
    own length from `appointment`, so a day moved to another time keeps the ride home after it.
    """
    if rule.anytime:
        return None, None
    if rule.lead_minutes is not None and appointment is not None:
        start = _minutes(appointment, -timedelta(minutes=rule.lead_minutes)) or time(0, 0)
        length = _length(treatment)
        if length is not None:
            end = _minutes(appointment, length + RIDE_HOME_MARGIN)
        else:
            end = _minutes(start, timedelta(minutes=rule.length_minutes))
        return start, end or time(23, 59)
    start = rule.start_time or time(12, 0)
    return start, _minutes(start, timedelta(minutes=rule.length_minutes)) or time(23, 59)


def quiet_by_date(plan: Plan, days: list[tuple[PlanDay, PlanTreatment]]) -> dict[date, PlanQuiet]:
    """Each date that falls in a quiet stretch after some treatment day (only repeating treatments' days)."""
    found: dict[date, PlanQuiet] = {}
    for quiet in plan.quiet_days:
        for day, treatment in days:
            if treatment.kind == "course":
                continue  # a daily course would make every day quiet
            for offset in range(quiet.offset_first, quiet.offset_last + 1):
                found.setdefault(day.local_date + timedelta(days=offset), quiet)
    return found


def quiet_blocks(quiet: PlanQuiet | None, category: str, start: time | None, end: time | None) -> bool:
    """Whether a quiet stretch rules out help of this kind at this time (visits, on no-visitor days or hours)."""
    if quiet is None or not quiet.no_visitors or category not in VISIT_KINDS:
        return False
    if quiet.quiet_start is None or quiet.quiet_end is None or start is None:
        return True  # the whole day
    return start < quiet.quiet_end and quiet.quiet_start < (end or start)


def live_days(plan: Plan) -> list[tuple[PlanDay, PlanTreatment]]:
    return sorted(
        ((day, treatment) for treatment in plan.treatments for day in treatment.days if not day.cancelled),
        key=lambda pair: (pair[0].local_date, pair[0].start_time),
    )


def plan_span(plan: Plan) -> tuple[date, date] | None:
    days = live_days(plan)
    return (days[0][0].local_date, days[-1][0].local_date) if days else None


def plan_proposals(plan: Plan, *, zone_name: str) -> list[Proposal]:
    """Every need the plan's enabled rules call for from today on, soonest first (nothing written)."""
    days = live_days(plan)
    if not days:
        return []
    quiet = quiet_by_date(plan, days)
    today, moment = today_in(zone_name), now()
    last = last_plannable(today)  # help is planned up to 18 months ahead, like any need
    found: dict[tuple, Proposal] = {}
    for rule in (r for r in plan.rules if r.enabled and r.category in CATEGORIES):
        for proposal in _rule_proposals(rule, days):
            start, end = _real(proposal.day, proposal.start, zone_name), _real(proposal.day, proposal.end, zone_name)
            if (start, end) != (proposal.start, proposal.end):
                proposal = Proposal(rule, proposal.plan_day, proposal.day, start, max(start, end), proposal.notes,
                                    proposal.details)  # fmt: skip
                start, end = proposal.start, proposal.end
            if not today <= proposal.day <= last or quiet_blocks(quiet.get(proposal.day), rule.category, start, end):
                continue
            if start is not None and to_utc_lenient(proposal.day, start, zone_name) <= moment:
                continue
            note = quiet.get(proposal.day)
            if rule.category in MEAL_KINDS and note is not None and note.note:
                proposal = Proposal(
                    rule, proposal.plan_day, proposal.day, start, end,
                    notes=" ".join(filter(None, [proposal.notes, f"{note.note}."])).replace("..", "."),
                    details=proposal.details | {"dropoff": note.note},
                )  # fmt: skip
            found.setdefault(proposal.key, proposal)
    return sorted(found.values(), key=lambda p: (p.day, p.start or time(23, 59), p.rule.id))


def _rule_proposals(rule: PlanRule, days: list[tuple[PlanDay, PlanTreatment]]):
    if rule.pattern == "weekly":
        first, last = days[0][0].local_date, days[-1][0].local_date + timedelta(days=7)
        weekday = rule.weekday if rule.weekday is not None else first.weekday()
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
        while day <= last:
            start, end = rule_times(rule, None, None)
            yield Proposal(rule, None, day, start, end, notes=rule.notes)
            day += timedelta(days=7)
        return
    for plan_day, treatment in days:
        if not _applies(rule, treatment):
            continue
        for offset in range(rule.offset_first, rule.offset_last + 1):
            start, end = rule_times(rule, plan_day.start_time, treatment)
            details = {}
            if rule.category == "ride":
                details = {"appointment_time": plan_day.start_time, "return_trip": True}
                if treatment.place:
                    details["destination"] = treatment.place  # private: only whoever drives, and coordinators
            yield Proposal(
                rule, plan_day, plan_day.local_date + timedelta(days=offset), start, end, rule.notes, details
            )


@dataclass(frozen=True)
class MonthCount:
    month: date  # the first of the month
    total: int
    by_category: tuple[tuple[str, int], ...]


def plan_preview(proposals: list[Proposal]) -> list[MonthCount]:
    """How many tasks, month by month, and of which kinds ("Jan 2027: 12 tasks, 3 rides, 6 meals, ...")."""
    months: dict[date, Counter] = {}
    for proposal in proposals:
        months.setdefault(proposal.day.replace(day=1), Counter())[proposal.category] += 1
    return [
        MonthCount(month, sum(counts.values()), tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))))
        for month, counts in sorted(months.items())
    ]
