"""Six months of one circle through the real services and jobs: the check that the grid's model agrees with them.

The grid (bench/simulate.py) runs a fast model of the service's rules
(bench/sim_service.py); this is the original walk through the real code, run by
`python -m bench.simulate --real` on the first simulation's circle (20 supporters,
32%), so the model's "service today" row can be compared with the real thing.

(a) The anchors' way: every task, once it exists, is emailed to everyone once.
(b) This service: matching asks to the best few, the escalation ladder, re-engagement.

Both run the same circle, needs and people, through the real code: needs are
posted with `need_post` and extended by the scheduler's job, texts are queued by
the real services and delivered by the real dispatcher (console gateway),
answers arrive through the real inbound handler ("TAKE 42"), and the clock is
moved with time-machine. Only the people are simulated.

The people (each assumption is a parameter below):
- Willingness to say yes to a personal ask starts near 32%, the share of posted
  tasks accepted in a published care-network study (BASE_MEAN), varying per person.
- It fades over the months (help piles up early, then thins): by FADE_FLOOR of its
  start with time constant FADE_WEEKS; a person who is not asked for three weeks
  recovers some of it (RECOVERY).
- Being busy lowers it: each task held in the last two weeks multiplies it by
  LOAD_DAMPING; each ask beyond the asks a week they agreed to, by ASK_FATIGUE
  (mass emails count as asks; that is how invitations start to look like spam).
- A mass email is read by EMAIL_READ of people and, when read, is acted on at
  BROADCAST_DISCOUNT of the personal rate (everyone assumes someone else will).
- A gentle re-engagement ask restores REENGAGE_BOOST of a drifted person's
  willingness with probability REENGAGE_TAKES.
- Each week a person may also browse and take a task unasked (BROWSE). With the
  service, someone already past their fair share is first offered a rest ("leave
  it for others?") and takes it with HEEDS_REST: told plainly they have done more
  than their share, and that others will be asked, most people accept the break.
- A coordinator alerted a day before taps "ask everyone" with COORDINATOR_ACTS.
- A weekly digest (service only) is answered like one ask, for its first task.
- After a task, its helper marks it done (MARKS_DONE). With the service's one-tap
  thank-you suggested, the patient sends it (PATIENT_THANKS), and thanks raise the
  helper's willingness by GRATITUDE_BOOST: in Grant & Gino (2010) a thank-you
  roughly doubled the share who helped again; we assume a far smaller effect.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import flask_migrate
import time_machine
from sqlalchemy import func, select

from bench.common import OUT_DIR, bench_app
from coordinator.clock import now, today_in
from coordinator.extensions import db
from coordinator.jobs import JOBS_BY_ID
from coordinator.models import Circle, Claim, Membership, Message, Task, User
from coordinator.services.care.claims import claim_done, claim_make
from coordinator.services.care.needs import NeedInput, need_post
from coordinator.services.care.recurrence import Repeat
from coordinator.services.care.thanks import thanks_send
from coordinator.services.health.load import circle_load, share_check
from coordinator.services.health.outreach import ask_everyone, outreach_run
from coordinator.services.texting.inbound import inbound_handle
from coordinator.sms.console import ConsoleGateway

BASE_MEAN, BASE_SPREAD = 0.32, 0.12
FADE_FLOOR, FADE_WEEKS = 0.45, 10.0
RECOVERY = 0.25
LOAD_DAMPING = 0.7
ASK_FATIGUE = 0.85
EMAIL_READ = 0.6
BROADCAST_DISCOUNT = 0.4
REENGAGE_BOOST, REENGAGE_TAKES = 0.5, 0.4
BROWSE = 0.05
HEEDS_REST = 0.75
COORDINATOR_ACTS = 0.7
MARKS_DONE, PATIENT_THANKS, GRATITUDE_BOOST = 0.8, 0.6, 0.15
STEP = timedelta(hours=3)
START = datetime(2027, 1, 4, 13, tzinfo=UTC)  # a Monday morning in New York
ZONE = "America/New_York"


@dataclass
class Person:
    user_id: int
    phone: str
    base: float
    restored: float = 1.0
    asks: list[datetime] = field(default_factory=list)

    def willingness(self, moment: datetime, held_recently: int, asks_per_week: int) -> float:
        weeks = (moment - START).days / 7
        fade = FADE_FLOOR + (1 - FADE_FLOOR) * math.exp(-weeks / FADE_WEEKS)
        last = max(self.asks) if self.asks else None
        rested = RECOVERY if last is None or moment - last > timedelta(weeks=3) else 0.0
        week_asks = sum(1 for a in self.asks if moment - a < timedelta(days=7))
        fatigue = ASK_FATIGUE ** max(0, week_asks - asks_per_week)
        value = self.base * min(1.0, fade * self.restored + rested) * (LOAD_DAMPING**held_recently) * fatigue
        return max(0.0, min(0.95, value))


def build(app, rng: random.Random, supporters: int) -> tuple[int, list[Person]]:
    with app.app_context():
        patient = User(name="Maria Lopez", phone="+12025550100", email="maria@sim.example")
        coordinators = [User(name=f"Coordinator {n}", phone=f"+1202555010{n}") for n in (1, 2)]
        circle = Circle(name="Team Maria", patient_name="Maria Lopez", timezone=ZONE, phone_region="US")
        db.session.add_all([patient, circle, *coordinators])
        db.session.flush()
        db.session.add(Membership(circle=circle, user=patient, role="patient"))
        for c in coordinators:
            db.session.add(Membership(circle=circle, user=c, role="coordinator"))
        people = []
        kinds = ["ride", "meal", "visit", "errands", "call"]
        for n in range(supporters):
            user = User(name=f"Supporter {n}", phone=f"+1202555{2000 + n:04d}", sms_consent_at=START)
            member = Membership(circle=circle, user=user, role="supporter")
            member.help_categories = rng.sample(kinds, rng.randint(2, 4)) if rng.random() < 0.6 else []
            member.asks_per_week = rng.choice([2, 3, 3, 4])
            db.session.add_all([user, member])
            db.session.flush()
            base = min(0.8, max(0.05, rng.gauss(BASE_MEAN, BASE_SPREAD)))
            people.append(Person(user.id, user.phone, base))
        db.session.commit()
        return circle.id, people


NEEDS = [
    ("ride", "Ride to chemo", ["TU"], time(9), time(11), 1),
    ("meal", "Dinner for the family", ["MO", "WE", "FR"], time(17), time(18), 1),
    ("visit", "Afternoon company", ["SA"], time(14), time(16), 1),
    ("errands", "Groceries", ["TH"], time(11), time(12), 1),
    ("ride", "Ride to a scan", ["FR"], time(8), time(10), 1),
]


def post_needs(circle_id: int, weeks: int) -> None:
    circle = db.session.get(Circle, circle_id)
    author = db.session.scalar(select(User).where(User.name == "Coordinator 1"))
    first = today_in(ZONE) + timedelta(days=1)
    for category, title, days, start, end, capacity in NEEDS:
        need_post(
            circle=circle,
            author=author,
            data=NeedInput(
                category=category,
                title=title,
                start_date=first,
                start_time=start,
                end_time=end,
                capacity=capacity,
                repeat=Repeat("weekly", tuple(days), "weeks", weeks=weeks),
            ),
        )
    db.session.commit()


def simulate(seed: int, strategy: str, supporters: int, weeks: int) -> dict:
    rng = random.Random(seed)
    path = OUT_DIR / f"sim-{strategy}-{seed}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = bench_app(f"sqlite:///{path}")
    app.config.update(SMS_SENDS_PER_SECOND=0, RATELIMIT_ENABLED=False)
    with open("/dev/null", "w") as sink, time_machine.travel(START, tick=False) as clock:
        app.extensions["sms_gateway"] = ConsoleGateway(stream=sink)
        with app.app_context():
            flask_migrate.upgrade()
        circle_id, people = build(app, random.Random(seed * 7919), supporters)
        by_phone = {p.phone: p for p in people}
        emailed: set[int] = set()
        handled: set[int] = set()
        thanked: set[int] = set()
        over_cap = 0
        broadcast_asks = 0
        end = START + timedelta(weeks=weeks)
        with app.app_context():
            post_needs(circle_id, weeks)
        while now() < end:
            with app.app_context():
                moment = now()
                if moment.hour in (13, 14, 15) and moment.weekday() == 0:
                    JOBS_BY_ID["extend_needs"].run()
                    over_cap += _over_cap_now(circle_id)
                if strategy == "service":
                    outreach_run()
                    db.session.commit()
                    JOBS_BY_ID["send_digests"].run()
                JOBS_BY_ID["plan_reminders"].run()
                JOBS_BY_ID["deliver"].run()
                held = _held_recently(circle_id)
                limits = dict(
                    db.session.execute(
                        select(Membership.user_id, Membership.asks_per_week).where(Membership.circle_id == circle_id)
                    ).all()
                )
                for message in _new_messages(handled):
                    handled.add(message.id)
                    _answer(message, by_phone, held, limits, rng, circle_id)
                if strategy == "broadcast":
                    broadcast_asks += _broadcast(circle_id, people, emailed, held, limits, rng)
                if moment.hour == 16 and moment.weekday() == 2:
                    _browse(circle_id, people, held, limits, rng, strategy)
                _finish_tasks(circle_id, by_phone, strategy, thanked, rng)
                db.session.remove()
            clock.shift(STEP)
        with app.app_context():
            return _measure(circle_id, broadcast_asks) | {"over_cap": over_cap}


def _held_recently(circle_id: int) -> Counter:
    since = now() - timedelta(days=14)
    rows = db.session.execute(
        select(Claim.user_id, func.count())
        .where(Claim.circle_id == circle_id, Claim.status != "released", Claim.created_at >= since)
        .group_by(Claim.user_id)
    ).all()
    return Counter(dict(rows))


def _new_messages(handled: set[int]) -> list[Message]:
    return [
        m
        for m in db.session.scalars(
            select(Message).where(
                Message.status == "sent", Message.kind.in_(("ask", "reengage", "digest", "alert", "alert_backup"))
            )
        )
        if m.id not in handled
    ]


def _answer(message: Message, by_phone: dict, held: Counter, limits: dict, rng: random.Random, circle_id: int) -> None:
    if message.kind in ("alert", "alert_backup"):
        if rng.random() < COORDINATOR_ACTS:
            task = db.session.get(Task, message.task_id)
            actor = db.session.scalar(
                select(Membership).where(Membership.user_id == message.user_id, Membership.circle_id == circle_id)
            )
            if task is not None and task.claimed < task.capacity:
                ask_everyone(task=task, actor=actor)
                db.session.commit()
        return
    person = by_phone.get(message.to_address)
    if person is None:
        return
    person.asks.append(now())
    if message.kind == "reengage" and rng.random() < REENGAGE_TAKES:
        person.restored = min(2.0, person.restored + REENGAGE_BOOST)
    # A digest lists its tasks as "(TAKE 42)": it is answered like one ask, for its first task. An ask that
    # offers several (services/health/offers.py) is answered like one ask too, for one of them still open.
    listed = re.search(r"TAKE (\w+)", message.body or "") if message.kind == "digest" else None
    code = message.task_id or (listed and listed.group(1))
    offered = [int(c) for c in re.findall(r"TAKE (\d+)", message.body or "")] if message.kind == "ask" else []
    still_open = [t for t in offered if (task := db.session.get(Task, t)) is not None and task.claimed < task.capacity]
    if len(offered) > 1 and still_open:
        code = rng.choice(still_open)
    if code and rng.random() < person.willingness(now(), held[person.user_id], limits.get(person.user_id, 3)):
        inbound_handle(provider_id=f"SIM{message.id}", from_number=person.phone, body=f"TAKE {code}")
        db.session.commit()


def _broadcast(
    circle_id: int, people: list[Person], emailed: set[int], held: Counter, limits: dict, rng: random.Random
) -> int:
    """The anchors' way: each task is emailed to everyone once, when it first exists."""
    sent = 0
    fresh = [
        t
        for t in db.session.scalars(select(Task).where(Task.circle_id == circle_id, Task.starts_at > now()))
        if t.id not in emailed
    ]
    members = {m.user_id: m for m in db.session.scalars(select(Membership).where(Membership.circle_id == circle_id))}
    for task in fresh:
        emailed.add(task.id)
        for person in rng.sample(people, len(people)):
            sent += 1
            person.asks.append(now())
            read = rng.random() < EMAIL_READ
            yes = read and rng.random() < BROADCAST_DISCOUNT * person.willingness(
                now(), held[person.user_id], limits.get(person.user_id, 3)
            )
            if yes and task.claimed < task.capacity:
                try:
                    claim_make(membership=members[person.user_id], task_id=task.id)
                    db.session.commit()
                except Exception:  # taken meanwhile, or not theirs to see: the person just moves on
                    db.session.rollback()
    return sent


