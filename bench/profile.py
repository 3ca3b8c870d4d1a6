"""Where a page's time goes: each page of one seeded circle, in-process, under cProfile, with production settings.

`make bench` says how fast a page is from outside; this says why. It builds the
real app as production would (APP_ENV=production), signs a coordinator and a
supporter in once through the real form, then for each page: the time per
request without the profiler, its queries and size, and the profiler's top
lines (own time, and cumulative time grouped by what the code is: ORM hydration,
template rendering, session lookup, CSRF, time zones).

    python -m bench.profile [--database-url URL] [--circle ID] [--requests 40] [--top 12] [--page tasks]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import event, func, select

from bench.common import PASSWORD, TIMEZONE, bench_app, coordinator_email, database_url, supporter_email
from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Circle

# Landmarks: (label, file ends with, function). Their cumulative time says what a request spends on each thing.
LANDMARKS = [
    ("whole request (Flask)", "flask/app.py", "wsgi_app"),
    ("session lookup (Flask-Login user loader)", "flask_login/login_manager.py", "_load_user"),
    ("membership check (circle_access)", "services/people/circles.py", "circle_access"),
    ("the view's own services and queries", "coordinator/web/access.py", "wrapped"),
    ("render_template", "flask/templating.py", "render_template"),
    ("template macro calls", "jinja2/runtime.py", "__call__"),
    ("ORM execute (compile, run, hydrate)", "sqlalchemy/orm/session.py", "_execute_internal"),
    ("ORM hydration (rows to objects)", "sqlalchemy/orm/loading.py", "chunks"),
    ("waiting on the database", "psycopg/connection.py", "wait"),
    ("CSRF token", "flask_wtf/csrf.py", "generate_csrf"),
    ("time zone conversion (clock.local)", "coordinator/clock.py", "local"),
    ("url_for", "flask/helpers.py", "url_for"),
    ("response headers and cookie", "flask/app.py", "process_response"),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite file bench/out/bench.sqlite3")
    parser.add_argument("--circle", type=int, help="circle to browse (default: the middle one)")
    parser.add_argument("--requests", type=int, default=40, help="requests per page, timed and then profiled")
    parser.add_argument("--top", type=int, default=12, help="profile lines per page")
    parser.add_argument("--page", action="append", help="only pages whose label contains this (repeatable)")
    return parser.parse_args(argv)


def production_app(url: str) -> Flask:
    """The app as gunicorn serves it in `bench.pages`: production settings, nothing leaves the machine."""
    os.environ.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=url,
        RATELIMIT_STORAGE_URI="memory://",
        PUBLIC_BASE_URL="http://127.0.0.1",
        SMS_BACKEND="console",
        MAIL_BACKEND="console",
        LOG_LEVEL="WARNING",
    )
    return bench_app(url)


def sign_in(app: Flask, email: str):
    client = app.test_client()
    client.get("/sign-in")
    token = _csrf(client)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        sys.exit(f"Signing in as {email} failed ({response.status_code}): was the database seeded?")
    return client


def _csrf(client) -> str:
    import re

    html = client.get("/sign-in").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def pages(circle_id: int) -> list[tuple[str, str, str]]:
    """(label, URL, who) for every page the issue lists."""
    base = f"/circles/{circle_id}"
    week = (today_in(TIMEZONE) + timedelta(days=7)).isoformat()
    return [
        ("overview (coordinator)", base, "coordinator"),
        ("overview (supporter)", base, "supporter"),
        ("tasks (coordinator)", f"{base}/tasks", "coordinator"),
        ("tasks (supporter)", f"{base}/tasks", "supporter"),
        ("week calendar (coordinator)", f"{base}/calendar?week={week}", "coordinator"),
        ("my tasks (supporter)", f"{base}/mine", "supporter"),
        ("health (coordinator)", f"{base}/health", "coordinator"),
        ("people (coordinator)", f"{base}/people", "coordinator"),
        ("message log (coordinator)", f"{base}/messages", "coordinator"),
        ("floor: /healthz (signed in)", "/healthz", "coordinator"),
    ]


def timed(engine, client, url: str, n: int) -> tuple[float, int, int]:
    """Median ms per request, queries per request, bytes."""
    statements: list[str] = []

    def count(*_args) -> None:
        statements.append("")

    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}")
    size = len(response.get_data())
    event.listen(engine, "before_cursor_execute", count)
    client.get(url)
    event.remove(engine, "before_cursor_execute", count)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], len(statements), size


def landmarks(stats: pstats.Stats, requests: int) -> list[tuple[str, float]]:
    """Cumulative ms a request (under the profiler, so inflated alike) for each landmark found."""
    found = []
    for label, suffix, function in LANDMARKS:
        total = sum(
            cumulative
            for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items()
            if name == function and filename.endswith(suffix)
        )
        if total:
            found.append((label, total * 1000 / requests))
    return found


def profiled(client, url: str, n: int, top: int) -> tuple[str, list[tuple[str, float]]]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:]), landmarks(stats, n)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = database_url(args.database_url)
    app = production_app(url)
    with app.app_context():
        circle_id = args.circle or (db.session.scalar(select(func.max(Circle.id))) + 1) // 2
        engine = db.engine  # requests run outside this context: each gets its own, as under gunicorn
    clients = {
        "coordinator": sign_in(app, coordinator_email(circle_id)),
        "supporter": sign_in(app, supporter_email(circle_id, 1)),
    }
    print(f"{engine.dialect.name}: circle {circle_id}, {args.requests} requests a page")
    for label, page, who in pages(circle_id):
        if args.page and not any(p in label for p in args.page):
            continue
        client = clients[who]
        ms, queries, size = timed(engine, client, page, args.requests)
        text, by_bucket = profiled(client, page, args.requests, args.top)
        print(
            f"\n## {label}: {page}\n{ms:.1f} ms a request (median, no profiler), {queries} queries, {size / 1024:.1f} KB"
        )
        print("cumulative ms a request under the profiler:")
        for name, value in by_bucket:
            print(f"  {value:7.1f}  {name}")
        print(f"top {args.top} functions by own time:")
        print(text)


if __name__ == "__main__":
    main()
