"""The simulation grid (bench/simulate.py, issue 18): it runs, repeats, measures honestly, and each rule does what it says.

The grid's figures go into bench/README.md and decide which asking rules go into
the service, so the model itself is tested here: the budget it promises
supporters, the upper bound that says whether a shortfall was possible at all,
and each switchable rule on a small circle, directly rather than only through
the averages.
"""

from __future__ import annotations

import random

import pytest

from bench import simulate
from bench.sim_report import measure
from bench.sim_service import ALERTED, BEST, DAY, WEEK, Rules, Run
from bench.sim_world import Task, make_circle, upper_bound


def circle(size: int = 20, scenario: str = "normal", weeks: int = 6, seed: int = 1):
    return make_circle(size=size, base_mean=0.32, scenario=scenario, weeks=weeks, seed=seed)


def test_quick_grid_prints_every_cell_and_the_goal(capsys):
    simulate.main(["--quick", "--jobs", "1"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.strip().startswith(("6 ", "20 "))]
    assert len(rows) == 2 * 4 * 3  # two sizes, four scenarios, broadcast + today + the recommended rules
    for scenario in ("normal", "holiday", "silent", "burst"):
        assert sum(scenario in r for r in rows) == 6
    assert "cells meet the goal" in out


def test_same_seed_same_figures_and_another_seed_differs():
    cell = (20, 0.32, "holiday")
    first = simulate.run_one(cell, 3, "service", "offers", 8)
    assert simulate.run_one(cell, 3, "service", "offers", 8) == first
    assert simulate.run_one(cell, 4, "service", "offers", 8) != first


@pytest.mark.parametrize("variant", ["none", "all"])
def test_the_service_never_texts_anyone_beyond_the_asks_a_week_they_chose(variant):
    for size in (6, 60):
        c = circle(size=size, scenario="burst", weeks=14)
        r = measure(c, Run(c, "service", Rules.named(variant), 1).go(), (1.0, 1.0))
        assert r["over_asks"] == 0
        assert r["texts_busiest"] <= 4  # nobody chose more than four asks a week
    c = circle(size=6, weeks=4)
    broadcast = measure(c, Run(c, "broadcast", Rules(), 1).go(), (1.0, 1.0))
    assert broadcast["over_asks"] > 0  # the measure can fail: emailing everyone breaks everyone's budget


def test_upper_bound_is_what_the_people_there_could_carry():
    c = circle(size=6, weeks=2)
    for person in c.people[2:]:
        person.asks_per_week = 0  # only two people will take anything, two a week each
    for person in c.people[:2]:
        person.asks_per_week = 2
    physical, willing = upper_bound(c, 1)
    slots = sum(t.capacity for t in c.tasks)
    assert physical == pytest.approx(8 / slots)  # two people x two tasks x two weeks
    assert willing <= physical


def test_half_the_circle_away_lowers_the_willing_bound():
    normal = [upper_bound(circle(size=6, weeks=14, seed=s), s)[1] for s in (1, 2, 3)]
    holiday = [upper_bound(circle(size=6, scenario="holiday", weeks=14, seed=s), s)[1] for s in (1, 2, 3)]
    assert sum(holiday) < sum(normal)


def test_burst_month_doubles_the_needs_for_four_weeks():
    normal, burst = circle(weeks=14), circle(scenario="burst", weeks=14)
    in_month = lambda c: sum(1 for t in c.tasks if 10 * WEEK <= t.start < 14 * WEEK)  # noqa: E731
    assert in_month(burst) == 2 * in_month(normal)
    assert len(burst.tasks) - in_month(burst) == len(normal.tasks) - in_month(normal)
    assert all(t.must == (t.kind == "ride") for t in normal.tasks)  # appointment rides must not fail


def _run(rules: Rules, size: int = 20, scenario: str = "normal") -> Run:
    run = Run(circle(size=size, scenario=scenario, weeks=14), "service", rules, 1)
    run.now = 8
    run.asked_now = set()
    return run


def test_offers_put_three_suitable_tasks_in_one_text():
    run = _run(Rules(offers=True))
    person = next(p for p in run.c.people if not p.declared)  # suits every kind
    soon = [t for t in run.c.tasks if t.start < run.now + 9 * DAY]
    run.ask(soon[0], [person], run.load(), soon, why="best")
    assert run.tally.asks == 1
    assert sum(person.id in t.asked for t in soon) == 3
    plain = _run(Rules())
    soon = [t for t in plain.c.tasks if t.start < plain.now + 9 * DAY]
    plain.ask(soon[0], [plain.by_id[person.id]], plain.load(), soon, why="best")
    assert plain.tally.asks == 1
    assert sum(person.id in t.asked for t in soon) == 1


def test_single_asks_the_best_one_then_the_next_twelve_hours_later():
    run = _run(Rules(single=True))
    task = next(t for t in run.c.tasks if t.start > 7 * DAY)
    run.now = task.start - 7 * DAY + 1
    run.rng = random.Random(0)
    for person in run.c.people:
        person.general = 0.0  # nobody says yes, so the ladder keeps climbing
    run.climb(task, run.load(), [task])
    assert task.stage == BEST and len(task.asked) == 1
    run.now += 11
    run.asked_now = set()
    run.climb(task, run.load(), [task])
    assert len(task.asked) == 1
    run.now += 1
    run.climb(task, run.load(), [task])
    assert len(task.asked) == 2


def test_early_starts_asking_for_an_appointment_ride_two_weeks_ahead():
    ride = Task(999, "ride", 20 * DAY, 20 * DAY + 2, 1, True)
    meal = Task(998, "meal", 20 * DAY, 20 * DAY + 1, 1, False)
    for rules, ride_stage in ((Rules(), 0), (Rules(early=True), BEST)):
        run = _run(rules)
        run.now = 7 * DAY
        run.climb(ride, run.load(), [ride])
        run.climb(meal, run.load(), [meal])
        assert (ride.stage, meal.stage) == (ride_stage, 0)
        ride.stage, ride.asked = 0, set()


def test_learning_prefers_whoever_said_yes_to_this_kind_at_this_time():
    run = _run(Rules(learn=True))
    a, b = run.c.people[:2]
    ride = Task(999, "ride", 5 * DAY + 9, 5 * DAY + 11, 1, True)
    meal = Task(998, "meal", 5 * DAY + 17, 5 * DAY + 18, 1, False)
    for _ in range(4):
        run.record(a, (ride,), ride)
        run.record(b, (ride,), None)
        run.record(b, (meal,), meal)
    assert run.estimate(a, ride) > run.estimate(b, ride)
    assert run.estimate(b, meal) > run.estimate(a, meal)
    assert run.ranked([b, a], ride, run.load()[0])[0] is a


def test_a_silent_coordinator_leaves_it_to_the_backup_and_the_nudge_names_one_person():
    run = _run(Rules(nudge=True), scenario="silent")
    run.rng = random.Random(0)
    task = next(t for t in run.c.tasks if t.start > 10 * WEEK + 2 * DAY)
    run.now = task.start - DAY
    run.climb(task, run.load(), [task])
    assert task.stage == ALERTED and not task.handled and run.tally.calls == 0  # the first in line is silent
    run.now += 12
    run.rng.random = lambda: 0.0  # the backup acts, and the person named says yes to the call
    run.backups()
    assert task.handled and run.tally.calls == 1 and task.holders
    assert run.tally.alerts == 2


def test_unknown_rule_is_refused_before_any_run():
    with pytest.raises(TypeError):
        simulate.parse(["--variants", "offers+telepathy"])
