"""A demo circle for `make run`: a patient, two coordinators and a dozen supporters.

Numbers are in the 555-01xx range reserved for fiction, so nothing real is texted.
"""

from __future__ import annotations

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, SUPPORTER, Circle, Membership
from coordinator.services.accounts import password_hash
from coordinator.services.activity import activity_record

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
    return True, logins
