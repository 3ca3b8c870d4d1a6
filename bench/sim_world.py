"""The simulated circle for the grid: its people, its needs, the month that goes wrong, and what it could cover at all.

The grid (bench/simulate.py) runs hundreds of six-month circles, so this model is
plain Python, not the real app: bench/sim_service.py mirrors the service's asking
rules on top of it, and `python -m bench.simulate --real` runs the original
through-the-real-services walk (bench/sim_real.py) to check the two agree.

Every assumption about people is a parameter here, with why it has that value.
Time is whole hours from START, a Monday 00:00 in the circle's own zone.

Willingness. The published care-network study saw 32% of posted tasks accepted
(20% on mobile): the grid runs both as BASE_MEAN. We split a "yes" into two
things people weigh: whether they are up for helping this week (their general
willingness, which fades, recovers, tires of asks and of load, as in the first
simulation) and whether this particular task fits them (its kind, its time of
day). A person's fit differs by kind and by part of the day; the kinds they
declared fit them better than the rest, but 40% declare none (DECLARES), as in
the first simulation. General willingness is scaled so that an ordinary ask about
a task that suits their declared profile is accepted at BASE_MEAN on average,
so the study's figure still holds for the service as it is today.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from dataclasses import dataclass, field

HOUR, DAY, WEEK = 1, 24, 168
KINDS = ("ride", "meal", "visit", "errands", "call")
PARTS = ("morning", "afternoon", "evening")

BASE_SPREAD_RATIO = 0.375  # 0.12 around 0.32, as in the first simulation; scaled for 0.20
DECLARES = 0.6  # share who tick the kinds of help they offer (the first simulation's figure)
FIT_DECLARED = (0.6, 1.0)  # how well a declared kind fits: they said they do it, but not every time
FIT_UNDECLARED = (0.05, 0.3)  # a kind they did not tick: rarely, when asked directly
FIT_ANY = (0.3, 1.0)  # nothing ticked: some kinds suit, some do not, and the service cannot tell which
PART_FIT = (0.35, 1.0)  # mornings work for some, evenings for others; each person has one part that suits best
FADE_FLOOR, FADE_WEEKS = 0.45, 10.0  # help piles up early then thins (first simulation)
RECOVERY = 0.25  # not asked for three weeks: some willingness comes back
LOAD_DAMPING = 0.7  # each task held in the last two weeks
ASK_FATIGUE = 0.85  # each asking text beyond the asks a week they agreed to
REENGAGE_BOOST, REENGAGE_TAKES = 0.5, 0.4
GRATITUDE_BOOST = 0.15  # a thank-you from the patient (Grant & Gino 2010 saw far more)
EMAIL_READ, BROADCAST_DISCOUNT = 0.6, 0.4  # a mass email: read by 60%, acted on at 40% of a personal ask
STUDY_ACCEPTANCE = 0.32  # the published network's share of posted tasks accepted
BROWSE = 0.05  # each week, the chance someone opens the list and takes something unasked (at the study's rate)
HEEDS_REST = 0.75  # told they have done more than their share, most leave it for others
COORDINATOR_ACTS = 0.7  # a coordinator alerted a day before taps "ask everyone"
COORDINATOR_PULL = 1.5  # a coordinator's own call to one named person beats an automated text
MARKS_DONE, PATIENT_THANKS = 0.8, 0.6
MAX_YES = 0.95

# Demand: the first simulation's five needs, about seven slots a week. Rides go to appointments
# (chemo on Tuesdays, a scan on Fridays): those are the needs that must not fail (issue 16's treatment
# plan will feed real treatment days here; until then every appointment ride counts).
NEEDS = (  # kind, weekdays (0 = Monday), start hour local, hours long, must not fail
    ("ride", (1,), 9, 2, True),
    ("meal", (0, 2, 4), 17, 1, False),
    ("visit", (5,), 14, 2, False),
    ("errands", (3,), 11, 1, False),
    ("ride", (4,), 8, 2, True),
)
GENERATE_AHEAD = 8 * WEEK  # the service keeps recurring needs generated eight weeks ahead
STRESS_FROM, STRESS_WEEKS = 10, 4  # the month that goes wrong: weeks 10-13, once the first rush has faded
SCENARIOS = ("normal", "holiday", "silent", "burst")
SIZES = (6, 20, 60)
WILLINGNESS = (0.32, 0.20)


def part_of(hour_of_day: int) -> str:
    return "morning" if hour_of_day < 12 else "afternoon" if hour_of_day < 17 else "evening"


@dataclass
class Task:
    id: int
    kind: str
    start: int
    end: int
    capacity: int
    must: bool
    holders: list[int] = field(default_factory=list)
    stage: int = 0
    asked: set[int] = field(default_factory=set)
    told: set[int] = field(default_factory=set)  # everyone any text asked about it: the ladder, an offer, a digest
    last_ask: int | None = None
    alerted_at: int | None = None
    handled: bool = False
    early: bool = False
    treatment: bool = False  # a ride on a treatment plan's day (bench/sim_plan.py): the ladder's earlier rungs
    moves_to: int | None = None  # where the plan's delay moves it, once known (bench/sim_plan.delay_apply)

    @property
    def part(self) -> str:
        return part_of(self.start % DAY)

    @property
    def open(self) -> bool:
        return len(self.holders) < self.capacity

    @property
    def final_start(self) -> int:
        """Where it starts once any delay has moved it (the upper bound plans with the final dates)."""
        return self.moves_to if self.moves_to is not None else self.start


@dataclass
class Person:
    id: int
    base: float
    general: float  # willingness to help at all, before fading; scaled so an ordinary ask meets `base`
    kind_fit: dict[str, float]
    part_fit: dict[str, float]
    declared: tuple[str, ...]
    asks_per_week: int
    away: tuple[int, int] | None = None
    restored: float = 1.0
    texts: list[int] = field(default_factory=list)  # every asking text (or mass email), at the hour it went
    held: list[int] = field(default_factory=list)  # hours at which they took a task

    def suits(self, kind: str) -> bool:
        return not self.declared or kind in self.declared

    def fit(self, task: Task) -> float:
        return self.kind_fit[task.kind] * self.part_fit[task.part]

    def is_away(self, moment: int) -> bool:
        return self.away is not None and self.away[0] <= moment < self.away[1]

    def up_for_it(self, moment: int) -> float:
        """General willingness now: fading over months, rested, tired by load and by too many asks."""
        fade = FADE_FLOOR + (1 - FADE_FLOOR) * math.exp(-moment / WEEK / FADE_WEEKS)
        last = self.texts[-1] if self.texts else None
        rested = RECOVERY if last is None or moment - last > 3 * WEEK else 0.0
        held = len(self.held) - bisect_left(self.held, moment - 2 * WEEK + 1)
        asked = len(self.texts) - bisect_left(self.texts, moment - WEEK + 1)
        fatigue = ASK_FATIGUE ** max(0, asked - self.asks_per_week)
        value = self.general * min(1.0, fade * self.restored + rested) * LOAD_DAMPING**held * fatigue
        return max(0.0, min(MAX_YES, value))

    def says_yes(self, tasks: list[Task], moment: int, rng: random.Random, pull: float = 1.0) -> Task | None:
        """Offered one task or a few, they take the one that fits best, or none (away: no answer at all)."""
        if self.is_away(moment) or not tasks:
            return None
        if rng.random() >= min(MAX_YES, pull * self.up_for_it(moment)):
            return None
        fitting = [t for t in tasks if rng.random() < self.fit(t)]
        return max(fitting, key=self.fit) if fitting else None


@dataclass
class Circle:
    people: list[Person]
    coordinators: list[tuple[int, int] | None]  # per coordinator in line: the hours they are silent, if any
    tasks: list[Task]
    weeks: int
    scenario: str
    delay_at: int | None = None  # when a treatment plan's delay becomes known (bench/sim_plan.py)

    @property
    def helpers(self) -> int:  # the fair share splits spots among everyone who could take them
        return len(self.people) + len(self.coordinators)


def make_person(pid: int, base_mean: float, rng: random.Random) -> Person:
    base = min(0.8, max(0.03, rng.gauss(base_mean, base_mean * BASE_SPREAD_RATIO)))
    declared = tuple(rng.sample(KINDS, rng.randint(2, 4))) if rng.random() < DECLARES else ()
    if declared:
        kind_fit = {k: rng.uniform(*(FIT_DECLARED if k in declared else FIT_UNDECLARED)) for k in KINDS}
    else:
        kind_fit = {k: rng.uniform(*FIT_ANY) for k in KINDS}
    best = rng.choice(PARTS)
    part_fit = {p: 1.0 if p == best else rng.uniform(*PART_FIT) for p in PARTS}
    suited = [(kind, hour) for kind, days, hour, _, _ in NEEDS for _ in days if not declared or kind in declared]
    mean_fit = sum(kind_fit[k] * part_fit[part_of(h)] for k, h in suited) / max(1, len(suited))
    general = min(MAX_YES, base / max(mean_fit, 0.05))
    return Person(pid, base, general, kind_fit, part_fit, declared, rng.choice([2, 3, 3, 4]))


def make_tasks(weeks: int, scenario: str) -> list[Task]:
    tasks = []
    for week in range(weeks):
        burst = scenario == "burst" and STRESS_FROM <= week < STRESS_FROM + STRESS_WEEKS
        for kind, days, hour, length, must in NEEDS:
            for day in days:
                start = week * WEEK + day * DAY + hour
                if start < DAY:
                    continue  # posted on the first morning: today is too late to ask for
                for _ in range(2 if burst else 1):  # a burst month: twice the needs
                    tasks.append(Task(0, kind, start, start + length, 1, must))
    tasks.sort(key=lambda t: t.start)
    for number, task in enumerate(tasks, 1):
        task.id = number
    return tasks


def make_circle(*, size: int, base_mean: float, scenario: str, weeks: int, seed: int) -> Circle:
    rng = random.Random(seed * 7919 + size)
    people = [make_person(n, base_mean, rng) for n in range(size)]
    stress = (STRESS_FROM * WEEK, (STRESS_FROM + STRESS_WEEKS) * WEEK)
    if scenario == "holiday":
        for person in rng.sample(people, size // 2):
            person.away = stress
    # A small circle often has one coordinator; larger ones a backup. Silent: the first in line hears nothing.
    coordinators: list[tuple[int, int] | None] = [stress if scenario == "silent" else None]
    if size >= 20:
        coordinators.append(None)
    return Circle(people, coordinators, make_tasks(weeks, scenario), weeks, scenario)


def upper_bound(circle: Circle, seed: int) -> tuple[float, float]:
    """Shares of slots that could be covered at all: (physically, by the willing).

    Physically: each person at most the asks a week they agreed to (each task takes
    a yes to something), never while away. By the willing: as many as they would
    say yes to if every one of those asks were an offer that fits them, drawn
    from their general willingness that week (fading over the months, but not
    tired by load or asks). Both are a matching per week (a bipartite flow), so a
    shortfall below them is the asking's fault; above the willing bound it is not
    reachable by asking alone (browsing and coordinators' calls add a little).
    """
    rng = random.Random(seed * 104729)
    physical = willing = 0
    for week in range(circle.weeks):
        slots = [t for t in circle.tasks if week * WEEK <= t.final_start < (week + 1) * WEEK]
        middle = week * WEEK + 3 * DAY
        room_all, room_willing = {}, {}
        for p in circle.people:
            if p.is_away(middle):
                continue
            room_all[p.id] = p.asks_per_week
            fade = FADE_FLOOR + (1 - FADE_FLOOR) * math.exp(-week / FADE_WEEKS)
            chance = min(MAX_YES, p.general * fade)
            room_willing[p.id] = sum(1 for _ in range(p.asks_per_week) if rng.random() < chance)
        physical += _matching(slots, circle.people, room_all)
        willing += _matching(slots, circle.people, room_willing)
    total = sum(t.capacity for t in circle.tasks)
    return physical / total, willing / total


def _matching(slots: list[Task], people: list[Person], room: dict[int, int]) -> int:
    """Most slots given to people within their room, one person per slot (augmenting paths)."""
    taken: dict[int, list[int]] = {pid: [] for pid in room}
    owner: dict[int, int] = {}

    def place(slot: Task, seen: set[int]) -> bool:
        for person in people:
            if person.id not in room or person.id in seen or person.is_away(slot.final_start):
                continue
            seen.add(person.id)
            if len(taken[person.id]) < room[person.id]:
                taken[person.id].append(slot.id)
                owner[slot.id] = person.id
                return True
            for other_id in list(taken[person.id]):
                other = next(s for s in slots if s.id == other_id)
                if place(other, seen):
                    taken[person.id].remove(other_id)
                    taken[person.id].append(slot.id)
                    owner[slot.id] = person.id
                    return True
        return False

    return sum(1 for slot in slots if place(slot, set()))
