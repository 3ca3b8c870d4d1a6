"""Factories for the people, circles and memberships tests need, written straight to the database."""

from __future__ import annotations

import itertools

from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, SUPPORTER, Circle, Membership
from coordinator.services.accounts import password_hash

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def make_user(
    *, name: str | None = None, email: str | None = "auto", phone: str | None = None, password: str | None = PASSWORD
) -> User:
    n = next(_numbers)
    user = User(
        name=name or f"Person {n}",
        email=f"person{n}@example.org" if email == "auto" else email,
        phone=phone,
        password_hash=password_hash(password) if password else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_circle(
    *,
    patient: User | None = None,
    coordinator: User | None = None,
    name: str = "Team Test",
    timezone: str = "America/New_York",
) -> Circle:
    circle = Circle(
        name=name, patient_name=patient.name if patient else "Maria Lopez", timezone=timezone, phone_region="US"
    )
    db.session.add(circle)
    db.session.flush()
    if patient:
        db.session.add(Membership(circle=circle, user=patient, role=PATIENT))
    if coordinator:
        db.session.add(Membership(circle=circle, user=coordinator, role=COORDINATOR))
    db.session.commit()
    return circle


def add_member(circle: Circle, user: User, role: str = SUPPORTER) -> Membership:
    membership = Membership(circle=circle, user=user, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership
