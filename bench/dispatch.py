"""Dispatch throughput: texts per second through the real dispatcher, SDK and HTTP, against fake Twilio.

Baseline, measured in the same run: the gateway alone (twilio SDK over HTTP to
the fake, no database), which is the ceiling one process can reach. Then the
dispatcher as a separate process (`flask sms dispatch --until-idle`), one
process and, on PostgreSQL, two at once sharing the queue through
FOR UPDATE SKIP LOCKED. Every run checks that each text arrived exactly once.

    python -m bench.dispatch [--messages 2000] [--database-url postgresql://.../bench]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import flask_migrate
from sqlalchemy import delete, func, select

from bench.common import OUT_DIR, bench_app, database_url
from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.texting.messages import message_queue
from coordinator.sms.twilio_gateway import TwilioGateway
from tests.fake_twilio import FakeTwilio
from tests.processes import ACCOUNT, TOKEN, Process, command_env


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in bench/out/")
    return parser.parse_args()


def prepare(url: str):
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
    return app


def queue(app, count: int, tag: str) -> None:
    with app.app_context():
        db.session.execute(delete(Message))
        for n in range(count):
            message_queue(
                channel="sms", to_address=f"+1202555{n % 100:04d}", kind="welcome", key=f"{tag}:{n}", body=f"{tag} {n}"
            )
        db.session.commit()


def sent(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Message.status == "sent"))


def run_dispatchers(app, url: str, fake: FakeTwilio, count: int, processes: int, tag: str) -> tuple[float, bool]:
    queue(app, count, tag)
    before = len(fake.received)
    env = command_env(url, fake.base_url, SMS_SENDS_PER_SECOND="0")
    started = time.perf_counter()
    workers = [Process(["sms", "dispatch", "--until-idle", "--batch", "50"], env) for _ in range(processes)]
    for worker in workers:
        worker.finish(timeout=600)
    elapsed = time.perf_counter() - started
    bodies = Counter(m["body"] for m in fake.received[before:])
    exactly_once = len(bodies) == count and set(bodies.values()) == {1} and sent(app) == count
    return count / elapsed, exactly_once


def baseline(fake: FakeTwilio, count: int) -> float:
    gateway = TwilioGateway(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        from_number="+15005550006",
        api_base_url=fake.base_url,
        public_base_url="https://care.example.org",
        timeout=5.0,
    )
    started = time.perf_counter()
    for n in range(count):
        gateway.send(to=f"+1202555{n % 100:04d}", body=f"baseline {n}")
    rate = count / (time.perf_counter() - started)
    gateway.close()
    return rate


def main() -> None:
    args = parse_args()
    OUT_DIR.mkdir(exist_ok=True)
    url = database_url(args.database_url or f"sqlite:///{OUT_DIR / 'dispatch.sqlite3'}")
    app = prepare(url)
    rows = []
    with FakeTwilio(auth_token=TOKEN) as fake:
        base = baseline(fake, args.messages)
        rows.append(("gateway alone (SDK + HTTP, no database)", base, True))
        rate, ok = run_dispatchers(app, url, fake, args.messages, 1, "one")
        rows.append(("dispatcher, 1 process", rate, ok))
        if url.startswith("postgresql"):
            rate, ok = run_dispatchers(app, url, fake, args.messages, 2, "two")
            rows.append(("dispatchers, 2 processes (SKIP LOCKED)", rate, ok))
    print(f"\n{args.messages} texts per run, database: {url.split('@')[-1]}")
    print(f"{'run':42} | {'texts/s':>8} | {'vs gateway':>10} | exactly once")
    for name, rate, ok in rows:
        print(f"{name:42} | {rate:8.1f} | {rate / base:9.2f}x | {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
