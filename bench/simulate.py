"""Six months of a circle, across a grid of circles and bad months: does the asking cover the needs, and at what cost?

Issue 18's grid: circles of 6, 20 and 60 supporters; base willingness at the
published study's 32% and its mobile 20%; four scenarios (normal, a holiday
month with half the circle away, the main coordinator silent for four weeks,
a burst month with twice the needs). Each cell runs with fixed seeds, three ways
or more: the anchors' broadcast (every task emailed to everyone), the service's
rules as they are today, and the service with the new rules (bench/sim_service.py,
each switchable). The people, the needs and the bad months are bench/sim_world.py,
with every parameter and its justification at its top; demand shaped by a
treatment plan (six 21-day cycles, or a five-week weekday course, one delay
midway: issue 16) is bench/sim_plan.py; the figures are bench/sim_report.py.

    python -m bench.simulate                      # the whole grid (make simulate)
    python -m bench.simulate --quick              # a small grid in seconds (the tests run it)
    python -m bench.simulate --demand plan course # only the treatment plan's demand
    python -m bench.simulate --demand plan course --variants none rides offers+nudge+single+enough+room+rides
    python -m bench.simulate --variants none all offers learn early nudge enough --ablation
    python -m bench.simulate --real --seeds 1 2   # the model against the real services, one circle
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from itertools import product

from bench import sim_report
from bench.sim_plan import DEMANDS, demand_circle
from bench.sim_service import Rules, Run
from bench.sim_world import SCENARIOS, SIZES, WILLINGNESS, upper_bound

SEEDS = (1, 2, 3, 4, 5)
WEEKS = 26
RECOMMENDED = "offers+nudge+single+enough+room"  # the rules that paid off in the ablation (bench/README.md)
VARIANTS = ("none", RECOMMENDED)  # the service today, and with the recommended rules
ABLATION = (
    "offers", "learn", "early", "nudge", "enough", "single", "room",
    "offers+nudge", "offers+nudge+single", "offers+nudge+single+enough", "all",
)  # fmt: skip


def run_one(cell: tuple, seed: int, strategy: str, variant: str, weeks: int, demand: str = "weekly") -> dict:
    """One run; a process of its own in the pool (everything it needs is in its arguments)."""
    size, will, scenario = cell
    circle = demand_circle(demand=demand, size=size, base_mean=will, scenario=scenario, weeks=weeks, seed=seed)
    bound = upper_bound(circle, seed)
    tally = Run(circle, strategy, Rules.named(variant), seed).go()
    return sim_report.measure(circle, tally, bound)


def label(strategy: str, variant: str) -> str:
    variant = variant.removeprefix("none+")
    return "broadcast" if strategy == "broadcast" else "service" if variant == "none" else f"+{variant}"


Results = dict[str, dict[tuple, dict[str, list[dict]]]]  # demand -> cell -> strategy -> one result per seed


def grid(args: argparse.Namespace) -> Results:
    cells = list(product(args.sizes, args.willingness, args.scenarios))
    plans = [("broadcast", "none")] if args.broadcast else []
    plans += [("service", v) for v in args.variants]
    jobs = [(cell, seed, s, v, d) for d in args.demand for cell in cells for s, v in plans for seed in args.seeds]
    results: Results = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    if args.jobs <= 1:
        found = [run_one(cell, seed, s, v, args.weeks, d) for cell, seed, s, v, d in jobs]
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
            futures = [pool.submit(run_one, cell, seed, s, v, args.weeks, d) for cell, seed, s, v, d in jobs]
            found = [f.result() for f in futures]
    for (cell, _, s, v, d), r in zip(jobs, found, strict=True):
        results[d][cell][label(s, v)].append(r)
    return results


def print_grid(results: Results) -> None:
    for demand, by_cell in results.items():
        if len(results) > 1 or demand != "weekly":
            goal = "" if demand == "weekly" else " (the goal: issue 16's, every treatment-day ride in every seed)"
            print(f"\ndemand: {demand}{goal}")
        print_demand(demand, by_cell)


def print_demand(demand: str, results: dict[tuple, dict[str, list[dict]]]) -> None:
    """One table: each cell's mean of its seeds, then the mean of the cells (and how many meet the goal)."""
    plan = demand != "weekly"
    print(sim_report.HEADER)
    overall: dict[str, list[dict]] = defaultdict(list)
    met: dict[str, int] = defaultdict(int)
    for cell, by_label in results.items():
        for name, runs in by_label.items():
            cell_mean = sim_report.mean(runs)
            overall[name].append(cell_mean)
            verdict = sim_report.plan_goal(runs) if plan else None
            met[name] += (verdict if plan else sim_report.goal(cell_mean)) == "ok"
            print(sim_report.row(cell, name, cell_mean, verdict))
    print()
    print(sim_report.HEADER.replace("size will scenario", "mean over the grid".ljust(18)))
    for name, cells in overall.items():
        means = sim_report.mean(cells)
        line = sim_report.row(("", 0, ""), name, means, "").replace("   0%", "    ", 1)  # no willingness here
        if name != "broadcast" or plan:
            line += f"{met[name]}/{len(cells)} cells meet the goal"
        if plan:
            line += f"; a delay: {means['moved_texts']:.1f} texts to holders, {means['dropped']:.1f} dropped a run"
        print(line)


def real(args: argparse.Namespace) -> None:
    """The model's circle (20 supporters, 32%, normal) beside the same circle through the real services.

    The real service has sent the recommended rules since issue 18 (offers, single, enough; its nudge is on the
    outreach page, which the walk's coordinators don't read), so the model runs them too.
    """
    from bench import sim_real  # the real app: imported only when asked for

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), mp_context=context) as pool:
        futures = {
            (seed, strategy): pool.submit(sim_real.simulate, seed, strategy, 20, args.weeks)
            for seed in args.seeds
            for strategy in ("broadcast", "service")
        }
        found = {key: f.result() for key, f in futures.items()}
    print("seed | strategy  | coverage real / model | asks/filled real / model")
    for (seed, strategy), r in found.items():
        m = run_one((20, 0.32, "normal"), seed, strategy, RECOMMENDED, args.weeks)  # the service sends these now
        print(
            f"{seed:>4} | {strategy:9} | {r['coverage']:7.1%} / {m['coverage']:6.1%} | "
            f"{r['asks_per_fill']:8.2f} / {m['asks_per_fill']:.2f}"
        )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--willingness", type=float, nargs="+", default=list(WILLINGNESS))
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--demand", nargs="+", choices=DEMANDS, default=list(DEMANDS), help="weekly needs, or a plan")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), help="rules joined by +, or none, or all")
    parser.add_argument("--ablation", action="store_true", help=f"also each rule alone: {' '.join(ABLATION)}")
    parser.add_argument("--no-broadcast", dest="broadcast", action="store_false")
    parser.add_argument("--weeks", type=int, default=WEEKS)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once, one process each")
    parser.add_argument("--quick", action="store_true", help="two sizes, one seed, 14 weeks: seconds, for tests")
    parser.add_argument("--real", action="store_true", help="compare the model with the real services")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.willingness, args.seeds, args.weeks = [6, 20], [0.32], args.seeds[:1], 14
    if args.ablation:
        args.variants = list(dict.fromkeys(["none", *args.variants, *ABLATION]))
    for variant in args.variants:
        Rules.named(variant)  # an unknown rule's name fails here, not in a worker
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    started = time.monotonic()
    if args.real:
        real(args)
    else:
        print_grid(grid(args))
    print(f"\n{time.monotonic() - started:.0f} s, --jobs {args.jobs}")


if __name__ == "__main__":
    main()