def _browse(
    circle_id: int, people: list[Person], held: Counter, limits: dict, rng: random.Random, strategy: str
) -> None:
    members = {
        m.user_id: m
        for m in db.session.scalars(
            select(Membership).where(Membership.circle_id == circle_id, Membership.status == "active")
        )
    }
    open_tasks = list(
        db.session.scalars(
            select(Task)
            .where(Task.circle_id == circle_id, Task.starts_at > now(), Task.claimed < Task.capacity)
            .order_by(Task.starts_at)
            .limit(10)
        )
    )
    for person in people:
        if (
            person.user_id in members
            and open_tasks
            and rng.random()
            < BROWSE * person.willingness(now(), held[person.user_id], limits.get(person.user_id, 3)) / BASE_MEAN
        ):
            member, task = members[person.user_id], rng.choice(open_tasks)
            if strategy == "service" and share_check(membership=member, task_id=task.id) and rng.random() < HEEDS_REST:
                continue  # offered a rest before taking more, they leave it for others
            try:
                claim_make(membership=member, task_id=task.id)
                db.session.commit()
            except Exception:
                db.session.rollback()


def _finish_tasks(circle_id: int, by_phone: dict, strategy: str, seen: set[int], rng: random.Random) -> None:
    """Helpers mark finished tasks done; with the service, the patient then sends the suggested thank-you."""
    patient = db.session.scalar(
        select(Membership).where(Membership.circle_id == circle_id, Membership.role == "patient")
    )
    finished = db.session.scalars(
        select(Claim)
        .join(Task, Task.id == Claim.task_id)
        .where(Claim.circle_id == circle_id, Claim.status == "held", Task.ends_at < now())
    ).all()
    for claim in finished:
        if claim.id in seen:
            continue
        seen.add(claim.id)
        if rng.random() >= MARKS_DONE:
            continue
        member = db.session.scalar(
            select(Membership).where(Membership.circle_id == circle_id, Membership.user_id == claim.user_id)
        )
        claim_done(membership=member, task_id=claim.task_id)
        db.session.commit()
        if strategy == "service" and patient is not None and rng.random() < PATIENT_THANKS:
            thanks_send(patient_membership=patient, claim_id=claim.id)
            db.session.commit()
            person = next((p for p in by_phone.values() if p.user_id == claim.user_id), None)
            if person is not None:
                person.restored = min(2.0, person.restored + GRATITUDE_BOOST)


