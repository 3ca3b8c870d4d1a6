"""The service's asking rules, mirrored on the simulated circle, each new rule switchable; and the broadcast baseline.

Mirrors, rule for rule (the files named are what to read if they change):
- the ladder (services/health/outreach.py): the best three who suit a task 7 days
  ahead, the next three if none said yes within 36 hours, everyone who suits it at
  3 days, the first coordinator at 1 day, the next one 12 hours later if nobody acted;
  a ride on a treatment plan's day (bench/sim_plan.py) climbs twice as early: 14, 6
  and 2 days (outreach.MUST_NOT_FAIL);
- who may be asked (services/health/asking.py): suits their declared kinds, not
  asked about it before, within their asks in the last seven days and 20 hours
  after their last ask (services/texting/ask_budget.py), one ask per person per
  pass, and a yes to it and to their asks still out keeps them within the fair-share
  cap (services/health/load.py); best first: those who answered before, then the
  least recently asked, then the least loaded;
- "ask everyone" when a coordinator taps it, the Sunday digest of two tasks
  (services/texting/digests.py), re-engagement of the drifting and archiving after
  six silent weeks (services/health/reengage.py), the offer of a rest to someone
  past the cap who takes a task unasked, and the patient's one-tap thank-you.

The digests, re-engagement, browsing, thanks and the broadcast baseline are in
bench/sim_rounds.py; the service's settings and timings in bench/sim_settings.py.

The new rules (Rules), each off by default so a run with none is the service today:
- offers: one text offers up to three open tasks that suit the person ("reply TAKE 42");
- learn: the best few are those most likely to say yes to this kind at this time of
  day, from their own past yes and silence;
- early: the needs hardest to fill (appointment rides, or few people who suit them)
  climb the ladder a week earlier, and their alert comes two days ahead;
- nudge: the coordinator's alert names the one person most likely to say yes, whom
  the coordinator asks in person first;
- enough: the wider rung asks only as many people as should bring a yes (by the
  same estimate), the next batch a day later, instead of everyone at once; and
  nobody drifting is re-engaged while the circle has hands to spare (no task in
  the next two weeks has reached the wider rung); Sunday digests aim at one
  expected yes per open spot (DIGEST_ENOUGH_YES); and "ask everyone" asks those who
  offer that kind of help first, those who ticked other kinds only once none of the
  first can be asked (services/health/asking.everyone_left);
- single: the best one, not three, then the next one twelve hours later (a yes
  usually comes within hours; REPLY_DELAYS), so fewer asks are spent on a task
  somebody has just taken;
- rides: a ride on a treatment day, once it reaches the wider rung, may also ask
  people who already carry their fair share (bench/README.md, "Treatment plan
  demand": what left a treatment-day ride bare was the cap, not the people);
- room: those a yes would bring to exactly their fair share are asked after everyone
  who would still have a place to spare (services/health/asking.py, candidates): a
  yes that arrives hours later, after the person took something else or the cap
  moved with the weeks, no longer carries them past it.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bench.sim_plan import delay_apply
from bench.sim_rounds import WeeklyRounds
from bench.sim_settings import (
    ALERT,
    ALERTED,
    ASK_GAP,
    BACKUP,
    BACKUP_AFTER,
    BEST,
    BEST_FEW,
    EARLY_ALERT,
    EARLY_FIRST,
    EARLY_WIDER,
    ENOUGH_YES,
    FAIR_FACTOR,
    FIRST_ASK,
    HARD_POOL,
    LOAD_AHEAD,
    LOAD_BACK,
    LOOK_AHEAD,
    MIN_CAP,
    NEXT_FEW_AFTER,
    OFFER_MAX,
    OFFER_WITHIN,
    PENDING_FOR,
    PRIOR_YES,
    REPLY_DELAYS,
    SINGLE_WAIT,
    STEPS,
    WIDER,
    WIDER_ASK,
)
from bench.sim_world import (
    COORDINATOR_ACTS,
    COORDINATOR_PULL,
    DAY,
    WEEK,
    Circle,
    Person,
    Task,
)


@dataclass(frozen=True)
class Rules:
    offers: bool = False
    learn: bool = False
    early: bool = False
    nudge: bool = False
    enough: bool = False
    single: bool = False
    rides: bool = False
    room: bool = False

    @classmethod
    def named(cls, names: str) -> Rules:
        chosen = {n for n in names.split("+") if n and n != "none"}
        if chosen == {"all"}:
            chosen = {"offers", "learn", "early", "nudge", "enough", "single", "room"}  # not rides: it bends the cap
        return cls(**{n: True for n in chosen})


@dataclass
class Tally:
    asks: int = 0  # asking texts: asks, digests, re-engagement (and mass emails in the baseline)
    calls: int = 0  # a coordinator's own ask to the person the nudge named
    alerts: int = 0  # alerts and backups to coordinators
    over_cap: int = 0  # people above the cap at the Monday look, summed over weeks
    texts: dict[tuple[int, int], int] = field(default_factory=Counter)  # (person, week) -> asking texts
    kinds: Counter = field(default_factory=Counter)  # asking texts by why they went (best, wider, everyone, ...)
    past_cap: Counter = field(default_factory=Counter)  # takes that carried someone past the cap, by how
    too_late: int = 0  # yeses that came after someone else had taken the task
    moved_texts: int = 0  # a treatment plan's delay: one text to each holder of a moved task (not an ask)
    dropped: int = 0  # moved tasks their holders could no longer make, released (DROP)
    bare: int = 0  # places still open when their task began
    bare_unasked: int = 0  # of those, places someone who suits the task, was there and had room was never asked about


class Run(WeeklyRounds):
    """One circle, one strategy ("broadcast" or "service"), one set of rules, walked hour by hour."""

    def __init__(self, circle: Circle, strategy: str, rules: Rules, seed: int):
        self.c, self.strategy, self.rules = circle, strategy, rules
        self.rng = random.Random(seed * 31 + (strategy == "service"))
        self.by_id = {p.id: p for p in circle.people}
        self.tally = Tally()
        self.archived: set[int] = set()
        self.active: dict[int, list[int]] = defaultdict(list)  # said yes or took something
        self.ask_events: dict[int, list[int]] = defaultdict(list)  # ladder asks, for drift
        self.out: dict[int, list[tuple[int, tuple[Task, ...]]]] = defaultdict(list)  # asks still out
        self.seen: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])  # (person[, kind or part]) -> [yes, asked]
        self.reengaged: dict[int, int] = {}
        self.last_asked: dict[int, int] = {}
        self.emailed: set[int] = set()
        self.replies: list[tuple[int, Person, Task, str]] = []
        self.finished = 0

    # --- the walk ----------------------------------------------------------------------------------------------
    def go(self) -> Tally:
        for day in range(self.c.weeks * 7):
            for hour in STEPS:
                self.now = day * DAY + hour
                self.step(weekday=day % 7, hour=hour)
        return self.tally

    def step(self, *, weekday: int, hour: int) -> None:
        delay_apply(self)  # a treatment plan's delay, once it is known (bench/sim_plan.py)
        self.replies_arrive()
        if weekday == 0 and hour == 8:
            load = self.load()
            self.tally.over_cap += sum(1 for n in load[0].values() if n > load[1])
        if self.strategy == "service":
            self.outreach()
            if weekday == 6 and hour == 17:
                self.digests()
        else:
            self.broadcast()
        if weekday == 2 and hour == 17:
            self.browse()
        self.finish()

    # --- people's budgets and load -----------------------------------------------------------------------------
    def texted(self, person: Person, why: str) -> None:
        person.texts.append(self.now)
        self.tally.asks += 1
        self.tally.kinds[why] += 1
        self.tally.texts[(person.id, self.now // WEEK)] += 1

    def may_ask(self, person: Person, quiet: int = ASK_GAP) -> bool:
        if person.id in self.archived or person.asks_per_week == 0:
            return False
        texts = person.texts
        if texts and self.now - texts[-1] < quiet:
            return False
        return len(texts) - bisect_left(texts, self.now - WEEK + 1) < person.asks_per_week

    def load(self) -> tuple[Counter, int]:
        window = [t for t in self.c.tasks if self.now - LOAD_BACK <= t.start < self.now + LOAD_AHEAD]
        counts = Counter(pid for t in window for pid in t.holders)
        helpers = len(self.c.people) - len(self.archived) + len(self.c.coordinators)
        share = sum(t.capacity for t in window) / helpers
        return counts, max(MIN_CAP, math.floor(FAIR_FACTOR * share + 0.5))

    def pending(self, pid: int) -> int:
        out = self.out[pid] = [(at, tasks) for at, tasks in self.out[pid] if self.now - at < PENDING_FOR]
        return sum(1 for _, tasks in out if any(t.open and pid not in t.holders for t in tasks))

    def has_room(self, pid: int, load: tuple[Counter, int], pending: bool = True, extra: int = 0) -> bool:
        return load[0][pid] + (self.pending(pid) if pending else 0) + 1 + extra <= load[1]

    def take(self, person: Person, task: Task, how: str) -> bool:
        if not task.open or person.id in task.holders or task.start <= self.now:
            return False
        counts, cap = self.load()
        if counts[person.id] + 1 > cap:
            self.tally.past_cap[how] += 1
        task.holders.append(person.id)
        person.held.append(self.now)
        self.active[person.id].append(self.now)
        return True

    # --- what the service knows about each person ----------------------------------------------------------------
    def estimate(self, person: Person, task: Task) -> float:
        """Their chance of a yes to this kind at this time of day, from their own record (learn)."""
        yes, asked = self.seen[(person.id,)]
        prior = (yes + PRIOR_YES * 3) / (asked + 3)
        by_kind, by_part = self.seen[(person.id, task.kind)], self.seen[(person.id, task.part)]
        kind = (by_kind[0] + 2 * prior) / (by_kind[1] + 2)
        part = (by_part[0] + 2 * prior) / (by_part[1] + 2)
        return min(0.99, kind * part / max(prior, 0.01))

    def record(self, person: Person, offered: tuple[Task, ...], took: Task | None) -> None:
        for task in offered:
            for key in ((person.id,), (person.id, task.kind), (person.id, task.part)):
                self.seen[key][1] += 1
                self.seen[key][0] += task is took

    def ranked(self, people: list[Person], task: Task, load: Counter) -> list[Person]:
        if self.rules.learn:
            return sorted(people, key=lambda p: (-self.estimate(p, task), self.last_asked.get(p.id, -1), p.id))
        answered = {pid for pid, times in self.active.items() if times}
        return sorted(people, key=lambda p: (p.id not in answered, self.last_asked.get(p.id, -1), load[p.id], p.id))

    # --- the ladder -------------------------------------------------------------------------------------------
    def outreach(self) -> None:
        load = self.load()
        open_tasks = [t for t in self.c.tasks if t.open and self.now + 1 < t.start < self.now + LOOK_AHEAD]
        self.asked_now: set[int] = set()
        for task in open_tasks:
            self.climb(task, load, open_tasks)
        self.backups()
        self.reengage(load, open_tasks)

    def days(self, task: Task) -> tuple[int, int, int]:
        if task.treatment:  # a ride on a treatment day climbs twice as early (outreach.MUST_NOT_FAIL), in every variant
            return EARLY_FIRST, EARLY_WIDER, EARLY_ALERT
        if self.rules.early and (task.must or sum(1 for p in self.c.people if p.suits(task.kind)) < HARD_POOL):
            return EARLY_FIRST, EARLY_WIDER, EARLY_ALERT
        return FIRST_ASK, WIDER_ASK, ALERT

    def climb(self, task: Task, load: tuple[Counter, int], open_tasks: list[Task]) -> None:
        first, wider, alert = self.days(task)
        left = task.start - self.now
        target = ALERTED if left <= alert else WIDER if left <= wider else BEST if left <= first else 0
        few, wait = (1, SINGLE_WAIT) if self.rules.single else (BEST_FEW, NEXT_FEW_AFTER)
        quiet = task.last_ask is not None and self.now - task.last_ask >= wait
        if target == task.stage == BEST and quiet:
            self.ask(task, self.candidates(task, load)[:few], load, open_tasks, why="next few")
            return
        if target == task.stage == WIDER and self.rules.enough and quiet:
            self.ask(task, self.enough(task, load), load, open_tasks, why="wider")
            return
        if target <= task.stage:
            return
        if target == BEST:
            self.ask(task, self.candidates(task, load)[:few], load, open_tasks, why="best")
        if target >= WIDER and task.stage < WIDER:
            people = self.enough(task, load) if self.rules.enough else self.candidates(task, load)
            self.ask(task, people, load, open_tasks, why="wider")
        if target >= ALERTED and task.stage < ALERTED:
            task.alerted_at = self.now
            self.alert(task, 0, load)
        task.stage = min(target, ALERTED)

    def candidates(self, task: Task, load: tuple[Counter, int], *, everyone: bool = False) -> list[Person]:
        people = [
            p
            for p in self.c.people
            if p.id not in task.asked
            and p.id not in task.holders
            and self.may_ask(p)
            and (self.has_room(p.id, load) or self.past_cap_for(task))
            and (everyone or (p.id not in self.asked_now and p.suits(task.kind)))
        ]
        if everyone and self.rules.enough and any(p.suits(task.kind) for p in people):
            people = [p for p in people if p.suits(task.kind)]  # those who ticked other kinds in a later wave
        ranked = self.ranked(people, task, load[0])
        if self.rules.room:  # those with a place to spare first; those at their last place under the cap after
            ranked.sort(key=lambda p: not self.has_room(p.id, load, extra=1))
        return ranked

    def past_cap_for(self, task: Task) -> bool:
        """rides: a treatment-day ride within its wider rung's days may ask those already at their fair share."""
        return self.rules.rides and task.treatment and task.start - self.now <= self.days(task)[1]

    def enough(self, task: Task, load: tuple[Counter, int]) -> list[Person]:
        chosen, expected = [], 0.0
        for person in self.candidates(task, load):
            if expected >= ENOUGH_YES * (task.capacity - len(task.holders)):
                break
            chosen.append(person)
            expected += self.estimate(person, task)
        return chosen

    def ask(self, task: Task, people: list[Person], load: tuple, open_tasks: list[Task], *, why: str) -> None:
        for person in people:
            offered = (task, *self.more_offers(person, task, load, open_tasks)) if self.rules.offers else (task,)
            for t in offered:
                t.asked.add(person.id)
                t.last_ask = self.now
            self.texted(person, why)
            self.asked_now.add(person.id)
            self.last_asked[person.id] = self.now
            self.ask_events[person.id].append(self.now)
            self.answer(person, offered, how=why)

    def more_offers(self, person: Person, task: Task, load, open_tasks: list[Task]) -> list[Task]:
        others = [
            t
            for t in open_tasks
            if t is not task
            and t.open
            and t.start < self.now + OFFER_WITHIN
            and person.id not in t.asked
            and person.id not in t.holders
            and person.suits(t.kind)
        ]
        if self.rules.learn:
            others.sort(key=lambda t: -self.estimate(person, t))
        return others[: OFFER_MAX - 1]

    def answer(self, person: Person, offered: tuple[Task, ...], *, how: str, pull: float = 1.0) -> Task | None:
        """They decide now; a yes by text arrives after a while (a coordinator's call is answered at once)."""
        took = person.says_yes([t for t in offered if t.open], self.now, self.rng, pull)
        for task in offered:
            task.told.add(person.id)
        self.record(person, offered, took)
        delay = 0 if how == "call" else self.rng.choices(*zip(*REPLY_DELAYS, strict=True))[0]
        if took is not None and delay:
            self.replies.append((self.now + delay, person, took, how))
        elif took is not None and self.take(person, took, how):
            return took
        self.out[person.id].append((self.now, offered))
        return None

    def replies_arrive(self) -> None:
        due = [r for r in self.replies if r[0] <= self.now]
        self.replies = [r for r in self.replies if r[0] > self.now]
        for _, person, task, how in due:
            if not self.take(person, task, how):
                self.tally.too_late += 1  # "thanks, someone has it already": a yes the asking wasted

    # --- coordinators ------------------------------------------------------------------------------------------
    def alert(self, task: Task, which: int, load: tuple[Counter, int]) -> None:
        if which >= len(self.c.coordinators):
            return
        self.tally.alerts += 1
        silent = self.c.coordinators[which]
        if silent and silent[0] <= self.now < silent[1]:
            return
        if self.rng.random() >= COORDINATOR_ACTS:
            return
        task.handled = True
        if self.rules.nudge:
            named = self.named_person(task, load)
            if named is not None:
                self.tally.calls += 1
                if self.answer(named, (task,), how="call", pull=COORDINATOR_PULL):
                    return
        self.ask(task, self.candidates(task, load, everyone=True), load, [], why="everyone")

    def named_person(self, task: Task, load: tuple[Counter, int]) -> Person | None:
        """As services/health/nudges.nudge_pick: suits it, has room, has said yes before; likeliest, then least loaded."""
        room = [
            p
            for p in self.c.people
            if p.id not in self.archived
            and p.id not in task.holders
            and p.suits(task.kind)
            and self.has_room(p.id, load)
            and self.seen[(p.id,)][0] > 0
        ]
        return max(room, key=lambda p: (self.estimate(p, task), -load[0][p.id]), default=None)

    def backups(self) -> None:
        load = None
        for task in self.c.tasks:
            if task.stage != ALERTED or not task.open or task.start <= self.now or task.alerted_at is None:
                continue
            if self.now - task.alerted_at < BACKUP_AFTER:
                continue
            task.stage = BACKUP
            if not task.handled:
                load = load or self.load()
                self.alert(task, 1, load)
