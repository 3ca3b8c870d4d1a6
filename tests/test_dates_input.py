"""Every date and time a person can pick or type is read the same way everywhere (clock.parse_date/parse_time).

The ride form once refused its own appointment time: the picker sent 09:30, the form turned it into a
time, the category detail turned that into "09:30:00" and the time parser refused seconds. These tests
hold the cause (one parser, taking what pickers send) and its kind (every category, every date field).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from sqlalchemy import select

from coordinator.categories import CATEGORIES, Detail
from coordinator.clock import dayfirst_for, parse_date, parse_time, zone_label
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models import Need, Task
from tests.factories import PASSWORD, make_circle, make_need, make_user

SUNDAY = datetime(2026, 3, 1, 15, tzinfo=UTC)  # Sun 1 Mar 2026, 10am in New York
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("09:30", time(9, 30)),  # <input type=time>
        ("09:30:00", time(9, 30)),  # with a step attribute
        ("09:30:00.000", time(9, 30)),
        ("9", time(9)),
        ("9:30", time(9, 30)),
        ("9.30", time(9, 30)),
        ("0930", time(9, 30)),
        ("930", time(9, 30)),
        ("9:30am", time(9, 30)),
        ("9:30 a.m.", time(9, 30)),
        ("9 pm", time(21)),
        ("9 P.M.", time(21)),
        ("12am", time(0)),
        ("12 pm", time(12)),
        ("noon", time(12)),
        ("Midnight", time(0)),
        ("14:05", time(14, 5)),
        ("  14:05  ", time(14, 5)),
    ],
)
def test_times_are_read_as_pickers_send_them_and_people_type_them(sent, expected):
    assert parse_time(sent) == expected


@pytest.mark.parametrize("typed", ["", "25:00", "9:75", "13pm", "09:30:61", "noonish", "9\x00", "9" * 500, "٩:٣٠"])
def test_times_that_are_not_times_get_a_plain_message(typed):
    with pytest.raises(Invalid, match=r"Enter a time like"):
        parse_time(typed)


@pytest.mark.parametrize(
    ("typed", "dayfirst", "expected"),
    [
        ("2026-12-03", False, date(2026, 12, 3)),  # <input type=date>
        ("3 Dec 2026", False, date(2026, 12, 3)),
        ("Dec 3 2026", True, date(2026, 12, 3)),
        ("Dec 3, 2026", False, date(2026, 12, 3)),
        ("December 3", False, date(2026, 12, 3)),
        ("Thursday 3rd of December", True, date(2026, 12, 3)),
        ("12/3/2026", False, date(2026, 12, 3)),  # a US circle: month first
        ("12/3/2026", True, date(2026, 3, 12)),  # elsewhere: day first
        ("13/12/2026", False, date(2026, 12, 13)),  # only one reading is a real date
        ("3.12.26", True, date(2026, 12, 3)),
        ("today", False, TODAY),
        ("Tomorrow", True, date(2026, 3, 2)),
        ("Feb 20", False, date(2027, 2, 20)),  # no year: the next one to come
        ("0001-01-01", False, date(1, 1, 1)),  # a real date: services say it has passed
    ],
)
def test_dates_are_read_as_pickers_send_them_and_people_type_them(typed, dayfirst, expected):
    assert parse_date(typed, today=TODAY, dayfirst=dayfirst) == expected


@pytest.mark.parametrize("typed", ["", "not-a-date", "2026-02-30", "31/2/2026", "275760-01-01", "3 Dex 2026", "\x00"])
def test_dates_that_are_not_dates_get_a_plain_message(typed):
    with pytest.raises(Invalid, match=r"Enter a (real )?date"):
        parse_date(typed, today=TODAY)


def test_the_circle_region_decides_day_or_month_first():
    assert (dayfirst_for("US"), dayfirst_for("GB"), dayfirst_for("AU"), dayfirst_for(None)) == (
        False,
        True,
        True,
        False,
    )


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("America/New_York", "Eastern Time"),
        ("America/Indiana/Indianapolis", "Eastern Time"),
        ("America/Chicago", "Central Time"),
        ("America/Los_Angeles", "Pacific Time"),
        ("Europe/London", "UK time"),
        ("Asia/Tokyo", "Tokyo time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
        ("UTC", "UTC"),
    ],
)
def test_zones_are_named_the_way_people_say_them(name, label):
    assert zone_label(name) == label


def test_a_time_detail_takes_what_the_form_already_read():
    detail = Detail("appointment_time", "Appointment time", "time")
    assert detail.parse(time(9, 30)) == "09:30"
    assert detail.parse("09:30:00") == "09:30"
    assert detail.parse("2pm") == "14:00"


def test_every_bad_detail_is_reported_at_once():
    with pytest.raises(Invalid) as raised:
        CATEGORIES["meal"].parse_details({"servings": "999", "dietary": "ok\x00no"})
    assert {p.field for p in raised.value.problems} == {"detail_servings", "detail_dietary"}


@pytest.mark.parametrize("typed", ["²", "٣", "4²"])
def test_a_number_detail_that_only_looks_like_digits_is_refused_with_a_message(typed):
    """Python's isdigit() says yes to "²", and int() then fails: the person gets a message, not an error page."""
    with pytest.raises(Invalid) as raised:
        CATEGORIES["meal"].parse_details({"servings": typed})
    assert raised.value.problems[0].field == "detail_servings"
    assert "number" in raised.value.problems[0].message


