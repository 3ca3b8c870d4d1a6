"""Planning months ahead: a surgery three months out, weekly rides starting in nine weeks, up to 18 months.

Also what posting tells you (the first date, the dates still to open), the duplicate warning, and
all of a need form's problems after one submit.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Need, Task
from coordinator.services.care.needs import needs_extend
from coordinator.services.care.recurrence import Repeat
from tests.factories import PASSWORD, make_circle, make_need, make_user

SUNDAY = datetime(2026, 3, 1, 15, tzinfo=UTC)  # Sun 1 Mar 2026, 10am in New York


@pytest.fixture
def sunday():
    with time_machine.travel(SUNDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def coordinator_client(sunday, client):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    client.sign_in(coordinator.email, PASSWORD)
    client.circle, client.user = circle, coordinator
    return client


def need_form(**fields) -> dict:
    return {
        "title": "Ride to chemo",
        "when": "at",
        "start_date": "2026-03-03",
        "start_time": "09:00",
        "end_time": "11:00",
        "capacity": "1",
        "visibility": "circle",
        "frequency": "none",
        "ends": "weeks",
        "weeks": "",
        "count": "",
        "until": "",
        "address": "12 Elm St",
    } | fields


def post(client, category="ride", **fields):
    return client.post(f"/circles/{client.circle.id}/needs/new?category={category}", need_form(**fields))


def follow(client, response) -> str:
    assert response.status_code == 302, errors(response)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def errors(response) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', response.get_data(as_text=True))


def test_a_one_off_three_months_out_gets_its_task_at_once(coordinator_client):
    page = follow(coordinator_client, post(coordinator_client, start_date="2026-06-02"))
    assert "Posted “Ride to chemo” for Tue 2 Jun." in page
    task = db.session.scalar(select(Task))
    assert task.local_date == date(2026, 6, 2)
    assert "passed" not in page


def test_a_weekly_series_starting_in_nine_weeks_shows_every_date_at_once(coordinator_client):
    first = date(2026, 5, 5)  # a Tuesday, nine weeks and two days ahead
    page = follow(
        coordinator_client, post(coordinator_client, start_date=first.isoformat(), frequency="weekly", weeks="12")
    )
    tasks = db.session.scalars(select(Task).order_by(Task.local_date)).all()
    # The first eight weeks after the first date are open for sign-up now; the rest are shown as planned.
    assert [t.local_date for t in tasks] == [first + timedelta(weeks=n) for n in range(9)]
    assert "Posted “Ride to chemo”: 9 dates so far. The first is Tue 5 May. 3 more dates open for sign-up" in page
    assert "Later dates" in page and page.count('<span class="tag">Planned</span>') == 3
    for planned in ("Tue 7 Jul", "Tue 14 Jul", "Tue 21 Jul"):
        assert planned in page
    assert "passed" not in page and "None of those dates" not in page


def test_planned_dates_become_tasks_as_the_window_reaches_them(coordinator_client, sunday):
    need = make_need(
        coordinator_client.circle,
        coordinator_client.user,
        start_date=date(2026, 5, 5),
        repeat=Repeat("weekly", (), "weeks", weeks=20),
    )
    assert len(need.tasks) == 9
    assert needs_extend() == 0
    sunday.move_to(datetime(2026, 5, 20, 12, tzinfo=UTC))  # two weeks after the series started
    assert needs_extend() == 2
    db.session.commit()
    assert needs_extend() == 0
    for week in range(1, 18):  # the scheduler runs every day; once a week is enough here
        sunday.move_to(datetime(2026, 5, 20, 12, tzinfo=UTC) + timedelta(weeks=week))
        needs_extend()
        db.session.commit()
    dates = db.session.scalars(select(Task.local_date).where(Task.need_id == need.id).order_by(Task.local_date)).all()
    assert dates == [date(2026, 5, 5) + timedelta(weeks=n) for n in range(20)]
    page = coordinator_client.get(f"/circles/{coordinator_client.circle.id}/needs/{need.id}").get_data(as_text=True)
    assert "Planned" not in page


def test_eighteen_months_ahead_is_the_limit_and_the_message_names_the_last_date(coordinator_client):
    assert post(coordinator_client, start_date="2027-09-01").status_code == 302
    response = post(coordinator_client, start_date="2027-09-02")
    assert response.status_code == 422
    assert errors(response) == ["Choose a date up to Wed 1 Sep 2027: needs can be planned up to 18 months ahead."]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start_date": "9999-12-20", "frequency": "weekly", "weeks": "4"}, "Choose a date up to Wed 1 Sep 2027"),
        ({"start_date": "9999-12-31"}, "Choose a date up to Wed 1 Sep 2027"),
        ({"start_date": "0001-01-01"}, "That date has passed."),
        ({"frequency": "weekly", "ends": "until", "until": "9999-12-31"}, "choose a last date up to Thu 2 Mar 2028"),
        ({"frequency": "weekly", "ends": "until", "until": "0001-01-01"}, "The last date must be on or after"),
        ({"frequency": "weekly", "ends": "weeks", "weeks": "999999"}, "Repeat for between 1 and 104 weeks."),
        ({"frequency": "daily", "ends": "count", "count": "999999"}, "Repeat between 1 and 200 times."),
    ],
)
def test_dates_at_the_ends_of_the_calendar_get_a_message_not_a_crash(coordinator_client, fields, message):
    response = post(coordinator_client, **fields)
    assert response.status_code == 422
    assert any(message in e for e in errors(response)), errors(response)
    assert db.session.scalar(select(func.count(Need.id))) == 0


def test_an_empty_meal_form_shows_every_problem_after_one_submit(coordinator_client):
    response = post(
        coordinator_client,
        category="meal",
        title="",
        start_date="",
        start_time="",
        end_time="",
        address="",
        frequency="weekly",
        weeks="",
        detail_servings="lots",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors(response) == [
        "Enter a title.",
        "Choose a date.",
        "Enter a start time.",
        "Repeat for between 1 and 104 weeks.",
        "Enter a whole number.",
    ]
    summary = html[html.index('class="error-summary"') : html.index("</ul>", html.index('class="error-summary"'))]
    for target in ("#title", "#start_date", "#start_time", "#weeks", "#detail_servings"):
        assert f'href="{target}"' in summary


def test_a_repeated_time_is_still_asked_about_alongside_other_problems(coordinator_client, sunday):
    sunday.move_to(datetime(2026, 10, 20, 12, tzinfo=UTC))
    coordinator_client.sign_in(coordinator_client.user.email, PASSWORD)  # months later: a new session
    response = post(coordinator_client, start_date="2026-11-01", start_time="01:30", end_time="02:00", title="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a title." in html and "happens twice" in html and 'name="fold"' in html


def test_the_need_form_names_the_zone_and_asks_one_address_per_kind(coordinator_client):
    url = f"/circles/{coordinator_client.circle.id}/needs/new?category="
    ride = coordinator_client.get(url + "ride").get_data(as_text=True)
    assert "Times are in Eastern Time." in ride and "America/New_York" not in ride
    assert ride.count("<textarea") == 2 and "Pickup address" in ride and "Pickup from" not in ride
    assert ">When<" not in ride  # the group says "Pickup time"; the choice asks "Does it need a set time?"
    meal = coordinator_client.get(url + "meal").get_data(as_text=True)
    assert "Drop-off address" in meal
    call = coordinator_client.get(url + "call").get_data(as_text=True)
    assert 'name="address"' not in call


def test_the_need_page_has_no_task_codes(coordinator_client):
    need = make_need(coordinator_client.circle, coordinator_client.user, repeat=Repeat("weekly", (), "weeks", weeks=3))
    page = coordinator_client.get(f"/circles/{coordinator_client.circle.id}/needs/{need.id}").get_data(as_text=True)
    assert need.tasks and not re.search(r"(?<!&)#\d", page)  # no "#29" (an escaped &#39; is fine)
    assert "slot" not in page.lower()


# Duplicates -------------------------------------------------------------------------------------------------------


def test_a_second_ride_at_an_overlapping_time_warns_before_posting(coordinator_client):
    follow(coordinator_client, post(coordinator_client))
    existing = db.session.scalar(select(Task))
    response = post(coordinator_client, title="Chemo ride (Sam's list)", start_time="10:00", end_time="12:00")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There's already a ride on Tue 3 Mar at 9:00am" in html and "“Ride to chemo”" in html
    assert f'href="/circles/{coordinator_client.circle.id}/tasks/{existing.id}"' in html
    assert "Post this one as well?" in html
    assert db.session.scalar(select(func.count(Need.id))) == 1
    again = post(
        coordinator_client, title="Chemo ride (Sam's list)", start_time="10:00", end_time="12:00", post_anyway="y"
    )
    assert "Posted “Chemo ride (Sam&#39;s list)” for Tue 3 Mar." in follow(coordinator_client, again)
    assert db.session.scalar(select(func.count(Need.id))) == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"start_time": "11:00", "end_time": "12:00"},  # right after, not overlapping
        {"start_date": "2026-03-04"},  # another day
        {"category": "visit"},  # another kind of help
    ],
)
def test_no_warning_when_it_is_not_the_same_help(coordinator_client, fields):
    follow(coordinator_client, post(coordinator_client))
    assert post(coordinator_client, **fields).status_code == 302


def test_a_cancelled_need_is_not_a_duplicate_and_a_series_is_checked_on_every_date(coordinator_client):
    circle, coordinator = coordinator_client.circle, coordinator_client.user
    cancelled = make_need(circle, coordinator, start_date=date(2026, 3, 3))
    coordinator_client.post(f"/circles/{circle.id}/needs/{cancelled.id}/cancel")
    assert post(coordinator_client).status_code == 302  # the cancelled ride does not count
    make_need(circle, coordinator, title="Scan", start_date=date(2026, 3, 24))
    response = post(coordinator_client, start_date="2026-03-10", frequency="weekly", weeks="4")
    assert response.status_code == 200
    assert "There's already a ride on Tue 24 Mar at 9:00am" in response.get_data(as_text=True)


# Calendar and task dates at the ends of the calendar -----------------------------------------------------------------


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "2999-01-01", "garbage", "99999-01-01"])
def test_any_calendar_week_answers_with_the_nearest_week_it_can_show(coordinator_client, week):
    response = coordinator_client.get(f"/circles/{coordinator_client.circle.id}/calendar?week={week}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if week[0].isdigit() and len(week) == 10:
        assert "The calendar goes from" in html


def test_a_single_date_cannot_move_past_eighteen_months(coordinator_client):
    need = make_need(coordinator_client.circle, coordinator_client.user)
    task = need.tasks[0]
    response = coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/tasks/{task.id}/edit",
        {"local_date": "9999-12-31", "start_time": "09:00", "end_time": "10:00", "capacity": "1", "notes": ""},
    )
    assert response.status_code == 422
    assert "Choose a date up to Wed 1 Sep 2027" in response.get_data(as_text=True)


def test_changing_a_series_shows_its_last_date_and_saving_it_unchanged_keeps_every_date(coordinator_client):
    need = make_need(
        coordinator_client.circle,
        coordinator_client.user,
        start_date=date(2026, 5, 5),
        repeat=Repeat("weekly", (), "weeks", weeks=12),
    )
    url = f"/circles/{coordinator_client.circle.id}/needs/{need.id}/edit"
    page = coordinator_client.get(url).get_data(as_text=True)
    assert 'value="2026-07-21"' in page  # the twelfth Tuesday, not the Monday the rule stops on
    assert "Starts Tue 5 May." in page
    before = sorted(t.local_date for t in need.tasks)
    form = need_form(start_date="", frequency="weekly", ends="until", until="2026-07-21", weekdays=["TU"])
    page = follow(coordinator_client, coordinator_client.post(url, form))
    assert "Every Tue until Tue 21 Jul 2026" in page
    db.session.expire_all()
    open_dates = db.session.scalars(
        select(Task.local_date).where(Task.need_id == need.id, Task.status == "open").order_by(Task.local_date)
    ).all()
    assert open_dates == before
