"""Demand shaped by a treatment plan (issue 16), and the delay midway that moves part of it a week.

The grid's first demand (bench/sim_world.NEEDS) is the same five needs every week. A circle with a treatment
plan asks for help in its rhythm instead, made the way services/care/plan_expansion.py turns the suggested
plan (services/care/plans._suggest) into needs:

- "plan": six 21-day cycles (chemotherapy's commonest rhythm), a treatment day every third Tuesday at
  TREATMENT_HOUR from the second week (a plan is entered about a week before the first infusion, when the
  date is set). On each treatment day one ride there and back (the service makes ONE task, 45 minutes
  before the appointment and four hours long: the driver waits or comes back); a meal at 17:30 on days
  +1 to +3 (the worst days are two to four days after an infusion); a short visit or a call at 15:00 on
  day +3 (the default quiet days +1 and +2 leave it alone); a weekly errand run on Saturdays, any time,
  from the first treatment day to a week after the last. Childcare is off in the suggestions, so off here.
  6 rides, 18 meals, 6 visits and 16 errands: the 40-odd tasks issue 16's journey expects.
- "course": a daily course, weekdays for five weeks (radiotherapy's rhythm), from the second Monday at
  COURSE_HOUR: a ride each weekday (25), and the weekly errand run. The meal and visit suggestions apply
  to repeating treatments only (PlanRule.applies_to), as in the service.

Only the rides on treatment days must not fail (Task.treatment): they climb the service's ladder twice as
early (services/health/outreach.MUST_NOT_FAIL), and the table's `must` column is exactly them.

The delay: blood counts are checked a day or two before an infusion, and low counts push it (and so every
later one) back a week. At DELAY_NOTICE before the middle treatment day, that day and every later one move
DELAY, and every task hung on them moves with it (services/care/plan_changes.plan_day_move, following):
each holder gets ONE text listing what of theirs moved and keeps it if they can still make it (OK), with
KEEPS_MOVED's chance and not away then, else releases it (DROP); an open or released task's ladder starts
again from the bottom for the new date, and whoever was asked about it before is not asked again (the
service keeps withdrawn asks in its record). The weekly errands hang on no treatment day and stay.

A burst month on a plan is the first demand's everyday needs (about seven slots a week, none of them
treatment-day rides) on top of the plan's for those four weeks.
"""

from __future__ import annotations

from dataclasses import replace

from bench.sim_world import DAY, STRESS_FROM, STRESS_WEEKS, WEEK, Circle, Task, make_circle, make_tasks

DEMANDS = ("weekly", "plan", "course")
CYCLES, CYCLE_DAYS = 6, 21  # six 21-day cycles
FIRST_TREATMENT = WEEK + 1 * DAY  # Tuesday of the second week
TREATMENT_HOUR = 10  # the infusion at 10:00; the ride at 9:15 (whole hours here: 9)
COURSE_WEEKS, COURSE_FIRST, COURSE_HOUR = 5, WEEK, 9  # weekdays from the second Monday, treatment at 9:00
RIDE_LEAD, RIDE_HOURS = 1, 4  # 45 minutes before, four hours there and back (plans._suggest)
MEAL_DAYS, MEAL_HOUR = (1, 2, 3), 17  # days +1 to +3 at 17:30
VISIT_DAY, VISIT_HOUR = 3, 15  # day +3 at 15:00
ERRAND_WEEKDAY, ERRAND_HOUR = 5, 10  # Saturdays, any time: asked about as a morning
DELAY, DELAY_NOTICE = WEEK, 2 * DAY  # the middle treatment day and every later one, a week, two days' notice
KEEPS_MOVED = 0.7  # a holder can still make the same hour a week later (a guess; most weeks have room)


