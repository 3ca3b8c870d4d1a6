"""The fleet test's circle: two coordinators, forty supporters on the web, eight who only text, a dozen scarce tasks.

Fifty people race for about eighteen places. Passwords are hashed with production's argon2 cost, as
real accounts are, so signing in costs what it costs in production. Written through the factories
and services from the test process, on the fleet's own database, before and during the run.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta

from argon2 import PasswordHasher

from config import ProductionConfig

WEB_SUPPORTERS, TEXTING_SUPPORTERS, COORDINATORS, TASKS = 40, 8, 2, 12
REMINDERS = 150  # texts falling due one after another across the load, so delivery crosses the kill


@contextmanager
def app_on(url: str) -> Iterator[None]:
    """An app context on the fleet's database, for seeding and checking from the test process."""
    from coordinator import create_app
    from coordinator.extensions import db
    from tests.databases import app_config

    app = create_app(app_config(url))
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


@dataclass
class Seeded:
    url: str
    circle_id: int
    task_ids: tuple[int, ...]
    web_emails: list[str]
    texting_phones: list[str]
    coordinator_emails: list[str]
    target_email: str
    password: str

    def queue_reminders(self, *, fleet_seconds: float) -> int:
        from coordinator.clock import now
        from coordinator.extensions import db
        from coordinator.services.texting.messages import message_queue

        with app_on(self.url):
            start = now()
            for n in range(REMINDERS):
                message_queue(
                    channel="sms",
                    to_address=self.texting_phones[n % len(self.texting_phones)],
                    kind="reminder",
                    key=f"fleet:reminder:{n}",
                    body=f"Fleet reminder {n}",
                    due_at=start + timedelta(seconds=n * fleet_seconds / REMINDERS),
                )
            db.session.commit()
        return REMINDERS

    def leave_an_expired_invitation(self) -> None:
        from coordinator.clock import now
        from coordinator.extensions import db
        from coordinator.models.invitations import Invitation

        with app_on(self.url):
            token = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
            invitation = Invitation(circle_id=self.circle_id, name="Expired", phone="+12025550999", token_hash=token)
            invitation.expires_at = now() - timedelta(minutes=1)
            db.session.add(invitation)
            db.session.commit()


def seed_fleet(url: str) -> Seeded:
    from coordinator.clock import today_in
    from coordinator.extensions import db
    from coordinator.models.circles import COORDINATOR
    from tests.factories import add_member, make_circle, make_need, make_user

    password = "fleet-password-2026"
    hashed = PasswordHasher(
        time_cost=ProductionConfig.ARGON2_TIME_COST,
        memory_cost=ProductionConfig.ARGON2_MEMORY_COST,
        parallelism=ProductionConfig.ARGON2_PARALLELISM,
    ).hash(password)

    def person(n: int, *, email: bool = True, phone: bool = True):
        user = make_user(
            email=f"fleet{n}@example.org" if email else None,
            phone=f"+1202555{n:04d}" if phone else None,
            password=None,
        )
        user.password_hash = hashed if email else None
        return user

    with app_on(url):
        leads = [person(n) for n in range(1, COORDINATORS + 1)]
        circle = make_circle(coordinator=leads[0], name="Fleet circle")
        for lead in leads[1:]:
            add_member(circle, lead, COORDINATOR)
        web = [person(100 + n, phone=False) for n in range(WEB_SUPPORTERS)]
        texting = [person(200 + n, email=False) for n in range(TEXTING_SUPPORTERS)]
        target = person(300, phone=False)
        for member in [*web, *texting, target]:
            add_member(circle, member)
        today = today_in(circle.timezone)
        task_ids = []
        for n in range(TASKS):
            need = make_need(
                circle,
                leads[0],
                title=f"Ride number {n}",
                start_date=today + timedelta(days=1 + n % 5),
                start_time=time(8 + n % 9, 0),
                end_time=time(9 + n % 9, 0),
                capacity=1 + n % 2,
            )
            task_ids.extend(t.id for t in need.tasks)
        db.session.commit()
        return Seeded(
            url=url,
            circle_id=circle.id,
            task_ids=tuple(task_ids),
            web_emails=[u.email for u in web],
            texting_phones=[u.phone for u in texting],
            coordinator_emails=[u.email for u in leads],
            target_email=target.email,
            password=password,
        )
