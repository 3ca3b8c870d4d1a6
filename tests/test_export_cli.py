"""The host's `flask --app wsgi export-circle CIRCLE_ID --output FILE.zip`, run as a host would run it.

It writes a ZIP that reads back, says how far it got on stderr, refuses a circle
that isn't there without a traceback, and never overwrites a file unless told to.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Event
from tests.factories import add_member, make_circle, make_need, make_user


@pytest.fixture
def circle():
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(patient=make_user(name="Maria Lopez"), coordinator=coordinator, name="Team Maria")
    add_member(circle, make_user(name="Priya Natarajan", phone="+12025550111"))
    make_need(circle, coordinator, title="Ride to chemo", address="12 Elm Street")
    return circle


def test_it_writes_the_circle_to_a_zip_and_shows_progress(runner, circle, tmp_path):
    target = tmp_path / "team-maria.zip"
    result = runner.invoke(args=["export-circle", str(circle.id), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "needs.csv: 1/1" in result.stderr and "members.csv: 3/3" in result.stderr
    assert f"Wrote {target}" in result.stdout
    with zipfile.ZipFile(target) as zipped:
        assert zipped.testzip() is None
        with zipped.open("members.csv") as raw:
            members = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")))
    assert {row["name"]: row["mobile"] for row in members}["Priya Natarajan"] == "+12025550111"
    [exported] = db.session.scalars(select(Event).where(Event.kind == "circle.exported"))
    assert (exported.circle_id, exported.actor_id) == (circle.id, None)  # the host, not a member
    assert list(tmp_path.iterdir()) == [target]  # no partial file left beside it


def test_a_missing_circle_is_refused_plainly(runner, circle, tmp_path):
    target = tmp_path / "nothing.zip"
    result = runner.invoke(args=["export-circle", str(circle.id + 100), "--output", str(target)])
    assert result.exit_code != 0
    assert f"There is no circle {circle.id + 100}." in result.output
    assert isinstance(result.exception, SystemExit)  # a plain message and exit code 1, not a crash
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_an_existing_file_is_kept_unless_forced(runner, circle, tmp_path):
    target = tmp_path / "team-maria.zip"
    target.write_text("my thesis")
    kept = runner.invoke(args=["export-circle", str(circle.id), "--output", str(target)])
    assert kept.exit_code != 0 and "--force" in kept.output
    assert target.read_text() == "my thesis"
    forced = runner.invoke(args=["export-circle", str(circle.id), "--output", str(target), "--force"])
    assert forced.exit_code == 0
    assert zipfile.is_zipfile(target)


def test_help_says_what_it_does(runner):
    result = runner.invoke(args=["export-circle", "--help"])
    assert result.exit_code == 0
    assert "Write every record of circle CIRCLE_ID" in result.output and "--force" in result.output
