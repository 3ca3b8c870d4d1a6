"""Fill a database with many circles, supporters, needs, tasks and claims, fast, for the benchmarks.

Pages that list tasks only show their cost with many tasks behind them. The
schema comes from the real migrations; rows go in with SQLAlchemy Core
executemany in batches, with ids chosen here so rows can point at each other
without reading anything back. Each claim is written with the task's `claimed`
count that matches it, so the seeded data keeps the app's invariants.

    python -m bench.seed --circles 1000 --tasks-per-circle 300 --supporters 30 [--database-url URL] [--reset]
"""

from __future__ import annotations

import argparse
import random
import sys
import time as timer
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import click
import flask_migrate
from sqlalchemy import Connection, Table, func, make_url, select, text

from bench.common import PASSWORD, TIMEZONE, bench_app, coordinator_email, database_url, supporter_email
from coordinator.clock import end_of_day_utc, now, to_utc_lenient, today_in
from coordinator.extensions import db
from coordinator.models import Circle, Claim, Membership, Need, Task, User
from coordinator.services.people.accounts import password_hash

BATCH = 5000  # rows per executemany
TABLES: list[Table] = [t.__table__ for t in (User, Circle, Membership, Need, Task, Claim)]  # foreign-key order
TASKS_PER_NEED = 10
SPACING_DAYS = 5  # days between a need's occurrences
WINDOW_DAYS = 56  # tasks fall on the next 8 weeks, as the app's rolling window
CLAIMED_SHARE = 0.4  # share of tasks someone has taken
INNER_SUPPORTERS = 5  # the first supporters of each circle are in its inner circle

# (category, title, hours long)
NEED_KINDS = [
    ("ride", "Ride to chemotherapy", 2),
    ("meal", "Dinner for the family", 1),
    ("errands", "Groceries from the list", 1),
    ("pets", "Walk Biscuit", 1),
    ("visit", "Afternoon visit", 2),
    ("childcare", "School pickup for the kids", 1),
    ("housework", "Laundry and tidying", 2),
    ("call", "Evening phone call", 1),
    ("exercise", "Slow walk around the park", 1),
    ("paperwork", "Insurance claim call", 1),
]
FIRST = "Ana Ben Chloe Dev Elif Femi Grace Hiro Ines Jonas Kofi Lena Mateo Nadia Owen Priya Rosa Sam Tomas Yara".split()
LAST = "Adler Brook Costa Diaz Evans Fischer Garcia Haddad Ito Jensen Khan Lopez Moreau Nowak Okafor Park".split()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--circles", type=int, default=1000)
    parser.add_argument("--tasks-per-circle", type=int, default=300)
    parser.add_argument("--supporters", type=int, default=30, help="supporters per circle (each can sign in)")
    parser.add_argument("--database-url", help="default: SQLite file bench/out/bench.sqlite3")
    parser.add_argument(
        "--reset", action="store_true", help="empty the database first (migrations down, or delete file)"
    )
    parser.add_argument("--random-seed", type=int, default=42)
    return parser.parse_args(argv)


@cache
def moments(day: date, start: time | None, hours: int) -> tuple[datetime, datetime]:
    """UTC start and end of an occurrence, as the app computes them for generated series."""
    if start is None:
        deadline = end_of_day_utc(day, TIMEZONE)
        return deadline, deadline
    starts_at = to_utc_lenient(day, start, TIMEZONE)
    return starts_at, max(to_utc_lenient(day, time(start.hour + hours, start.minute), TIMEZONE), starts_at)


