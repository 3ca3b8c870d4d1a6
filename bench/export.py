"""Circle export: rows per second and peak memory, 1k against 10k messages, with the naive way as baseline.

The export (services/privacy/circle_export.py) reads its rows a batch at a time
and writes them straight into the ZIP, so its peak memory should stay flat as a
circle's history grows. The baseline, measured in the same run on the same rows,
is the naive way: every message loaded at once, then written. Peak memory is
Python's own allocations (tracemalloc), measured in a separate pass from the time.

    python -m bench.export [--sizes 1000 10000] [--database-url postgresql://.../bench]
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import flask_migrate
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import joinedload

from bench.common import OUT_DIR, bench_app, database_url
from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Circle, Membership, Message, User
from coordinator.services.privacy.circle_export import circle_export

BODY = "Hi {n}, could you drive Maria to the clinic on Tuesday at 9? Reply TAKE 42 to say yes, or ignore this. Thanks!"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in bench/out/")
    return parser.parse_args()


def prepare(url: str):
    if url == database_url(None):
        OUT_DIR.mkdir(exist_ok=True)
        path = url.removeprefix("sqlite:///").replace("bench.sqlite3", "export.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
    return app


def seed(size: int) -> Circle:
    """One circle with 20 supporters and `size` messages to them, written with executemany."""
    circle = Circle(name=f"Bench {size}", patient_name="Maria Lopez", timezone="America/New_York", phone_region="US")
    people = [User(name=f"Supporter {n}", phone=f"+1202555{size % 97:02d}{n:02d}") for n in range(20)]
    db.session.add_all([circle, *people])
    db.session.flush()
    db.session.add_all(Membership(circle_id=circle.id, user_id=p.id, role="supporter") for p in people)
    moment = now()
    rows = [
        {
            "idempotency_key": f"bench:{circle.id}:{n}",
            "circle_id": circle.id,
            "user_id": people[n % 20].id,
            "kind": "ask",
            "channel": "sms",
            "to_address": people[n % 20].phone,
            "subject": "",
            "body": BODY.format(n=n),
            "status": "delivered",
            "due_at": moment,
            "attempts": 1,
            "last_error": "",
            "created_at": moment,
            "updated_at": moment,
            "sent_at": moment,
        }
        for n in range(size)
    ]
    db.session.execute(insert(Message), rows)
    db.session.commit()
    return circle


def streamed(circle: Circle) -> None:
    with tempfile.TemporaryFile() as out:
        circle_export(circle=circle, exporter=None, out=out)
    db.session.rollback()  # leave no circle.exported rows behind between passes


def naive(circle: Circle) -> None:
    """Every message at once, then the same CSV into a ZIP."""
    messages = db.session.scalars(
        select(Message).options(joinedload(Message.user)).where(Message.circle_id == circle.id).order_by(Message.id)
    ).all()
    with tempfile.TemporaryFile() as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        text = io.StringIO()
        writer = csv.writer(text)
        for message in messages:
            writer.writerow((message.sent_at, message.user.name, message.kind, message.status, message.body))
        zipped.writestr("messages.csv", text.getvalue())
    db.session.rollback()


def measure(run: Callable[[Circle], None], circle: Circle) -> tuple[float, float]:
    """(seconds, peak MiB): timed without tracemalloc, then run again under it."""
    db.session.expunge_all()
    started = time.perf_counter()
    run(circle)
    seconds = time.perf_counter() - started
    db.session.expunge_all()
    tracemalloc.start()
    run(circle)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20


def main() -> None:
    args = parse_args()
    app = prepare(database_url(args.database_url))
    print(f"{'messages':>9} {'way':>9} {'rows/s':>9} {'peak MiB':>9}")
    with app.app_context():
        for size in args.sizes:
            circle = seed(size)
            circle_id = circle.id
            for name, run in (("naive", naive), ("streamed", streamed)):
                seconds, peak = measure(run, db.session.get(Circle, circle_id))
                print(f"{size:>9} {name:>9} {size / seconds:>9.0f} {peak:>9.1f}")
            db.session.execute(delete(Message).where(Message.circle_id == circle_id))
            db.session.commit()


if __name__ == "__main__":
    main()