def _measure(circle_id: int, broadcast_asks: int) -> dict:
    moment = now()
    tasks = list(db.session.scalars(select(Task).where(Task.circle_id == circle_id, Task.starts_at < moment)))
    needed = sum(t.capacity for t in tasks)
    claims = list(db.session.scalars(select(Claim).where(Claim.circle_id == circle_id, Claim.status != "released")))
    starts = {t.id: t.starts_at for t in tasks}
    filled_by_task = Counter(c.task_id for c in claims if c.task_id in starts and c.created_at < starts[c.task_id])
    filled = sum(min(n, next(t.capacity for t in tasks if t.id == tid)) for tid, n in filled_by_task.items())
    per_person = Counter(c.user_id for c in claims if c.task_id in starts)
    supporters = db.session.scalars(
        select(Membership.user_id).where(Membership.circle_id == circle_id, Membership.role == "supporter")
    ).all()
    counts = sorted((per_person.get(u, 0) for u in supporters), reverse=True)
    top = max(1, round(len(counts) * 0.2))
    asks = broadcast_asks + db.session.scalar(
        select(func.count()).where(
            Message.circle_id == circle_id, Message.kind.in_(("ask", "reengage", "digest")), Message.status == "sent"
        )
    )
    return {
        "coverage": filled / needed if needed else 0.0,
        "top20": sum(counts[:top]) / max(1, sum(counts)),
        "asks_per_fill": asks / max(1, filled),
        "slots": needed,
    }


def _over_cap_now(circle_id: int) -> int:
    """How many people carry more than the fair-share cap right now, as the service itself sees it."""
    load = circle_load(circle_id=circle_id, factor=2.0)
    return sum(1 for user_id in load.counts if load.above(user_id))


def _row(seed: int | str, strategy: str, r: dict) -> str:
    slots = f"{r['slots']:>5}" if "slots" in r else " " * 5
    return (
        f"{seed:>4} | {strategy:9} | {slots} | {r['coverage']:8.1%} | {r['top20']:12.1%} | "
        f"{r['asks_per_fill']:11.2f} | {r['over_cap']:>8g}"
    )
