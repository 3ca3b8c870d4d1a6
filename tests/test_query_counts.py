"""Pages run a fixed number of SQL queries, whether a circle has ten tasks or three thousand."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, update

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Claim, Membership, Task
from coordinator.models.invitations import Invitation, JoinRequest
from coordinator.services.care.recurrence import Repeat
from tests.factories import PASSWORD, make_circle, make_need, make_user
from tests.queries import counting
from tests.web import WebClient

_phones = itertools.count(1000)


def build(supporters: int, daily_needs: int):
    """A circle with `supporters` people and `daily_needs` daily series (56 tasks each), half claimed."""
    coordinator = make_user(password=PASSWORD)
    circle = make_circle(coordinator=coordinator)
    people = (
        [make_user(password=None, email=None, phone=f"+1202555{next(_phones):04d}") for _ in range(supporters)]
        if supporters > 1
        else [make_user()]
    )
    supporter_user = make_user()
    db.session.add_all([Membership(circle=circle, user=u, role="supporter") for u in [*people, supporter_user]])
    db.session.commit()
    for n in range(daily_needs):
        make_need(
            circle,
            coordinator,
            title=f"Need {n}",
            category=("ride", "meal", "visit")[n % 3],
            capacity=2,
            repeat=Repeat("daily", (), "count", count=60),
        )
    tasks = db.session.scalars(select(Task.id).where(Task.circle_id == circle.id)).all()
    claims = [
        Claim(task_id=t, user_id=people[i % len(people)].id, circle_id=circle.id) for i, t in enumerate(tasks[::2])
    ]
    claims += [Claim(task_id=t, user_id=supporter_user.id, circle_id=circle.id) for t in tasks[1:40:2]]
    db.session.add_all(claims)
    db.session.execute(update(Task).where(Task.id.in_([c.task_id for c in claims])).values(claimed=1))
    db.session.commit()
    return circle, coordinator, supporter_user, len(tasks)


PAGES = ["/circles/{id}/tasks", "/circles/{id}/calendar", "/circles/{id}/mine", "/circles/{id}"]


def page_queries(app, circle, user) -> dict[str, int]:
    browser = WebClient(app.test_client())
    browser.sign_in(user.email, PASSWORD)
    counts = {}
    for page in PAGES:
        url = page.format(id=circle.id)
        with counting(db.engine) as statements:
            assert browser.get(url).status_code == 200
        counts[page] = len(statements)
    return counts


@pytest.mark.slow
def test_query_counts_do_not_grow_with_the_circle(app):
    small_circle, small_coordinator, small_supporter, small_tasks = build(supporters=3, daily_needs=1)
    big_circle, big_coordinator, big_supporter, big_tasks = build(supporters=300, daily_needs=54)
    assert small_tasks <= 60 and big_tasks >= 3000
    for small_user, big_user in ((small_coordinator, big_coordinator), (small_supporter, big_supporter)):
        small = page_queries(app, small_circle, small_user)
        big = page_queries(app, big_circle, big_user)
        # A busy calendar sums its days up and so may need one query fewer (no claims to look up); never more.
        assert all(big[page] <= small[page] for page in small), f"query counts grew with size: {small} vs {big}"
        assert big["/circles/{id}/tasks"] == small["/circles/{id}/tasks"] <= 4, big
        assert big["/circles/{id}/mine"] == small["/circles/{id}/mine"] <= 3, big
        assert max(big.values()) <= 8, big


@pytest.mark.slow
def test_the_coordinators_first_page_costs_six_queries_and_one_more_only_while_someone_waits_to_join(app):
    circle, coordinator, _supporter, tasks = build(supporters=300, daily_needs=54)
    assert tasks >= 3000
    browser = WebClient(app.test_client())
    browser.sign_in(coordinator.email, PASSWORD)
    url = f"/circles/{circle.id}"
    browser.get(url)
    with counting(db.engine) as statements:
        page = browser.get(url).get_data(as_text=True)
    # Who is asking and their place (1), the setup steps with what waits on a coordinator (1), the week (1),
    # who holds the week's tasks (1), thanks to suggest (1), the latest update (1).
    assert len(statements) <= 6, statements
    assert "asked to join" not in page

    grace = make_user(name="Grace Okafor", phone="+12025550113", email=None, password=None)
    link = Invitation(circle_id=circle.id, kind="link", token_hash="g" * 64, expires_at=now().replace(year=2099))
    db.session.add(link)
    db.session.flush()
    db.session.add(JoinRequest(circle_id=circle.id, invitation_id=link.id, user_id=grace.id))
    db.session.commit()
    with counting(db.engine) as waiting:
        page = browser.get(url).get_data(as_text=True)
    assert "Grace Okafor" in page
    assert len(waiting) == len(statements) + 1, waiting