@pytest.fixture
def sunday():
    """The clock stands at Sunday 1 March 2026 (from before anyone signs in)."""
    with time_machine.travel(SUNDAY, tick=False):
        yield


@pytest.fixture
def coordinator_client(sunday, client):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    client.sign_in(coordinator.email, PASSWORD)
    client.circle, client.user = circle, coordinator
    return client


def need_form(**fields) -> dict:
    return {
        "title": "Help",
        "when": "at",
        "start_date": "2026-03-10",
        "start_time": "09:00:00",
        "end_time": "10:30:00.000",
        "capacity": "1",
        "visibility": "circle",
        "frequency": "none",
        "ends": "weeks",
        "address": "12 Elm St",
    } | fields


def typed_detail(detail: Detail) -> str:
    """What a person types or picks into each kind of detail field."""
    return {"number": "2", "time": "14:30:00", "yes_no": "y", "long_text": "Side door\nRing twice"}.get(
        detail.kind, "Something plain"
    )


@pytest.mark.parametrize("key", list(CATEGORIES))
def test_every_category_accepts_its_details_as_a_browser_sends_them(coordinator_client, key):
    category = CATEGORIES[key]
    fields = {f"detail_{d.name}": typed_detail(d) for d in category.asked}
    response = coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/needs/new?category={key}", need_form(title=category.label, **fields)
    )
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True))
    need = db.session.scalar(select(Need))
    task = db.session.scalar(select(Task))
    assert (task.local_date, task.start_time, task.end_time) == (date(2026, 3, 10), time(9), time(10, 30))
    kept = {
        "number": 2,
        "time": "14:30",
        "yes_no": True,
        "long_text": "Side door\nRing twice",
        "text": "Something plain",
    }
    assert need.details == {d.name: kept[d.kind] for d in category.asked}
    assert need.address == ("12 Elm St" if category.address_label else "")


def test_the_rides_appointment_time_from_the_picker_is_kept(coordinator_client):
    response = coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/needs/new?category=ride",
        need_form(detail_appointment_time="09:30", detail_destination="Mercy Cancer Center"),
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Need)).details["appointment_time"] == "09:30"
    page = coordinator_client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Posted “Help” for Tue 10 Mar." in page


