"""The patient's weekly check-in: Monday morning in their zone, once a week, and answers that become drafts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Event, Need, NeedDraft, User
from coordinator.services.health.patient_checkins import DRAFT_THANKS, patient_checkins_send
from coordinator.services.texting.inbound import HELP_LINE
from coordinator.sms.help_requests import help_request_parse
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.sms import SMS_SETTINGS, outbox, text_in
from tests.web import csrf_from

MARIA, DANIEL, SAM = "+12025550120", "+12025550101", "+12025550110"
MONDAY_1030_NEW_YORK = datetime(2026, 6, 8, 14, 30, tzinfo=UTC)  # 8 June 2026 is a Monday


@pytest.fixture
def config_overrides():
    return SMS_SETTINGS


@pytest.fixture
def circle(app):
    maria = make_user(name="Maria Lopez", phone=MARIA)
    daniel = make_user(name="Daniel Lopez", phone=DANIEL)
    circle = make_circle(patient=maria, coordinator=daniel)
    circle.health_settings = {"patient_checkins": True}
    add_member(circle, make_user(name="Sam Carter", phone=SAM))
    return circle


@pytest.fixture
def monday(circle):
    with time_machine.travel(MONDAY_1030_NEW_YORK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def checked_in(monday):
    assert patient_checkins_send() == 1
    db.session.commit()
    return monday


def drafts() -> list[NeedDraft]:
    db.session.expire_all()
    return list(db.session.scalars(select(NeedDraft).order_by(NeedDraft.id)))


def maria() -> User:
    return db.session.scalar(select(User).where(User.phone == MARIA))


# Sending


def test_the_check_in_goes_on_monday_morning_once_a_week(circle):
    for moment, expected in [
        (datetime(2026, 6, 8, 13, 59, tzinfo=UTC), 0),  # 9:59 in New York: not yet
        (MONDAY_1030_NEW_YORK, 1),
        (datetime(2026, 6, 8, 15, 30, tzinfo=UTC), 0),  # the same week: already sent
        (datetime(2026, 6, 9, 14, 30, tzinfo=UTC), 0),  # Tuesday
        (datetime(2026, 6, 15, 14, 0, tzinfo=UTC), 1),  # next Monday, 10:00
    ]:
        with time_machine.travel(moment, tick=False):
            assert patient_checkins_send() == expected, moment
            db.session.commit()
    texts = outbox(to=MARIA, kind="patient_checkin")
    assert [m.idempotency_key for m in texts] == [
        f"patient-checkin:{circle.id}:2026-W24",
        f"patient-checkin:{circle.id}:2026-W25",
    ]
    assert texts[0].body.startswith("How is this week, Maria? Reply 1") and len(texts[0].body) <= 160
    assert outbox(to=DANIEL) == [] and outbox(to=SAM) == []


def test_the_check_in_follows_the_patients_own_zone(circle):
    maria().timezone = "Europe/London"
    db.session.commit()
    with time_machine.travel(MONDAY_1030_NEW_YORK, tick=False):  # 15:30 in London
        assert patient_checkins_send() == 0
    with time_machine.travel(datetime(2026, 6, 8, 9, 30, tzinfo=UTC), tick=False):  # 10:30 in London
        assert patient_checkins_send() == 1


def test_no_check_in_unless_the_circle_turned_it_on(circle, monday):
    circle.health_settings = {}
    db.session.commit()
    assert patient_checkins_send() == 0
    assert outbox(kind="patient_checkin") == []


def test_no_check_in_to_a_patient_who_opted_out_not_even_by_email(client, monday):
    text_in(client, MARIA, "STOP")
    assert maria().sms_opted_out_at is not None
    assert patient_checkins_send() == 0
    assert outbox(kind="patient_checkin") == []


# Answers


def test_a_number_is_recorded_and_nothing_is_drafted(client, checked_in):
    reply = text_in(client, MARIA, "3")
    assert reply.startswith("Thank you, Maria.")
    assert db.session.scalar(select(Event.data).where(Event.kind == "patient.checkin")) == {"score": 3}
    assert drafts() == [] and outbox(kind="patient_low") == []


def test_a_low_number_gently_tells_the_coordinators_without_the_number(client, checked_in):
    reply = text_in(client, MARIA, "1")
    assert "coordinators know" in reply
    [told] = outbox(kind="patient_low")
    assert told.to_address == DANIEL
    assert told.body.startswith("Maria could use some extra support this week.")
    assert not any(ch.isdigit() for ch in told.body)
    text_in(client, MARIA, "2")
    assert len(outbox(kind="patient_low")) == 1  # once per check-in
    assert outbox(to=SAM) == []


def test_ride_tue_9_becomes_a_draft_for_next_tuesday_at_nine(client, checked_in):
    assert text_in(client, MARIA, "RIDE TUE 9") == DRAFT_THANKS
    [draft] = drafts()
    assert (draft.category, draft.day, draft.start_time, draft.text) == (
        "ride",
        date(2026, 6, 9),
        time(9),
        "RIDE TUE 9",
    )
    assert (draft.status, draft.from_user_id) == ("pending", maria().id)
    [review] = outbox(kind="draft_review")
    assert review.to_address == DANIEL
    assert review.body.endswith(f"https://care.example.org/circles/{draft.circle_id}/drafts")
    assert "asked for a ride" in review.body and len(review.body) <= 160
    assert db.session.scalar(select(func.count(Event.id)).where(Event.kind == "draft.created")) == 1


def test_dinner_friday_is_a_meal_on_friday_with_no_time(client, checked_in):
    assert text_in(client, MARIA, "dinner friday") == DRAFT_THANKS
    [draft] = drafts()
    assert (draft.category, draft.day, draft.start_time) == ("meal", date(2026, 6, 12), None)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ride tuesday 9am", ("ride", date(2026, 6, 9), time(9))),
        ("MEAL FRI", ("meal", date(2026, 6, 12), None)),
        ("groceries", ("errands", None, None)),
        ("someone to talk to sat afternoon", ("visit", date(2026, 6, 13), time(14))),
        ("Could someone walk the dog tomorrow at 14:30?", ("pets", date(2026, 6, 9), time(14, 30))),
        ("a walk thursday morning", ("exercise", date(2026, 6, 11), time(9))),
        ("call the insurance people", ("paperwork", None, None)),
        ("insurance forms wed 2", ("paperwork", date(2026, 6, 10), time(14))),
        ("laundry this evening today", ("housework", date(2026, 6, 8), time(18))),
        ("Ride Sunday 10 a.m. please", ("ride", date(2026, 6, 14), time(10))),
        ("visit monday noon", ("visit", date(2026, 6, 8), time(12))),  # still ahead today
        ("ride mon 9", ("ride", date(2026, 6, 15), time(9))),  # 9am has passed: next Monday
    ],
)
def test_help_requests_are_read_forgivingly(monday, typed, expected):
    guess = help_request_parse(typed, zone="America/New_York")
    assert (guess.category, guess.day, guess.start_time) == expected


def test_days_are_read_in_the_patients_own_zone(circle):
    # Tuesday 00:30 in Tokyo is still Monday 11:30 in New York.
    with time_machine.travel(datetime(2026, 6, 8, 15, 30, tzinfo=UTC), tick=False):
        assert help_request_parse("ride tomorrow", zone="Asia/Tokyo").day == date(2026, 6, 10)
        assert help_request_parse("ride tomorrow", zone="America/New_York").day == date(2026, 6, 9)


def test_anything_else_from_the_patient_becomes_a_draft_for_a_coordinator_to_read(client, checked_in):
    assert text_in(client, MARIA, "Hard week. Not sure what I need.") == DRAFT_THANKS
    assert text_in(client, MARIA, "Помогите, пожалуйста") == DRAFT_THANKS  # no English words: still read
    first, second = drafts()
    assert (first.category, first.text) == ("other", "Hard week. Not sure what I need.")
    assert (second.category, second.text) == ("other", "Помогите, пожалуйста")
    assert "asked for help by text" in outbox(kind="draft_review")[0].body


def test_a_plain_thanks_after_our_reply_creates_nothing(client, checked_in):
    assert text_in(client, MARIA, "ok thanks!") == ""
    assert drafts() == []


def test_a_supporter_texting_a_request_gets_the_normal_help_line(client, checked_in):
    assert text_in(client, SAM, "RIDE TUE 9") == HELP_LINE
    assert drafts() == []


def test_the_patients_commands_and_reserved_words_are_never_intercepted(client, checked_in, circle):
    task = first_task(make_need(circle, maria(), start_date=date(2026, 6, 10)))
    # answered as commands, not read as check-in answers (the patient is never signed up for her own help)
    assert (
        text_in(client, MARIA, f"TAKE {task.id}")
        == f"Task {task.id} is help for you, so it's for others to take. We'll find someone."
    )
    assert text_in(client, MARIA, "MINE").startswith("You have nothing coming up")
    assert text_in(client, MARIA, "STOP") == ""
    assert maria().sms_opted_out_at is not None
    assert drafts() == []


def test_a_reply_more_than_a_week_after_the_check_in_is_not_intercepted(client, checked_in):
    checked_in.shift(timedelta(days=7, minutes=1))
    assert text_in(client, MARIA, "RIDE TUE 9") == HELP_LINE
    assert drafts() == []


def test_no_check_in_sent_means_nothing_intercepted(client, monday):
    assert text_in(client, MARIA, "3") == HELP_LINE
    assert db.session.scalar(select(func.count(Event.id)).where(Event.kind == "patient.checkin")) == 0


def test_turning_check_ins_off_stops_reading_answers(client, checked_in, circle):
    circle.health_settings = {}
    db.session.commit()
    assert text_in(client, MARIA, "RIDE TUE 9") == HELP_LINE
    assert drafts() == []


# The drafts page


def draft_form(draft_id: int, token: str, **fields) -> dict:
    values = {"csrf_token": token, "title": "Ride", "start_date": "2026-06-09", "start_time": "09:00"} | fields
    return {f"draft{draft_id}-{name}": value for name, value in values.items()}


def signed_in_coordinator(client, circle):
    daniel = db.session.scalar(select(User).where(User.phone == DANIEL))
    client.sign_in(daniel.email, PASSWORD)
    return f"/circles/{circle.id}/drafts"


def test_a_coordinator_posts_one_draft_and_sets_another_aside(client, checked_in, circle):
    text_in(client, MARIA, "RIDE TUE 9")
    text_in(client, MARIA, "dinner friday")
    ride, meal = drafts()
    page_url = signed_in_coordinator(client, circle)
    home = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Maria asked for help by text" in home and "2 requests" in home
    page = client.get(page_url).get_data(as_text=True)
    assert "RIDE TUE 9" in page and "dinner friday" in page
    assert 'value="Ride"' in page and 'value="2026-06-09"' in page and 'value="09:00"' in page
    assert 'value="10:00"' in page and 'value="2026-06-12"' in page
    token = csrf_from(page)
    response = client.raw.post(f"{page_url}/{ride.id}/post", data=draft_form(ride.id, token, end_time="10:00"))
    assert response.status_code == 302
    need = db.session.scalar(select(Need))
    assert response.headers["Location"].endswith(f"/circles/{circle.id}/needs/{need.id}")
    assert (need.category, need.title, need.start_date) == ("ride", "Ride", date(2026, 6, 9))
    assert (need.start_time, need.end_time) == (time(9), time(10))
    response = client.post(f"{page_url}/{meal.id}/dismiss", form_url=page_url)
    assert response.status_code == 302
    ride, meal = drafts()
    assert (ride.status, ride.need_id, meal.status, meal.need_id) == ("posted", need.id, "dismissed", None)
    kinds = db.session.scalars(select(Event.kind).where(Event.kind.like("draft.%")).order_by(Event.id)).all()
    assert kinds == ["draft.created", "draft.created", "draft.posted", "draft.dismissed"]
    assert "asked for help by text" not in client.get(f"/circles/{circle.id}").get_data(as_text=True)
    again = client.raw.post(f"{page_url}/{ride.id}/post", data=draft_form(ride.id, token), follow_redirects=True)
    assert "already dealt with" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Need.id))) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"end_time": "08:00"}, "end_time", "The end time must be after the start time."),
        ({"start_date": "2026-06-01"}, "start_date", "That date has passed. Choose today or later."),
        ({"title": ""}, "title", "Enter a title."),
        ({"start_time": "25:99"}, "start_time", "Enter a time like 9:30 or 14:00."),
    ],
)
def test_bad_input_is_shown_by_its_field_and_nothing_is_created(client, checked_in, circle, fields, field, message):
    text_in(client, MARIA, "RIDE TUE 9")
    [draft] = drafts()
    page_url = signed_in_coordinator(client, circle)
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    response = client.raw.post(f"{page_url}/{draft.id}/post", data=draft_form(draft.id, token, **fields))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="draft{draft.id}-{field}-error">{message}</p>' in html
    assert db.session.scalar(select(func.count(Need.id))) == 0
    assert drafts()[0].status == "pending"


def test_supporters_cannot_see_or_post_drafts(client, checked_in, circle):
    text_in(client, MARIA, "RIDE TUE 9")
    [draft] = drafts()
    sam = db.session.scalar(select(User).where(User.phone == SAM))
    client.sign_in(sam.email, PASSWORD)
    assert client.get(f"/circles/{circle.id}/drafts").status_code == 404
    assert client.post(f"/circles/{circle.id}/drafts/{draft.id}/dismiss", form_url="/account").status_code == 404
    assert "asked for help by text" not in client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert drafts()[0].status == "pending"


@pytest.mark.parametrize(
    "typed", ["Take me to the clinic tue {code}", "ok, a ride fri {code} would help", "Drop off dinner thu {code}"]
)
def test_her_answer_that_starts_like_a_command_is_read_as_an_answer_not_a_command(client, checked_in, circle, typed):
    """A number that happens to be a task's code is not a command unless it comes right after the word."""
    task = first_task(make_need(circle, maria(), start_date=date(2026, 6, 10)))
    assert text_in(client, MARIA, typed.format(code=task.id)) == DRAFT_THANKS
    assert len(drafts()) == 1
