"""Time done right: wall time plus zone stored, UTC computed, daylight-saving edges handled."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from sqlalchemy import select

from coordinator.clock import AmbiguousTime, parse_time, to_utc
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models import Task
from coordinator.services.care.recurrence import Repeat
from tests.factories import PASSWORD, make_circle, make_need, make_user

NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9", time(9)),
        ("9:30", time(9, 30)),
        ("0930", time(9, 30)),
        ("9:30pm", time(21, 30)),
        ("12am", time(0)),
        ("14:05", time(14, 5)),
    ],
)
def test_times_are_read_the_way_people_type_them(typed, expected):
    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["", "25:00", "9:75", "13pm", "noonish"])
def test_nonsense_times_are_refused(typed):
    with pytest.raises(Invalid):
        parse_time(typed)


def test_a_time_skipped_by_spring_forward_is_refused_with_a_reason():
    with pytest.raises(Invalid, match="doesn't exist on Sun 8 Mar: the clocks go forward"):
        to_utc(date(2026, 3, 8), time(2, 30), NEW_YORK)


def test_a_time_repeated_by_fall_back_must_be_chosen():
    with pytest.raises(AmbiguousTime) as raised:
        to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK)
    first, second = raised.value.choices
    assert (second - first).total_seconds() == 3600
    assert to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK, fold=0) == first
    assert to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK, fold=1) == second


@time_machine.travel(datetime(2026, 10, 20, 12, tzinfo=UTC), tick=False)
def test_the_ambiguous_time_gets_a_choice_on_the_form_and_is_stored_as_chosen(client):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    client.sign_in(coordinator.email, PASSWORD)
    url = f"/circles/{circle.id}/needs/new?category=visit"
    form = {
        "title": "Night company",
        "when": "at",
        "start_date": "2026-11-01",
        "start_time": "01:30",
        "end_time": "02:00",
        "capacity": "1",
        "visibility": "circle",
        "frequency": "none",
        "ends": "weeks",
    }
    first = client.post(url, form)
    assert first.status_code == 422
    assert "happens twice" in first.get_data(as_text=True) and 'name="fold"' in first.get_data(as_text=True)
    second = client.post(url, form | {"fold": "1"})
    assert second.status_code == 302
    task = db.session.scalar(select(Task))
    assert task.starts_at == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 1:30 EST, the second one


@time_machine.travel(datetime(2026, 10, 20, 12, tzinfo=UTC), tick=False)
def test_a_weekly_series_keeps_its_wall_time_across_the_clock_change(app):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator, timezone=NEW_YORK)
    make_need(
        circle,
        coordinator,
        start_date=date(2026, 10, 27),
        start_time=time(9),
        end_time=time(10),
        repeat=Repeat("weekly", ("TU",), "count", count=3),
    )
    tasks = db.session.scalars(select(Task).order_by(Task.starts_at)).all()
    assert [t.start_time for t in tasks] == [time(9)] * 3
    assert [t.starts_at.hour for t in tasks] == [13, 14, 14]  # EDT, then EST
    assert [t.ends_at - t.starts_at for t in tasks] == [tasks[0].ends_at - tasks[0].starts_at] * 3


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
def test_a_series_landing_in_the_spring_gap_moves_past_it(app):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator, timezone=NEW_YORK)
    make_need(
        circle,
        coordinator,
        start_date=date(2026, 3, 7),
        start_time=time(2, 30),
        end_time=time(3, 30),
        repeat=Repeat("daily", (), "count", count=2),
    )
    second = db.session.scalars(select(Task).order_by(Task.starts_at)).all()[1]
    assert second.starts_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 3:30 EDT: an hour on, never a crash


@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False)
def test_each_circle_uses_its_own_zone(app):
    coordinator = make_user()
    london = make_circle(coordinator=coordinator, timezone="Europe/London")
    tokyo = make_circle(coordinator=coordinator, timezone="Asia/Tokyo")
    for circle in (london, tokyo):
        make_need(circle, coordinator, start_date=date(2026, 6, 3), start_time=time(9), end_time=time(10))
    moments = {t.timezone: t.starts_at for t in db.session.scalars(select(Task))}
    assert moments["Europe/London"] == datetime(2026, 6, 3, 8, tzinfo=UTC)
    assert moments["Asia/Tokyo"] == datetime(2026, 6, 3, 0, tzinfo=UTC)


@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False)
def test_tasks_stop_showing_once_they_are_over(client):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    make_need(
        circle, coordinator, title="Soon over", start_date=date(2026, 6, 1), start_time=time(9), end_time=time(10)
    )
    client.sign_in(coordinator.email, PASSWORD)
    assert "Soon over" in client.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    with time_machine.travel(datetime(2026, 6, 1, 14, 1, tzinfo=UTC), tick=False):
        assert "Soon over" not in client.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
