"""The demo seed behind `make run`: once, with sign-ins printed every time."""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator.cli_demo import DEMO_PASSWORD
from coordinator.extensions import db
from coordinator.models import Circle, Membership, User
from tests.web import WebClient


def test_seed_demo_creates_a_circle_once_and_prints_the_sign_ins(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Seeded the demo circle." in first.output
    assert "maria@example.org" in first.output and DEMO_PASSWORD in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "already there" in second.output and "daniel@example.org" in second.output
    assert db.session.scalar(select(func.count(Circle.id))) == 1
    roles = dict(db.session.execute(select(Membership.role, func.count()).group_by(Membership.role)).all())
    assert roles == {"patient": 1, "coordinator": 2, "supporter": 12}
    assert db.session.scalar(select(func.count(User.id)).where(User.phone.is_not(None))) == 15


def test_the_printed_sign_ins_work(app, runner):
    runner.invoke(args=["seed-demo"])
    client = WebClient(app.test_client())
    assert client.sign_in("daniel@example.org", DEMO_PASSWORD).status_code == 302
    assert "Team Maria" in client.get("/circles/", follow_redirects=True).get_data(as_text=True)  # one circle: in it


def test_seed_demo_refuses_production_without_force(make_app):
    app = make_app(APP_ENV="production", SECRET_KEY="p" * 40)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output
