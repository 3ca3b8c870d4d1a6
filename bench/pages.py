"""Benchmark the pages people open most, each against a bare Flask page of its size, and claim/release.

The seeded database is served by gunicorn as in production (APP_ENV=production,
workers x threads). A coordinator and a few supporters of one circle sign in
once; wrk then loads each page of the issue 17 table (overview, tasks, calendar,
my tasks, health, people, message log) and, in the same run, a bare Flask app
rendering a template of that page's size. Each page's throughput is printed as a
ratio to its bare page, and one client's median latency beside the bare page's,
so the figures say what the app's own work costs on this machine rather than how
fast the machine is; issue 17's figures are printed beside them (bench/table.py).
Each page's SQL statements are counted in-process. Last, supporters race to
claim and release the same tasks, and every task's `claimed` count is checked
against its claims.

    python -m bench.pages [--database-url URL] [--duration 10] [--rounds 2] [--circle ID]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from sqlalchemy import event, func, select

from bench import wrk
from bench.common import (
    BENCH_DIR,
    OUT_DIR,
    TIMEZONE,
    bench_app,
    coordinator_email,
    database_url,
    supporter_email,
)
from bench.serve import Account, get, gunicorn, sign_in
from bench.table import Row, print_table
from coordinator.clock import now, today_in
from coordinator.extensions import db
from coordinator.models import Circle, Claim, Need, Task

CLAIM_SCRIPT = BENCH_DIR / "claim_release.lua"
CLAIM_DATA = OUT_DIR / "claim_release_data.lua"
APP_LOG = OUT_DIR / "gunicorn-app.log"
BARE_LOG = OUT_DIR / "gunicorn-bare.log"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite file bench/out/bench.sqlite3")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per URL, over all rounds")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (evens out other load)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads for the pages")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--gunicorn-threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--alone-seconds", type=int, default=2, help="seconds of one client per URL (its p50)")
    parser.add_argument("--circle", type=int, help="circle to browse (default: the middle one)")
    parser.add_argument(
        "--app-dir",
        type=Path,
        help="serve another copy of the code (e.g. `git archive <commit> | tar -x -C DIR`) against the same database, "
        "to measure before and after on the same machine; its queries are not counted",
    )
    parser.add_argument("--claim-tasks", type=int, default=200, help="tasks claimed and released in turn")
    parser.add_argument("--claim-supporters", type=int, default=4, help="supporters racing (one per wrk thread)")
    return parser.parse_args(argv)


def targets(app: Flask, circle_id: int | None, claim_tasks: int) -> tuple[int, list[int], int, str]:
    """The circle to browse, its free upcoming tasks to race over, the last claim id, and a summary."""
    with app.app_context():
        last_circle = db.session.scalar(select(func.max(Circle.id)))
        if last_circle is None:
            sys.exit("The database has no circles: run `python -m bench.seed` first.")
        circle_id = circle_id or (last_circle + 1) // 2
        tasks = db.session.scalars(
            select(Task.id)
            .join(Need, Need.id == Task.need_id)
            .where(
                Task.circle_id == circle_id,
                Task.status == "open",
                Task.claimed == 0,
                Need.visibility == "circle",
                Task.starts_at > now() + timedelta(hours=1),
            )
            .order_by(Task.starts_at, Task.id)
            .limit(claim_tasks)
        ).all()
        last_claim = db.session.scalar(select(func.coalesce(func.max(Claim.id), 0)))
        total_tasks = db.session.scalar(select(func.count()).select_from(Task))
        total_claims = db.session.scalar(select(func.count()).select_from(Claim))
        dialect = db.engine.dialect.name
    summary = f"{dialect}: {last_circle:,} circles, {total_tasks:,} tasks, {total_claims:,} claims"
    return circle_id, list(tasks), last_claim, summary


def page_size(url: str, account: Account | None) -> int:
    response = get(url, account.cookie) if account else get(url, "")
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}, not 200; the benchmark would measure the wrong thing.")
    return len(response.content)


def write_claim_data(circle_id: int, tasks: list[int], accounts: list[Account]) -> Path:
    entries = ",\n".join(f'    {{cookie = "{a.cookie}", token = "{quote(a.csrf_token, safe="")}"}}' for a in accounts)
    CLAIM_DATA.write_text(
        f"return {{\n  circle = {circle_id},\n  tasks = {{{', '.join(map(str, tasks))}}},\n"
        f"  accounts = {{\n{entries}\n  }},\n}}\n"
    )
    return CLAIM_DATA


def consistency_violations(app: Flask) -> list[str]:
    """Tasks whose `claimed` count differs from their live claims, or exceeds their capacity."""
    live = func.count(Claim.id)
    with app.app_context():
        rows = db.session.execute(
            select(Task.id, Task.claimed, Task.capacity, live)
            .outerjoin(Claim, (Claim.task_id == Task.id) & (Claim.status != "released"))
            .group_by(Task.id, Task.claimed, Task.capacity)
            .having((Task.claimed != live) | (Task.claimed > Task.capacity))
            .order_by(Task.id)
        ).all()
    return [f"task {t}: claimed={claimed} capacity={capacity} live claims={n}" for t, claimed, capacity, n in rows]


def claims_since(app: Flask, last_claim: int) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Claim.status, func.count()).where(Claim.id > last_claim).group_by(Claim.status)
        ).all()
    return dict(rows)


def server_errors(log: Path) -> int:
    """Requests that ended in an unhandled exception (Flask logs "Exception on <path>")."""
    return log.read_text(errors="replace").count("Exception on ") if log.exists() else 0


def measure(urls: list[tuple[str, str | None]], *, rounds: int, load: dict) -> list[wrk.Result]:
    """Each URL in turn, `rounds` times over, so a burst of other work on the machine hits them all alike."""
    results: list[list[wrk.Result]] = [[] for _ in urls]
    for _ in range(rounds):
        for (url, cookie), runs in zip(urls, results, strict=True):
            runs.append(wrk.run(url, cookie=cookie, **load))
    return [wrk.combine(runs) for runs in results]


def warn_if_busy() -> None:
    busy = os.getloadavg()[0]
    if busy > 0.5:
        print(f"Note: load average is {busy:.1f} before starting; other work on this machine will add noise.")


# Not a page people open: the cost of any request that knows who is asking and reads PostgreSQL at all (the session
# lookup, one `SELECT 1`, and the app's request machinery), so the table shows how much of each page is that floor.
FLOOR = "floor: /healthz (signed in)"


def page_list(circle: str, week: str) -> list[tuple[str, str, str]]:
    """(label, path, who) for every page the issue's table lists."""
    return [
        ("overview (coordinator)", circle, "coordinator"),
        ("tasks (coordinator)", f"{circle}/tasks", "coordinator"),
        ("tasks (supporter)", f"{circle}/tasks", "supporter"),
        ("week calendar (coordinator)", f"{circle}/calendar?week={week}", "coordinator"),
        ("my tasks (supporter)", f"{circle}/mine", "supporter"),
        ("health (coordinator)", f"{circle}/health", "coordinator"),
        ("people (coordinator)", f"{circle}/people", "coordinator"),
        ("message log (coordinator)", f"{circle}/messages", "coordinator"),
        (FLOOR, "/healthz", "coordinator"),
    ]


