"""Factories for the people, circles and memberships tests need, written straight to the database."""

from __future__ import annotations

import itertools

from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import COORDINATOR, PATIENT, SUPPORTER, Circle, Membership
from coordinator.services.people.accounts import password_hash

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


def make_need(circle: Circle, author: User, **fields):
    """Post a need through the real service; by default a one-off ride tomorrow at 9:00-10:00."""
    from datetime import time, timedelta

    from coordinator.clock import today_in
    from coordinator.services.care.needs import NeedInput, need_post

    values = {
        "category": "ride",
        "title": "Ride to the clinic",
        "start_date": today_in(circle.timezone) + timedelta(days=1),
        "start_time": time(9, 0),
        "end_time": time(10, 0),
        "capacity": 1,
    }
    values.update(fields)
    need = need_post(circle=circle, author=author, data=NeedInput(**values))
    db.session.commit()
    return need


def first_task(need):
    from sqlalchemy import select

    from coordinator.models import Task

    return db.session.scalars(select(Task).where(Task.need_id == need.id).order_by(Task.starts_at)).first()


def finish(membership, task) -> bool:
    """Mark a held task done the way it really happens: once it has started (the clock moves to its start)."""
    from datetime import timedelta

    import time_machine

    from coordinator.services.care.claims import claim_done

    with time_machine.travel(task.starts_at + timedelta(minutes=1), tick=False):
        return claim_done(membership=membership, task_id=task.id)
