"""Posting needs through the web: one-off and recurring, bad input, series edits and cancellations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Claim, Event, Message, Need, Task
from coordinator.services.care.claims import claim_make
from coordinator.services.care.recurrence import Repeat
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user


def need_form(**fields) -> dict:
    data = {
        "title": "Ride to the clinic",
        "when": "at",
        "start_date": "",
        "start_time": "09:00",
        "end_time": "11:00",
        "capacity": "1",
        "visibility": "circle",
        "frequency": "none",
        "ends": "weeks",
        "weeks": "",
        "count": "",
        "until": "",
        "address": "12 Elm St, Springfield",
        "notes": "",
    }
    data.update(fields)
    return data


@pytest.fixture
def coordinator_client(client):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    client.sign_in(coordinator.email, PASSWORD)
    client.circle, client.user = circle, coordinator
    return client


def post(client, category="ride", **fields):
    tomorrow = today_in(client.circle.timezone) + timedelta(days=1)
    fields.setdefault("start_date", tomorrow.isoformat())
    return client.post(f"/circles/{client.circle.id}/needs/new?category={category}", need_form(**fields))


def test_posting_a_one_off_ride_makes_one_task(coordinator_client):
    response = post(coordinator_client, detail_destination="Mercy Cancer Center", detail_return_trip="y")
    assert response.status_code == 302
    need = db.session.scalar(select(Need))
    assert (need.category, need.details) == ("ride", {"destination": "Mercy Cancer Center", "return_trip": True})
    assert need.address == "12 Elm St, Springfield"  # a ride's one address question: where to pick up
    task = first_task(need)
    assert (task.start_time.hour, task.end_time.hour, task.capacity, task.claimed) == (9, 11, 1, 0)
    assert task.starts_at.tzinfo is not None and task.starts_at.hour in (13, 14)  # 9:00 New York in UTC
    assert db.session.scalar(select(Event.kind).where(Event.kind == "need.posted")) == "need.posted"


def test_a_weekly_series_becomes_tasks_over_the_rolling_window(coordinator_client):
    response = post(coordinator_client, frequency="weekly", ends="weeks", weeks="6", weekdays=[])
    assert response.status_code == 302
    tasks = db.session.scalars(select(Task).order_by(Task.starts_at)).all()
    assert len(tasks) == 6
    assert {t.local_date.weekday() for t in tasks} == {tasks[0].local_date.weekday()}
    assert all((b.local_date - a.local_date).days == 7 for a, b in zip(tasks, tasks[1:], strict=False))
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Every " in page and "until" in page


def test_a_long_series_is_generated_eight_weeks_ahead_then_extended(coordinator_client, app):
    from coordinator.services.care.needs import needs_extend

    post(coordinator_client, frequency="weekly", weekdays=["MO", "WE", "FR"], ends="count", count="60")
    assert db.session.scalar(select(func.count(Task.id))) <= 3 * 9
    first_batch = db.session.scalar(select(func.count(Task.id)))
    assert needs_extend() == 0  # idempotent: nothing new today
    with time_machine.travel(datetime.now(UTC) + timedelta(weeks=3), tick=False):
        added = needs_extend()
        db.session.commit()
        assert needs_extend() == 0
    assert added >= 8
    assert db.session.scalar(select(func.count(Task.id))) == first_batch + added


@pytest.mark.parametrize(
    ("fields", "field_message"),
    [
        ({"title": ""}, "Enter a title."),
        ({"title": "x" * 121}, "Keep the title under 120 characters."),
        ({"start_date": "2020-01-01"}, "That date has passed."),
        ({"start_date": "not-a-date"}, "Enter a date like 3 Dec 2026."),
        ({"end_time": "08:00"}, "The end time must be after the start time."),
        ({"start_time": "25:61"}, "Enter a time like 9:30 or 14:00."),
        ({"capacity": "0"}, "Ask for between 1 and 50 people."),
        ({"capacity": "51"}, "Ask for between 1 and 50 people."),
        ({"capacity": "lots"}, "Enter a whole number."),
        ({"visibility": "everyone-on-earth"}, "Choose who can see this."),
        ({"frequency": "weekly", "ends": "weeks", "weeks": ""}, "Repeat for between 1 and 104 weeks."),
        ({"notes": "x" * 2001}, "Keep the notes under 2000 characters."),
    ],
)
def test_bad_input_gets_a_message_by_the_field_and_nothing_is_saved(coordinator_client, fields, field_message):
    response = post(coordinator_client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_message in html
    assert 'value="12 Elm St, Springfield"' in html or "12 Elm St, Springfield</textarea>" in html
    assert db.session.scalar(select(func.count(Need.id))) == 0
    assert db.session.scalar(select(func.count(Task.id))) == 0


def test_unknown_category_shows_the_list_to_choose_from(coordinator_client):
    response = post(coordinator_client, category="teleportation")
    assert response.status_code == 200
    assert "What would help?" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Need.id))) == 0


def test_html_in_title_and_notes_is_shown_escaped(coordinator_client):
    response = post(coordinator_client, title="<b>Ride</b>", notes="<script>alert('x')</script>")
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;Ride&lt;/b&gt;" in page


def test_any_time_before_a_date(coordinator_client):
    friday = today_in("America/New_York") + timedelta(days=4)
    response = post(
        coordinator_client, category="errands", when="by", start_time="", end_time="", start_date=friday.isoformat()
    )
    assert response.status_code == 302
    task = db.session.scalar(select(Task))
    assert task.anytime and task.local_date == friday and task.starts_at == task.ends_at


def test_supporters_cannot_post_needs(client):
    circle = make_circle(patient=make_user())
    supporter = make_user()
    add_member(circle, supporter)
    client.sign_in(supporter.email, PASSWORD)
    assert client.get(f"/circles/{circle.id}/needs/new").status_code == 404


def _claimed_series(circle, coordinator, supporter, weeks=4):
    need = make_need(circle, coordinator, repeat=Repeat("weekly", (), "weeks", weeks=weeks))
    membership = add_member(circle, supporter)
    task = first_task(need)
    claim_make(membership=membership, task_id=task.id)
    db.session.commit()
    return need, task


def test_moving_the_whole_series_tells_the_people_who_hold_a_date(coordinator_client):
    supporter = make_user(phone="+12025550177")
    need, task = _claimed_series(coordinator_client.circle, coordinator_client.user, supporter)
    response = coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/needs/{need.id}/edit",
        need_form(start_date="", start_time="13:00", end_time="14:00", frequency="weekly", ends="weeks", weeks="4"),
    )
    assert response.status_code == 302
    db.session.refresh(task)
    assert task.start_time.hour == 13
    messages = db.session.scalars(select(Message).where(Message.user_id == supporter.id)).all()
    assert [m.kind for m in messages] == ["task_moved"]
    assert "1pm" in messages[0].body and f"DROP {task.code}" in messages[0].body
    assert "Elm" not in messages[0].body  # never an address in a text


def test_a_small_move_is_not_worth_a_text(app):
    from coordinator.services.care.task_changes import task_reschedule

    coordinator, supporter = make_user(), make_user(phone="+12025550178")
    need, task = _claimed_series(make_circle(coordinator=coordinator), coordinator, supporter)
    moved = task_reschedule(
        task, day=task.local_date, start=task.start_time.replace(minute=3), end=task.end_time, actor=coordinator
    )
    db.session.commit()
    assert not moved
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_cancelling_the_series_cancels_upcoming_dates_and_frees_spots(coordinator_client):
    supporter = make_user(phone="+12025550179")
    need, task = _claimed_series(coordinator_client.circle, coordinator_client.user, supporter)
    response = coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/needs/{need.id}/cancel",
        form_url=f"/circles/{coordinator_client.circle.id}/needs/{need.id}",
    )
    assert response.status_code == 302
    statuses = set(db.session.scalars(select(Task.status).where(Task.need_id == need.id)))
    assert statuses == {"cancelled"}
    db.session.refresh(task)
    assert task.claimed == 0
    assert db.session.scalar(select(Claim.status)) == "released"
    body = db.session.scalar(select(Message.body).where(Message.kind == "task_cancelled"))
    assert "cancelled" in body and str(task.code) in body


def test_editing_one_date_leaves_the_rest_and_series_edits_skip_it(coordinator_client):
    circle, coordinator = coordinator_client.circle, coordinator_client.user
    need = make_need(circle, coordinator, repeat=Repeat("weekly", (), "weeks", weeks=3))
    tasks = db.session.scalars(select(Task).order_by(Task.starts_at)).all()
    second = tasks[1]
    response = coordinator_client.post(
        f"/circles/{circle.id}/tasks/{second.id}/edit",
        {
            "local_date": second.local_date.isoformat(),
            "start_time": "15:00",
            "end_time": "16:00",
            "capacity": "2",
            "notes": "Later this week",
        },
    )
    assert response.status_code == 302
    coordinator_client.post(
        f"/circles/{circle.id}/needs/{need.id}/edit",
        need_form(start_time="08:00", end_time="09:00", frequency="weekly", ends="weeks", weeks="3"),
    )
    db.session.expire_all()
    hours = [t.start_time.hour for t in db.session.scalars(select(Task).order_by(Task.series_date))]
    assert hours == [8, 15, 8]
    assert db.session.get(Task, second.id).capacity == 2


def test_shrinking_capacity_below_who_already_signed_up_is_refused(coordinator_client):
    circle, coordinator = coordinator_client.circle, coordinator_client.user
    need = make_need(circle, coordinator, capacity=2)
    task = first_task(need)
    for person in (make_user(), make_user()):
        claim_make(membership=add_member(circle, person), task_id=task.id)
    db.session.commit()
    response = coordinator_client.post(
        f"/circles/{circle.id}/tasks/{task.id}/edit",
        {
            "local_date": task.local_date.isoformat(),
            "start_time": "09:00",
            "end_time": "10:00",
            "capacity": "1",
            "notes": "",
        },
    )
    assert response.status_code == 422
    assert "2 people already have this task" in response.get_data(as_text=True)
    db.session.refresh(task)
    assert task.capacity == 2


def test_first_occurrence_date_is_stable_across_a_date_in_the_past(app):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    need = make_need(
        circle, coordinator, start_date=today_in(circle.timezone), repeat=Repeat("daily", (), "count", count=3)
    )
    assert need.start_date == today_in(circle.timezone)
    assert all(t.local_date >= date.today() - timedelta(days=1) for t in need.tasks)