class Seeder:
    """Builds each circle's rows in memory and writes them in batches; columns left out are NULL."""

    def __init__(self, *, supporters: int, tasks_per_circle: int, hashed: str, rng: random.Random):
        self.supporters = supporters
        self.tasks_per_circle = tasks_per_circle
        self.hashed = hashed
        self.rng = rng
        self.stamp = now()
        self.today = today_in(TIMEZONE)
        self.pending: dict[Table, list[dict]] = {table: [] for table in TABLES}
        self.totals: dict[str, int] = {table.name: 0 for table in TABLES}
        self.next_id = {"needs": 1, "tasks": 1, "claims": 1}

    def _id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table] - 1

    def _add(self, table: Table, row: dict) -> None:
        self.pending[table].append(row)
        self.totals[table.name] += 1

    def add_circle(self, circle_id: int) -> None:
        base = (circle_id - 1) * (self.supporters + 1)
        coordinator_id = base + 1
        supporter_ids = [base + 1 + n for n in range(1, self.supporters + 1)]
        users, circles, memberships = TABLES[0], TABLES[1], TABLES[2]
        self._add(users, self._user(coordinator_id, f"Coordinator {circle_id}", coordinator_email(circle_id)))
        for n, user_id in enumerate(supporter_ids, start=1):
            name = f"{FIRST[(circle_id + n) % len(FIRST)]} {LAST[(circle_id * 3 + n) % len(LAST)]}"
            self._add(users, self._user(user_id, name, supporter_email(circle_id, n)))
        patient = f"{FIRST[circle_id % len(FIRST)]} {LAST[circle_id % len(LAST)]}"
        self._add(
            circles,
            {
                "id": circle_id,
                "name": f"Helping {patient.split()[0]} #{circle_id}",
                "patient_name": patient,
                "timezone": TIMEZONE,
                "phone_region": "US",
                "created_at": self.stamp,
                "created_by_id": coordinator_id,
            },
        )
        for user_id in [coordinator_id, *supporter_ids]:
            role = "coordinator" if user_id == coordinator_id else "supporter"
            inner = role == "supporter" and user_id - base - 1 <= INNER_SUPPORTERS
            self._add(memberships, self._membership(user_id, circle_id, role, inner))
        remaining, j = self.tasks_per_circle, 0
        while remaining > 0:
            count = min(TASKS_PER_NEED, remaining)
            self._add_need(circle_id, j, count, coordinator_id, supporter_ids)
            remaining, j = remaining - count, j + 1

    def _user(self, user_id: int, name: str, email: str) -> dict:
        return {
            "id": user_id,
            "name": name,
            "email": email,
            "password_hash": self.hashed,
            "created_at": self.stamp,
        }

    def _membership(self, user_id: int, circle_id: int, role: str, inner: bool) -> dict:
        return {
            "id": user_id,
            "circle_id": circle_id,
            "user_id": user_id,
            "role": role,
            "status": "active",
            "inner_circle": inner,
            "feed_version": 1,
            "created_at": self.stamp,
        }

    def _add_need(self, circle_id: int, j: int, count: int, coordinator_id: int, supporter_ids: list[int]) -> None:
        category, title, hours = NEED_KINDS[j % len(NEED_KINDS)]
        anytime = j % 7 == 6
        start = None if anytime else time(8 + (j * 3) % 11)
        capacity = 3 if j % 13 == 12 else 2 if j % 5 == 4 else 1
        visibility = "inner" if j % 15 == 14 else "circle"
        first_day = self.today + timedelta(days=j % (WINDOW_DAYS - SPACING_DAYS * (count - 1)))
        need_id = self._id("needs")
        self._add(
            TABLES[3],
            {
                "id": need_id,
                "circle_id": circle_id,
                "category": category,
                "title": title,
                "notes": "Ring the bell twice; the dog is friendly.",
                "details": {},
                "address": "12 Elm Street, Springfield" if category == "ride" else "",
                "visibility": visibility,
                "capacity": capacity,
                "anytime": anytime,
                "start_date": first_day,
                "start_time": start,
                "end_time": None if start is None else time(start.hour + hours),
                "timezone": TIMEZONE,
                "rrule": f"FREQ=DAILY;INTERVAL={SPACING_DAYS};COUNT={count}",
                "generated_until": self.today + timedelta(days=WINDOW_DAYS),
                "created_by_id": coordinator_id,
                "created_at": self.stamp,
                "updated_at": self.stamp,
            },
        )
        eligible = supporter_ids[:INNER_SUPPORTERS] if visibility == "inner" else supporter_ids
        for k in range(count):
            day = first_day + timedelta(days=SPACING_DAYS * k)
            holders = []
            if eligible and self.rng.random() < CLAIMED_SHARE:
                holders = self.rng.sample(eligible, min(self.rng.randint(1, capacity), len(eligible)))
            task_id = self._id("tasks")
            self._add(TABLES[4], self._task(task_id, need_id, circle_id, day, start, hours, capacity, len(holders)))
            for user_id in holders:
                self._add(TABLES[5], self._claim(task_id, user_id, circle_id))

    def _task(
        self,
        task_id: int,
        need_id: int,
        circle_id: int,
        day: date,
        start: time | None,
        hours: int,
        capacity: int,
        claimed: int,
    ) -> dict:
        starts_at, ends_at = moments(day, start, hours)
        return {
            "id": task_id,
            "need_id": need_id,
            "circle_id": circle_id,
            "series_date": day,
            "local_date": day,
            "start_time": start,
            "end_time": None if start is None else time(start.hour + hours),
            "timezone": TIMEZONE,
            "anytime": start is None,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "capacity": capacity,
            "claimed": claimed,
            "status": "open",
            "detached": False,
            "created_at": self.stamp,
            "updated_at": self.stamp,
        }

    def _claim(self, task_id: int, user_id: int, circle_id: int) -> dict:
        return {
            "id": self._id("claims"),
            "task_id": task_id,
            "user_id": user_id,
            "circle_id": circle_id,
            "status": "held",
            "release_note": "",
            "created_at": self.stamp,
        }

    def full(self) -> bool:
        return len(self.pending[TABLES[4]]) >= BATCH

    def flush(self, connection: Connection) -> None:
        for table, rows in self.pending.items():
            for start in range(0, len(rows), BATCH):
                connection.execute(table.insert(), rows[start : start + BATCH])
            rows.clear()