def benchmark(args: argparse.Namespace, url: str, circle_id: int, claim_tasks: list[int]):
    """Serve the app and the bare pages, load each, then race claims; returns the table rows and the race."""
    circle = f"/circles/{circle_id}"
    week = (today_in(TIMEZONE) + timedelta(days=7)).isoformat()  # a whole week of seeded tasks
    load = {"duration": max(1, args.duration // args.rounds), "threads": args.threads, "connections": args.connections}
    alone = {"duration": max(1, args.alone_seconds), "threads": 1, "connections": 1}
    serving = {"workers": args.workers, "threads": args.gunicorn_threads}
    env = {"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url}
    env["RATELIMIT_STORAGE_URI"] = "memory://"  # chosen: the bench signs many in from one address, counts don't matter
    env.update(PUBLIC_BASE_URL="http://127.0.0.1", SMS_BACKEND="console", MAIL_BACKEND="console")  # nothing leaves
    pages = page_list(circle, week)
    queries = {} if args.app_dir else query_counts(url, circle_id, pages)
    with gunicorn("wsgi:app", env=env, log=APP_LOG, directory=args.app_dir, **serving) as base:
        coordinator = sign_in(base, coordinator_email(circle_id), landing=f"{circle}/tasks")
        supporters = [
            sign_in(base, supporter_email(circle_id, n), landing=f"{circle}/mine")
            for n in range(1, args.claim_supporters + 1)
        ]
        who = {"coordinator": coordinator, "supporter": supporters[0]}
        urls = [(f"{base}{path}", who[person].cookie) for _, path, person in pages]
        sizes = [page_size(f"{base}{path}", who[person]) for _, path, person in pages]
        with gunicorn("bench.bare_app:create_app()", env={}, log=BARE_LOG, **serving) as bare:
            bares = [(f"{bare}/bytes/{size}", None) for size in sizes]
            for target, _ in bares:
                page_size(target, None)  # each size's rows are built before it is measured
            loaded = measure(urls + bares, rounds=args.rounds, load=load)
            singly = measure(urls + bares, rounds=1, load=alone)
        racing = wrk.run(
            base + "/",
            duration=args.duration,
            threads=len(supporters),
            connections=max(args.connections, len(supporters)),
            script=CLAIM_SCRIPT,
            script_args=[str(write_claim_data(circle_id, claim_tasks, supporters))],
        )
    n = len(pages)
    rows = [
        Row(label, size, loaded[i], singly[i], loaded[n + i], singly[n + i], queries.get(label))
        for i, ((label, _, _), size) in enumerate(zip(pages, sizes, strict=True))
    ]
    return rows, racing


def query_counts(url: str, circle_id: int, pages: list[tuple[str, str, str]]) -> dict[str, int]:
    """SQL statements each page runs, counted in-process on the same database with production settings."""
    from bench.profile import production_app
    from bench.profile import sign_in as sign_in_here

    app = production_app(url)
    with app.app_context():
        engine = db.engine
    clients = {
        "coordinator": sign_in_here(app, coordinator_email(circle_id)),
        "supporter": sign_in_here(app, supporter_email(circle_id, 1)),
    }
    counts = {}
    for label, path, person in pages:
        statements: list[str] = []
        clients[person].get(path)  # the first request of a process builds what later ones reuse

        def count(*_, found: list[str] = statements) -> None:
            found.append("")

        event.listen(engine, "before_cursor_execute", count)
        try:
            clients[person].get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts[label] = len(statements)
    with app.app_context():
        db.engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    wrk.wrk_path()  # fail before any setup if it is missing
    url = database_url(args.database_url)
    app = bench_app(url)
    circle_id, claim_tasks, last_claim, summary = targets(app, args.circle, args.claim_tasks)
    if not claim_tasks:
        sys.exit(f"Circle {circle_id} has no free upcoming tasks to claim; reseed with `python -m bench.seed --reset`.")
    print(f"Database {summary}; browsing circle {circle_id}.")
    print(
        f"gunicorn {args.workers} workers x {args.gunicorn_threads} threads; wrk -t{args.threads} -c{args.connections}, "
        f"{args.rounds} rounds of {max(1, args.duration // args.rounds)} s per URL. Logs in {OUT_DIR}."
    )
    warn_if_busy()
    rows, racing = benchmark(args, url, circle_id, claim_tasks)
    print()
    print_table(rows)
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(racing.statuses.items()))
    print()
    print(f"claim/release over {len(claim_tasks)} tasks: {racing.requests} requests, statuses {statuses or 'unknown'}.")
    print(f"claims written during the run, by status now: {claims_since(app, last_claim) or 'none'}")
    print(f"unhandled exceptions in the app's log: {server_errors(APP_LOG)} (see {APP_LOG})")
    violations = consistency_violations(app)
    if violations:
        print(f"consistency: {len(violations)} violations")
        for line in violations[:20]:
            print("  " + line)
        sys.exit(1)
    print("consistency: OK")


if __name__ == "__main__":
    main()
