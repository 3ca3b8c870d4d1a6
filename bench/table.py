"""The table `make bench` prints: each page beside a bare page of its size, with issue 17's figures as the baseline.

Issue 17 measured these pages before they were made lighter (PostgreSQL, 1,000 circles x 300 tasks x 30
supporters, gunicorn 2 workers x 4 threads, wrk -c16 with connections closing, on one two-core machine).
Those figures are kept here, as they were printed then, so each run shows the new figures beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench import wrk

RATIO_GOAL = 0.35  # a page's req/s at least this share of the bare page of its size...
P50_GOAL = 5.0  # ...and a single client's median at most this many times the bare page's


@dataclass(frozen=True)
class Before:
    kb: float
    ratio: float  # req/s vs the bare page of the same size
    p50_ms: float  # one client
    queries: int


# Issue 17's table (its bare page was the task list's size, 73.6 KB: 944.5 req/s, 1.7 ms).
BEFORE = {
    "overview (coordinator)": Before(17.0, 0.145, 15.3, 6),
    "tasks (coordinator)": Before(73.9, 0.086, 24.5, 5),
    "tasks (supporter)": Before(72.5, 0.095, 22.1, 5),
    "week calendar (coordinator)": Before(14.8, 0.153, 10.5, 4),
    "my tasks (supporter)": Before(11.6, 0.225, 10.0, 3),
    "health (coordinator)": Before(14.4, 0.149, 14.3, 9),
    "people (coordinator)": Before(46.0, 0.134, 16.0, 4),
    "message log (coordinator)": Before(2.0, 0.380, 6.6, 3),
}


@dataclass(frozen=True)
class Row:
    label: str
    size: int  # bytes of the page
    loaded: wrk.Result  # wrk -c16, connections closing
    alone: wrk.Result  # wrk -c1: one client's latency
    bare_loaded: wrk.Result  # the bare page of the same size, alike
    bare_alone: wrk.Result
    queries: int | None

    @property
    def ratio(self) -> float:
        bare = self.bare_loaded.requests_per_second
        return self.loaded.requests_per_second / bare if bare else float("nan")

    @property
    def p50_times_bare(self) -> float:
        return self.alone.p50_ms / self.bare_alone.p50_ms if self.bare_alone.p50_ms else float("nan")

    @property
    def meets_goal(self) -> bool:
        return self.ratio >= RATIO_GOAL and self.p50_times_bare <= P50_GOAL


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'page':<28} | {'KB':>5} {'(was)':>6} | {'req/s c16':>9} {'bare':>7} | {'vs bare':>7} {'(was)':>7} | "
        f"{'p50 1 client':>12} {'bare':>6} {'(was)':>7} | {'queries':>7} {'(was)':>5} | {'failed':>6} | goal"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        before = BEFORE.get(row.label)
        print(
            f"{row.label:<28} | {row.size / 1024:>5.1f} {f'({before.kb:.1f})' if before else '':>6} | "
            f"{row.loaded.requests_per_second:>9.1f} {row.bare_loaded.requests_per_second:>7.1f} | "
            f"{row.ratio:>6.3f}x {f'({before.ratio:.3f})' if before else '':>7} | "
            f"{row.alone.p50_ms:>10.1f}ms {row.bare_alone.p50_ms:>4.1f}ms "
            f"{f'({before.p50_ms:.1f})' if before else '':>7} | "
            f"{row.queries if row.queries is not None else '-':>7} {f'({before.queries})' if before else '':>5} | "
            f"{row.loaded.failures:>6} | {'yes' if row.meets_goal else 'no' if before else '-'}"
        )
    print(
        f"\ngoal: req/s at least {RATIO_GOAL}x the bare page of the same size, and one client's p50 at most "
        f"{P50_GOAL:.0f}x the bare page's. (was): issue 17's figures before this work. The floor row is no page:"
        " a signed-in request reading one row, the least any page can cost."
    )
