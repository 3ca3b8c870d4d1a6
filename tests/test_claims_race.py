"""No overselling, ever: many people racing for the same spots, each on their own connection."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from coordinator.errors import Conflict
from coordinator.extensions import db
from coordinator.models import Claim, Membership, Task
from coordinator.services.care.claims import TAKEN, claim_make, claim_release
from tests.factories import add_member, first_task, make_circle, make_need, make_user

RACERS = 24


@pytest.fixture
def config_overrides():
    # Every racer holds its own connection at the barrier, so the pool must fit them all.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS + 2, "max_overflow": 0, "pool_timeout": 60}}


def race(app, task_id: int, user_ids: list[int], action) -> list[str]:
    """Start one thread per user; all wait on a barrier, then act at once, each with its own session."""
    barrier = threading.Barrier(len(user_ids))
    results: list[str] = [""] * len(user_ids)

    def run(index: int, user_id: int) -> None:
        with app.app_context():
            membership = db.session.scalar(select(Membership).where(Membership.user_id == user_id))
            barrier.wait(timeout=30)
            try:
                results[index] = action(membership, task_id)
                db.session.commit()
            except Conflict as error:
                db.session.rollback()
                results[index] = error.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, uid)) for i, uid in enumerate(user_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def take(membership, task_id):
    claim_make(membership=membership, task_id=task_id)
    return "won"


@pytest.mark.parametrize("capacity", [1, 3])
def test_exactly_capacity_claims_win_and_the_rest_hear_it_is_taken(app, capacity):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    supporters = [make_user() for _ in range(RACERS)]
    for supporter in supporters:
        add_member(circle, supporter)
    task = first_task(make_need(circle, coordinator, capacity=capacity))

    results = race(app, task.id, [s.id for s in supporters], take)

    assert results.count("won") == capacity
    assert results.count(TAKEN) == RACERS - capacity
    db.session.expire_all()
    assert db.session.get(Task, task.id).claimed == capacity
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.task_id == task.id)) == capacity


def test_one_person_double_tapping_holds_one_spot(app):
    coordinator, supporter = make_user(), make_user()
    circle = make_circle(coordinator=coordinator)
    add_member(circle, supporter)
    task = first_task(make_need(circle, coordinator, capacity=5))

    results = race(app, task.id, [supporter.id] * 12, take)

    assert results.count("won") == 1
    db.session.expire_all()
    assert db.session.get(Task, task.id).claimed == 1


def test_releasing_twice_at_once_frees_one_spot(app):
    coordinator, supporter = make_user(), make_user()
    circle = make_circle(coordinator=coordinator)
    add_member(circle, supporter)
    task = first_task(make_need(circle, coordinator, capacity=2))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == supporter.id))
    claim_make(membership=membership, task_id=task.id)
    db.session.commit()

    results = race(
        app, task.id, [supporter.id] * 10, lambda m, t: "freed" if claim_release(membership=m, task_id=t) else "no-op"
    )

    assert results.count("freed") == 1 and results.count("no-op") == 9
    db.session.expire_all()
    assert db.session.get(Task, task.id).claimed == 0
