"""`flask --app wsgi seed-demo`: a demo circle for `make run`, a patient, two coordinators and a dozen supporters.

Numbers are in the 555-01xx range reserved for fiction, so nothing real is texted.
Three months of made-up history (who helped which week, asks nobody answered)
give the circle health page something true-to-life to show: steady helpers,
two who used to help every week and stopped, one who lets asks go by.
The data lives beside its command because it is seed data, not a rule of the product.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from coordinator.clock import now, today_in
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.activity import Event
from coordinator.models.circles import COORDINATOR, PATIENT, SUPPORTER, Circle, Membership
from coordinator.models.claims import Claim
from coordinator.models.updates import Update, UpdateHeart, UpdateNote
from coordinator.services.care.claims import claim_make
from coordinator.services.care.needs import NeedInput, need_post
from coordinator.services.care.recurrence import WEEKDAYS, Repeat
from coordinator.services.health.activity import activity_record
from coordinator.services.people.accounts import password_hash

DEMO_PASSWORD = "demo-circle-2026"  # noqa: S105 (printed for the demo on purpose)
PATIENT_EMAIL = "maria@example.org"

COORDINATORS = [
    ("Daniel Lopez", "daniel@example.org", "+12025550101"),
    ("Aisha Khan", "aisha@example.org", "+12025550102"),
]
SUPPORTERS = [
    ("Sam Carter", "sam@example.org", "+12025550110"),
    ("Priya Natarajan", None, "+12025550111"),
    ("Tom Becker", None, "+12025550112"),
    ("Grace Okafor", None, "+12025550113"),
    ("Luis Romero", None, "+12025550114"),
    ("Hannah Weiss", None, "+12025550115"),
    ("Kenji Sato", None, "+12025550116"),
    ("Rosa Delgado", None, "+12025550117"),
    ("Owen Murphy", None, "+12025550118"),
    ("Fatima Haddad", None, "+12025550119"),
    ("Ben Adler", None, "+12025550120"),
    ("Chloe Martin", None, "+12025550121"),
]


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even in production.")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Create the demo circle the first time; always print its sign-ins."""
    if current_app.config["APP_ENV"] == "production" and not force:
        raise click.ClickException("Refusing to seed demo people into a production database (use --force).")
    created, logins = demo_seed()
    db.session.commit()
    click.echo("Seeded the demo circle." if created else "The demo circle is already there.")
    click.echo(f"Demo sign-ins (password for each: {DEMO_PASSWORD}):")
    for role, email in logins:
        click.echo(f"  {role:<12} {email}")


def demo_seed() -> tuple[bool, list[tuple[str, str]]]:
    """Seed once; returns (created, [(role, email) of people who can sign in])."""
    logins = (
        [("patient", PATIENT_EMAIL)] + [("coordinator", c[1]) for c in COORDINATORS] + [("supporter", SUPPORTERS[0][1])]
    )
    if db.session.scalar(select(User.id).where(User.email == PATIENT_EMAIL)) is not None:
        return False, logins
    hashed = password_hash(DEMO_PASSWORD)
    patient = User(name="Maria Lopez", email=PATIENT_EMAIL, phone="+12025550100", password_hash=hashed)
    circle = Circle(name="Team Maria", patient_name="Maria Lopez", timezone="America/New_York", phone_region="US")
    db.session.add_all([patient, circle])
    db.session.flush()
    circle.created_by_id = patient.id
    people = [(patient, PATIENT)]
    for name, email, phone in COORDINATORS:
        people.append((User(name=name, email=email, phone=phone, password_hash=hashed), COORDINATOR))
    for name, email, phone in SUPPORTERS:
        people.append((User(name=name, email=email, phone=phone, password_hash=hashed if email else None), SUPPORTER))
    for user, role in people:
        db.session.add(Membership(circle=circle, user=user, role=role))
    db.session.flush()
    activity_record(kind="circle.created", circle_id=circle.id, actor_id=patient.id)
    for user, role in people:
        activity_record(
            kind="member.joined", circle_id=circle.id, actor_id=patient.id, subject_id=user.id, data={"role": role}
        )
    supporters = [u for u, role in people if role == SUPPORTER]
    _demo_needs(circle, coordinator=people[1][0], supporters=supporters)
    _demo_history(circle, supporters=supporters)
    _demo_news(circle, patient=patient, helper=supporters[0])
    return True, logins


def _demo_news(circle: Circle, *, patient: User, helper: User) -> None:
    """An update Maria posted two days ago, with a note and a heart back from Sam (no texts: it's the past)."""
    posted = now() - timedelta(days=2)
    update = Update(
        circle_id=circle.id,
        author_id=patient.id,
        body="The first infusion went well. I'm tired, but the nurses were lovely.\n\n"
        "Thank you for the meals this week. Quiet visits are welcome from Thursday.",
        created_at=posted,
        published_at=posted,
    )
    db.session.add(update)
    db.session.flush()
    db.session.add_all(
        [
            UpdateNote(
                circle_id=circle.id,
                update_id=update.id,
                author_id=helper.id,
                body="So glad it went well. Thinking of you, see you Thursday!",
                via="sms",
                created_at=posted + timedelta(hours=3),
            ),
            UpdateHeart(update_id=update.id, user_id=helper.id, created_at=posted + timedelta(hours=3)),
        ]
    )


def _demo_needs(circle: Circle, *, coordinator: User, supporters: list[User]) -> None:
    """A few weeks of needs, some already taken, so every page has something to show."""
    soon = today_in(circle.timezone) + timedelta(days=1)
    home = "12 Elm St, Springfield"
    needs = [
        NeedInput(
            category="ride",
            title="Ride to chemo",
            start_date=soon,
            start_time=time(9),
            end_time=time(11, 30),
            address=f"{home} (front door)",
            details={
                "destination": "Mercy Cancer Center, east entrance",
                "appointment_time": "09:30",
                "return_trip": "y",
            },
            repeat=Repeat("weekly", (WEEKDAYS[soon.weekday()],), "weeks", weeks=6),
        ),
        NeedInput(
            category="meal",
            title="Dinner for the family",
            start_date=soon,
            start_time=time(17),
            end_time=time(18, 30),
            address=home,
            details={"servings": "4", "allergies": "Peanuts", "dropoff": "Cooler on the porch"},
            repeat=Repeat("weekly", ("MO", "WE", "FR"), "weeks", weeks=3),
        ),
        NeedInput(
            category="childcare",
            title="School pickup for Leo",
            start_date=soon + timedelta(days=2),
            start_time=time(15),
            end_time=time(16),
            details={"children": "1", "ages": "8"},
            repeat=Repeat("weekly", ("TU", "TH"), "weeks", weeks=2),
        ),
        NeedInput(
            category="errands",
            title="Groceries",
            start_date=soon + timedelta(days=3),
            anytime=True,
            details={"list": "Milk, bread, ginger tea, soup"},
        ),
        NeedInput(
            category="visit",
            title="Afternoon company",
            start_date=soon + timedelta(days=4),
            start_time=time(14),
            end_time=time(16),
            visibility="inner",
            notes="Tea and a film.",
        ),
        NeedInput(
            category="housework",
            title="Rake the leaves",
            start_date=soon + timedelta(days=5),
            start_time=time(10),
            end_time=time(12),
            capacity=2,
        ),
    ]
    members = {m.user_id: m for m in db.session.scalars(select(Membership).where(Membership.circle_id == circle.id))}
    for helper in supporters[:3]:
        members[helper.id].inner_circle = True
    for data in needs:
        need = need_post(circle=circle, author=coordinator, data=data)
        pool = supporters[:3] if need.visibility == "inner" else supporters
        for index, task in enumerate(sorted(need.tasks, key=lambda t: t.starts_at)[:3]):
            if index % 2 == 0:
                helper = pool[(need.id + index) % len(pool)]
                claim_make(membership=members[helper.id], task_id=task.id)


# Made-up history, one line per supporter: the weeks ago (1: a week ago) they
# said yes to something, and the days ago they were asked and did not answer.
# The first three lines go to supporters holding nothing now, so they read true.
HISTORY = [
    (range(4, 12), ()),  # every week, then nothing for three weeks: drifting
    (range(4, 12), ()),
    ((6,), (20, 13, 6)),  # helped once, then let three asks go by
    (range(1, 12), ()),  # steady
    (range(1, 12), ()),
    (range(1, 12), ()),
    (range(1, 12), ()),
    (range(1, 12, 2), ()),  # every other week
    (range(2, 12, 2), ()),
    ((1, 2), ()),  # new and keen
    ((7,), ()),
    ((), ()),
]


def _demo_history(circle: Circle, *, supporters: list[User]) -> None:
    """Past activity written with its own moments (events are append-only, so they are only ever added)."""
    moment = now()
    holding = set(db.session.scalars(select(Claim.user_id).where(Claim.circle_id == circle.id)))
    people = [u for u in supporters if u.id not in holding] + [u for u in supporters if u.id in holding]
    events = []
    for offset, (user, (helped_weeks, unanswered_days)) in enumerate(zip(people, HISTORY, strict=False)):
        for weeks_ago in helped_weeks:
            at = moment - timedelta(weeks=weeks_ago) + timedelta(hours=1 + offset * 5)
            events.append(_history_event(circle, user, "claim.made", at))
        for days_ago in unanswered_days:
            events.append(_history_event(circle, user, "ask.sent", moment - timedelta(days=days_ago)))
    db.session.add_all(events)


def _history_event(circle: Circle, user: User, kind: str, at: datetime) -> Event:
    return Event(
        kind=kind,
        occurred_at=at,
        circle_id=circle.id,
        actor_id=None if kind == "ask.sent" else user.id,
        subject_id=user.id,
        data={"demo": "history"},
    )
