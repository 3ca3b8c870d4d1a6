"""The coordinator's nudge: an alert that names the one person most likely to say yes, so they can ask in person.

Issue 18's simulation (bench/README.md, "nudge") found that when nobody has
said yes a day before, a coordinator's own call to one well-chosen person fills
more of those tasks than "ask everyone" alone (coverage +4.6 points across the
grid, more on top of offers). The service already knows who to suggest: whoever
has said yes to this kind of help most often when asked, in this circle.

This module only chooses the person and words the line; the outreach page for
the task shows it, and the ladder's alert adds it to the text when it still fits.
The same record tells the ladder's wider rung how many to ask (`likely_enough`).
It reads the pass's picture of the circle (asking.CircleState) and one grouped
query of the circle's asks and yeses, however many people and tasks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models.activity import Event
from coordinator.models.circles import Membership
from coordinator.models.needs import Need, Task
from coordinator.services.care.matching import suits
from coordinator.services.health.asking import CircleState

ASKED_KINDS = ("ask.sent", "ask.offered")  # asked about it, alone or among an offer's tasks (offers.py)
YES_KINDS = ("claim.made",)  # said yes by taking it (an OK to a check-in is the same yes again)
ENOUGH_YES = 1.5  # expected yeses per open spot the wider rung asks for (bench/README.md, "enough")
PRIOR_YES, PRIOR_WEIGHT, KIND_WEIGHT = 0.3, 3, 2  # someone barely known counts as the study's 32%, roughly


@dataclass(frozen=True)
class Record:
    """How often one person said yes in this circle: to this kind of help, and to anything."""

    yes_kind: int
    asked_kind: int
    yes_all: int
    asked_all: int

    @property
    def chance(self) -> float:
        """A cautious estimate of a yes to this kind: their own rate, pulled toward 30% while there is little to go on."""
        overall = (self.yes_all + PRIOR_YES * PRIOR_WEIGHT) / (max(self.asked_all, self.yes_all) + PRIOR_WEIGHT)
        return min(1.0, (self.yes_kind + KIND_WEIGHT * overall) / (max(self.asked_kind, self.yes_kind) + KIND_WEIGHT))


@dataclass(frozen=True)
class Nudge:
    member: Membership
    record: Record


def records(*, circle_id: int) -> dict[tuple[int, str], tuple[int, int]]:
    """(person, kind of help) -> (yeses, asks) over the circle's whole record; one query."""
    rows = db.session.execute(
        select(Event.subject_id, Need.category, Event.kind, func.count())
        .join(Task, Task.id == Event.object_id)
        .join(Need, Need.id == Task.need_id)
        .where(
            Event.circle_id == circle_id,
            Event.object_type == "task",
            Event.subject_id.is_not(None),
            Event.kind.in_((*YES_KINDS, *ASKED_KINDS)),
        )
        .group_by(Event.subject_id, Need.category, Event.kind)
    ).all()
    found: Counter = Counter()
    for user_id, category, kind, count in rows:
        found[(user_id, category, "asked" if kind in ASKED_KINDS else "yes")] += count
    return {(u, c): (found[(u, c, "yes")], found[(u, c, "asked")]) for u, c, _ in found}


def nudge_pick(*, state: CircleState, task: Task) -> Nudge | None:
    """Who the coordinator's alert about `task` should suggest asking, or None.

    Among supporters who suit it, don't hold it, and have room within the fair
    share for one more (counting the asks still out to them), the one whose own record says yes to this kind of help
    most often; ties go to whoever carries less. Nobody who has never said yes
    to anything in the circle is named: a cold call is what "ask everyone" is for.
    """
    history, totals = _history(state)
    kind = task.need.category
    best: Nudge | None = None
    for member in state.supporters:
        if (task.id, member.user_id) in state.holders or not suits(member, task):
            continue
        if not state.has_room(member.user_id):
            continue  # a yes to the call, and to the asks still out to them, must keep them within their share
        yes_all, asked_all = totals.get(member.user_id, (0, 0))
        if not yes_all:
            continue
        yes_kind, asked_kind = history.get((member.user_id, kind), (0, 0))
        nudge = Nudge(member, Record(yes_kind, asked_kind, yes_all, asked_all))
        if best is None or _better(nudge, best, state):
            best = nudge
    return best


def _history(state: CircleState) -> tuple[dict, dict[int, tuple[int, int]]]:
    """The circle's record by (person, kind) and each person's totals, read once per pass and kept on `state`."""
    if state.history is None:
        history = records(circle_id=state.circle.id)
        state.history = {"by_kind": history, "totals": record_totals(history)}
    return state.history["by_kind"], state.history["totals"]


def record_totals(history: dict[tuple[int, str], tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Each person's yeses and asks over every kind of help, from `records`."""
    totals: dict[int, tuple[int, int]] = {}
    for (user_id, _), (yes, asked) in history.items():
        before = totals.get(user_id, (0, 0))
        totals[user_id] = (before[0] + yes, before[1] + asked)
    return totals


def record_in(history: dict, totals: dict, user_id: int, kind: str) -> Record:
    return Record(*history.get((user_id, kind), (0, 0)), *totals.get(user_id, (0, 0)))


def record_of(state: CircleState, user_id: int, kind: str) -> Record:
    """One person's record in this circle: yeses and asks for `kind` of help, and for anything."""
    return record_in(*_history(state), user_id, kind)


def likely_enough(*, state: CircleState, task: Task, people: list[Membership]) -> list[Membership]:
    """The likeliest of `people` (best first) until their expected yeses reach ENOUGH_YES per open spot.

    Issue 18's "enough": the wider rung asks only as many as should bring a yes, not everyone
    at once; if none comes the ladder asks the next batch a day later (outreach.NEXT_BATCH_AFTER).
    Someone the circle knows little about counts as about a 30% yes. Ties keep `people`'s order.
    """
    kind = task.need.category
    spots = max(task.capacity - task.claimed, 1)
    ranked = sorted(people, key=lambda m: -record_of(state, m.user_id, kind).chance)
    chosen: list[Membership] = []
    expected = 0.0
    for member in ranked:
        if expected >= ENOUGH_YES * spots - 1e-9:  # ten people at 30% are three yeses, however floats add
            break
        chosen.append(member)
        expected += record_of(state, member.user_id, kind).chance
    return chosen


def _better(a: Nudge, b: Nudge, state: CircleState) -> bool:
    if a.record.chance != b.record.chance:
        return a.record.chance > b.record.chance
    return state.load.counts[a.member.user_id] < state.load.counts[b.member.user_id]


def nudge_why(nudge: Nudge) -> str:
    """Why them, in words: "has said yes to this kind of help 3 times", or "has helped before"."""
    times = nudge.record.yes_kind
    return (
        f"has said yes to this kind of help {times} time{'s' if times != 1 else ''}" if times else "has helped before"
    )


def nudge_line(nudge: Nudge) -> str:
    """The sentence the alert adds: who, and why them (their first name only; the coordinator has the number)."""
    return f"{nudge.member.user.first_name} {nudge_why(nudge)}: worth a call?"
