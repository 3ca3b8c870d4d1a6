"""The simulated service's rounds besides the ladder: Sunday digests, re-engagement, and what people do unasked.

A part of bench/sim_service.Run, kept apart so each module stays readable:
digests (services/texting/digests.py), re-engagement and archiving
(services/health/reengage.py), the broadcast baseline (every task emailed to
everyone), people browsing the list and taking something unasked (with the
offer of a rest once they carry their share), and the patient's thank-you after
a task is done.
"""

from __future__ import annotations

from collections import Counter

from bench.sim_settings import (
    ARCHIVE_AFTER,
    DIGEST_ENOUGH_YES,
    DRIFT_RECENT,
    LOAD_BACK,
    OFFER_MAX,
    REENGAGE_EVERY,
    REENGAGE_QUIET,
    SMALL_KINDS,
    UNANSWERED_IN_A_ROW,
    WIDER,
    WIDER_ASK,
)
from bench.sim_world import (
    BROADCAST_DISCOUNT,
    BROWSE,
    DAY,
    EMAIL_READ,
    GENERATE_AHEAD,
    GRATITUDE_BOOST,
    HEEDS_REST,
    MARKS_DONE,
    PATIENT_THANKS,
    REENGAGE_BOOST,
    REENGAGE_TAKES,
    STUDY_ACCEPTANCE,
    Task,
)


class WeeklyRounds:
    """Methods of bench/sim_service.Run (which holds the state they read)."""

    def digests(self) -> None:
        load = self.load()
        soon = [t for t in self.c.tasks if t.open and self.now + 12 < t.start < self.now + 8 * DAY]
        # Room for one more counting the asks still out to them, as services/texting/digests.py does since issue 18.
        people = [p for p in self.c.people if self.may_ask(p) and self.has_room(p.id, load)]
        if self.rules.enough:  # enough: only as many digests as the week's open spots need, likeliest first
            people.sort(key=lambda p: -max((self.estimate(p, t) for t in soon if p.suits(t.kind)), default=0))
        expected = 0.0
        for person in people:
            picks = [t for t in soon if person.id not in t.holders and person.suits(t.kind)][
                : OFFER_MAX if self.rules.offers else 2
            ]
            if not picks:
                continue
            if self.rules.enough and expected >= DIGEST_ENOUGH_YES * len(soon):
                break
            expected += max(self.estimate(person, t) for t in picks)
            self.texted(person, "digest")
            self.answer(person, tuple(picks), how="digest")

    def drifting(self, pid: int) -> bool:
        active = self.active[pid]
        earlier = sum(1 for at in active if self.now - LOAD_BACK - DRIFT_RECENT <= at < self.now - DRIFT_RECENT)
        recent = sum(1 for at in active if at >= self.now - DRIFT_RECENT)
        if earlier >= 2 and recent / 3 < earlier / 8 / 2:
            return True
        last_active = active[-1] if active else -1
        return sum(1 for at in self.ask_events[pid] if at > last_active) >= UNANSWERED_IN_A_ROW

    def reengage(self, load: tuple[Counter, int], open_tasks: list[Task]) -> None:
        for pid, at in list(self.reengaged.items()):
            if at is not None and self.now - at > ARCHIVE_AFTER:
                if any(t > at for t in self.active[pid]):
                    self.reengaged[pid] = None
                else:
                    self.archived.add(pid)
                    del self.reengaged[pid]
        short = any(t.stage >= WIDER for t in open_tasks if t.open and t.start < self.now + 14 * DAY)
        if self.rules.enough and not short:
            return  # enough: nobody is drawn back while the circle has hands to spare
        for person in self.c.people:
            if person.id in self.archived or person.id in self.asked_now or not self.drifting(person.id):
                continue
            if self.reengaged.get(person.id) is not None and self.now - self.reengaged[person.id] < REENGAGE_EVERY:
                continue
            if not self.may_ask(person, quiet=REENGAGE_QUIET):
                continue
            small = next(
                (
                    t
                    for t in open_tasks
                    if t.kind in SMALL_KINDS
                    and t.open
                    and t.start < self.now + 14 * DAY
                    and person.id not in t.asked
                    and person.suits(t.kind)
                    and self.has_room(person.id, load)
                ),
                None,
            )
            self.texted(person, "reengage")
            self.reengaged[person.id] = self.now
            if not person.is_away(self.now) and self.rng.random() < REENGAGE_TAKES:
                person.restored = min(2.0, person.restored + REENGAGE_BOOST)
            if small is not None:
                small.asked.add(person.id)
                self.answer(person, (small,), how="reengage")

    def bare_count(self, task) -> None:
        """A task began with places open: was it the asking's fault? Someone who suits it, was there, could be asked
        and had room under the cap, yet was never asked about it (nor offered it) says so."""
        places = task.capacity - len(task.holders)
        self.tally.bare += places
        load = self.load()
        missed = any(
            p.suits(task.kind)
            and not p.is_away(task.start)
            and p.id not in self.archived
            and p.asks_per_week > 0
            and p.id not in task.told
            and p.id not in task.holders
            and self.has_room(p.id, load, False)
            for p in self.c.people
        )
        self.tally.bare_unasked += places * missed

    def broadcast(self) -> None:
        """The anchors' way: each task is emailed to everyone once, when it first exists (eight weeks ahead)."""
        fresh = [t for t in self.c.tasks if t.id not in self.emailed and t.start - GENERATE_AHEAD <= self.now]
        self.emailed.update(t.id for t in fresh)  # by id: a plan's delay reorders the tasks
        for task in fresh:
            for person in self.rng.sample(self.c.people, len(self.c.people)):
                self.texted(person, "email")
                if self.rng.random() < EMAIL_READ and task.open and not person.is_away(self.now):
                    if self.rng.random() < BROADCAST_DISCOUNT * person.up_for_it(self.now) * person.fit(task):
                        self.take(person, task, "email")

    def browse(self) -> None:
        soon = [t for t in self.c.tasks if t.open and t.start > self.now][:10]
        load = self.load() if self.strategy == "service" else None
        for person in self.c.people:
            if person.id in self.archived or person.is_away(self.now) or not soon:
                continue
            like_an_ask = person.up_for_it(self.now) * person.base / person.general  # about `base` at the start
            if self.rng.random() >= BROWSE * like_an_ask / STUDY_ACCEPTANCE:
                continue
            fitting = [t for t in soon if t.open and self.rng.random() < person.fit(t)]
            if not fitting:
                continue
            task = self.rng.choice(fitting)
            heavy = load is not None and task.start - self.now > WIDER_ASK and not self.has_room(person.id, load, False)
            if heavy and self.rng.random() < HEEDS_REST:
                continue  # offered a rest before taking more, they leave it for others
            self.take(person, task, "browse")

    def finish(self) -> None:
        while self.finished < len(self.c.tasks) and self.c.tasks[self.finished].end < self.now:
            task = self.c.tasks[self.finished]
            self.finished += 1
            if task.open:
                self.bare_count(task)
            for pid in task.holders:
                if self.rng.random() < MARKS_DONE and self.strategy == "service" and self.rng.random() < PATIENT_THANKS:
                    person = self.by_id[pid]
                    person.restored = min(2.0, person.restored + GRATITUDE_BOOST)