def treatment_days(demand: str) -> list[int]:
    """The hours at which treatments start, as first planned (before any delay)."""
    if demand == "plan":
        return [FIRST_TREATMENT + TREATMENT_HOUR + n * CYCLE_DAYS * DAY for n in range(CYCLES)]
    if demand == "course":
        return [COURSE_FIRST + w * WEEK + d * DAY + COURSE_HOUR for w in range(COURSE_WEEKS) for d in range(5)]
    raise ValueError(f"no treatment days for the {demand!r} demand")


def plan_tasks(demand: str, weeks: int, scenario: str) -> tuple[list[Task], int | None]:
    """The plan's tasks in the run's weeks, soonest first, and the hour the delay becomes known."""
    days = treatment_days(demand)
    middle = len(days) // 2
    tasks: list[Task] = []

    def add(start: int, kind: str, length: int, *, day: int | None = None, ride: bool = False) -> None:
        moves_to = start + DELAY if day is not None and day >= middle else None
        tasks.append(Task(0, kind, start, start + length, 1, ride, treatment=ride, moves_to=moves_to))

    for number, treatment in enumerate(days):
        midnight = treatment - treatment % DAY
        add(treatment - RIDE_LEAD, "ride", RIDE_HOURS, day=number, ride=True)
        if demand == "plan":
            for offset in MEAL_DAYS:
                add(midnight + offset * DAY + MEAL_HOUR, "meal", 1, day=number)
            add(midnight + VISIT_DAY * DAY + VISIT_HOUR, "visit", 2, day=number)
    first, last = days[0] - days[0] % DAY, days[-1] - days[-1] % DAY + 7 * DAY
    saturday = first + ((ERRAND_WEEKDAY - first // DAY % 7) % 7) * DAY
    for midnight in range(saturday, last + 1, WEEK):
        add(midnight + ERRAND_HOUR, "errands", 8)
    if scenario == "burst":
        stress = range(STRESS_FROM * WEEK, (STRESS_FROM + STRESS_WEEKS) * WEEK)
        tasks += [replace(t, must=False) for t in make_tasks(weeks, "normal") if t.start in stress]
    tasks = [t for t in tasks if DAY <= t.start and t.final_start < weeks * WEEK]
    tasks.sort(key=lambda t: t.start)
    for number, task in enumerate(tasks, 1):
        task.id = number
    delay_at = days[middle] - RIDE_LEAD - DELAY_NOTICE
    return tasks, delay_at if delay_at < weeks * WEEK else None


def demand_circle(*, demand: str, size: int, base_mean: float, scenario: str, weeks: int, seed: int) -> Circle:
    """The same people as make_circle's (same seed, same draws); only what they are asked for differs."""
    circle = make_circle(size=size, base_mean=base_mean, scenario=scenario, weeks=weeks, seed=seed)
    if demand != "weekly":
        circle.tasks, circle.delay_at = plan_tasks(demand, weeks, scenario)
    return circle


def delay_apply(run) -> None:
    """The delay, once, at the pass after it is known: tasks move, each holder told once, OK or DROP."""
    circle = run.c
    if circle.delay_at is None or run.now < circle.delay_at:
        return
    circle.delay_at = None
    moved = [t for t in circle.tasks if t.moves_to is not None and t.start != t.moves_to]
    told: dict[int, list[Task]] = {}
    for task in moved:
        task.start, task.end = task.moves_to, task.moves_to + (task.end - task.start)
        for pid in task.holders:
            told.setdefault(pid, []).append(task)
    for pid, theirs in told.items():
        run.tally.moved_texts += 1  # one text per holder, whatever they held
        person = run.by_id[pid]
        for task in theirs:
            if person.is_away(task.start) or run.rng.random() >= KEEPS_MOVED:
                task.holders.remove(pid)  # DROP: released, and not asked about it again
                task.asked.add(pid)
                run.tally.dropped += 1
    for task in moved:
        if task.open:
            task.stage, task.alerted_at, task.handled = 0, None, False  # the ladder starts again for the new date
    circle.tasks.sort(key=lambda t: t.start)  # the finished ones stay first: everything moved is ahead