def finish(connection: Connection) -> None:
    """PostgreSQL sequences move past the ids chosen here; both databases get fresh planner statistics."""
    if connection.dialect.name == "postgresql":
        for table in TABLES:
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")
            )
    connection.execute(text("ANALYZE"))


def delete_sqlite_file(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        candidate.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = database_url(args.database_url)
    file_database = url.startswith("sqlite:///") and ":memory:" not in url
    if args.reset and file_database:
        delete_sqlite_file(url)
    elif args.reset and "bench" not in (make_url(url).database or ""):
        sys.exit("--reset drops every table; it only does so on a database whose name contains 'bench'.")
    app = bench_app(url)
    with app.app_context():
        if args.reset and not file_database:
            flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        if db.session.scalar(select(func.count()).select_from(Circle)):
            sys.exit(f"{url} already has circles; pass --reset to empty it first.")
        db.session.close()
        started = timer.perf_counter()
        seeder = Seeder(
            supporters=args.supporters,
            tasks_per_circle=args.tasks_per_circle,
            hashed=password_hash(PASSWORD),
            rng=random.Random(args.random_seed),
        )
        with click.progressbar(range(1, args.circles + 1), label="Seeding circles", show_pos=True) as bar:
            for circle_id in bar:
                seeder.add_circle(circle_id)
                if seeder.full():
                    with db.engine.begin() as connection:
                        seeder.flush(connection)
        with db.engine.begin() as connection:
            seeder.flush(connection)
            finish(connection)
        elapsed = timer.perf_counter() - started
    rows = ", ".join(f"{count:,} {name}" for name, count in seeder.totals.items())
    print(f"Seeded {rows} into {make_url(url).render_as_string(hide_password=True)} in {elapsed:.1f} s.")
    print(f"Sign in as {coordinator_email(1)} or {supporter_email(1, 1)} with password {PASSWORD!r}.")


if __name__ == "__main__":
    main()