def test_typed_dates_follow_the_circles_region(sunday, client):
    coordinator = make_user()
    us, uk = make_circle(coordinator=coordinator), make_circle(coordinator=coordinator, timezone="Europe/London")
    uk.phone_region = "GB"
    db.session.commit()
    client.sign_in(coordinator.email, PASSWORD)
    for circle in (us, uk):
        response = client.post(f"/circles/{circle.id}/needs/new?category=visit", need_form(start_date="12/3/2026"))
        assert response.status_code == 302
    dates = {t.circle_id: t.local_date for t in db.session.scalars(select(Task))}
    assert dates == {us.id: date(2026, 12, 3), uk.id: date(2026, 3, 12)}


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def test_text_that_is_not_a_date_or_time_comes_back_as_typed_in_a_text_box(coordinator_client):
    response = coordinator_client.post(
        f"/circles/{coordinator_client.circle.id}/needs/new?category=ride",
        need_form(start_date="next tuesday-ish", start_time="quarter past", detail_appointment_time="after lunch"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for name, typed in [
        ("start_date", "next tuesday-ish"),
        ("start_time", "quarter past"),
        ("detail_appointment_time", "after lunch"),
    ]:
        tag = _input(html, name)
        assert 'type="text"' in tag and f'value="{typed}"' in tag
    assert 'type="time"' in _input(html, "end_time") and 'value="10:30"' in _input(html, "end_time")
    assert db.session.scalar(select(Need)) is None


def test_number_and_time_details_get_phone_keyboards(coordinator_client):
    html = coordinator_client.get(f"/circles/{coordinator_client.circle.id}/needs/new?category=meal").get_data(
        as_text=True
    )
    assert 'inputmode="numeric"' in _input(html, "detail_servings")
    assert 'type="date"' in _input(html, "start_date")
    ride = coordinator_client.get(f"/circles/{coordinator_client.circle.id}/needs/new?category=ride")
    assert 'type="time"' in _input(ride.get_data(as_text=True), "detail_appointment_time")


def test_the_single_date_edit_form_reads_typed_dates_and_picker_times(coordinator_client):
    circle = coordinator_client.circle
    need = make_need(circle, coordinator_client.user, start_date=date(2026, 3, 10))
    task = db.session.scalar(select(Task).where(Task.need_id == need.id))
    url = f"/circles/{circle.id}/tasks/{task.id}/edit"
    page = coordinator_client.get(url).get_data(as_text=True)
    assert 'type="date"' in _input(page, "local_date") and 'type="time"' in _input(page, "start_time")
    assert 'inputmode="numeric"' in _input(page, "capacity")
    response = coordinator_client.post(
        url, {"local_date": "Mar 12", "start_time": "14:00:00", "end_time": "3pm", "capacity": "1", "notes": ""}
    )
    assert response.status_code == 302
    db.session.refresh(task)
    assert (task.local_date, task.start_time, task.end_time) == (date(2026, 3, 12), time(14), time(15))
    bad = coordinator_client.post(
        url, {"local_date": "someday", "start_time": "", "end_time": "3pm", "capacity": "0", "notes": ""}
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'value="someday"' in _input(html, "local_date")
    for message in ("Enter a date like 3 Dec 2026.", "Enter a start time.", "Ask for between 1 and 50 people."):
        assert message in html


def test_the_task_list_reads_a_typed_from_date_the_circles_way(sunday, client):
    coordinator = make_user()
    uk = make_circle(coordinator=coordinator, timezone="Europe/London")
    uk.phone_region = "GB"
    db.session.commit()
    make_need(uk, coordinator, title="Early ride", start_date=date(2026, 3, 3))
    make_need(uk, coordinator, title="Later ride", start_date=date(2026, 3, 12))
    client.sign_in(coordinator.email, PASSWORD)
    page = client.get(f"/circles/{uk.id}/tasks", query_string={"from": "12/3/2026"}).get_data(as_text=True)
    assert "Later ride" in page and "Early ride" not in page
    page = client.get(f"/circles/{uk.id}/tasks", query_string={"from": "not a date"}).get_data(as_text=True)
    assert "Later ride" in page and "Early ride" in page  # unreadable: no filter, not an error
