"""The circle health page: coverage, who helps each week, who carries too much, who is drifting away."""

from __future__ import annotations

import html
import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import insert, select, update

from coordinator.extensions import db
from coordinator.models import Claim, Event, Membership, Task, User
from coordinator.services.care.claims import claim_make
from coordinator.services.care.recurrence import Repeat
from coordinator.services.health.activity import activity_record
from coordinator.services.health.load import circle_load
from coordinator.services.health.settings import HealthSettings, health_settings, health_settings_update
from coordinator.services.health.summary import coverage, drift_table, load_table, weekly_active
from coordinator.web.charts import bar_chart_svg
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.queries import counting
from tests.web import WebClient

WEDNESDAY_NOON = datetime(2026, 6, 3, 16, tzinfo=UTC)  # Wed 3 Jun 2026, 12:00 in New York


@pytest.fixture
def noon():
    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        yield WEDNESDAY_NOON


def text(page: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def claim(person: User, task_id: int) -> None:
    membership = db.session.scalar(select(Membership).where(Membership.user_id == person.id))
    claim_make(membership=membership, task_id=task_id)
    db.session.commit()


def helped(circle, person: User, at: datetime, kind: str = "claim.made") -> None:
    with time_machine.travel(at, tick=False):
        actor = None if kind == "ask.sent" else person.id  # the service asks; the person answers
        activity_record(kind=kind, circle_id=circle.id, actor_id=actor, subject_id=person.id)
        db.session.commit()


def test_coverage_counts_held_slots_per_day_and_calls_out_the_uncovered(app, client, noon):
    coordinator, helper = make_user(), make_user()
    circle = make_circle(coordinator=coordinator)
    add_member(circle, helper)
    with time_machine.travel(noon - timedelta(hours=5), tick=False):  # 7am: today's 9am ride is still ahead
        make_need(circle, coordinator, start_date=date(2026, 6, 3))
    thursday = first_task(make_need(circle, coordinator, capacity=3))
    claim(helper, thursday.id)
    friday = first_task(make_need(circle, coordinator, start_date=date(2026, 6, 5)))
    claim(helper, friday.id)
    elsewhere = first_task(make_need(circle, coordinator, start_date=date(2026, 6, 6), capacity=2))
    elsewhere.covered_elsewhere_at = noon
    cancelled = first_task(make_need(circle, coordinator, start_date=date(2026, 6, 7)))
    cancelled.status = "cancelled"
    make_need(circle, coordinator, start_date=date(2026, 6, 30))  # beyond the two weeks
    db.session.commit()

    found = coverage(circle=circle)
    assert len(found.days) == 14 and found.days[0].day == date(2026, 6, 3)
    by_day = {d.day: (d.needed, d.held) for d in found.days}
    assert by_day[date(2026, 6, 3)] == (0, 0)  # this morning's ride is over
    assert by_day[date(2026, 6, 4)] == (3, 1)
    assert by_day[date(2026, 6, 5)] == (1, 1)
    assert by_day[date(2026, 6, 6)] == (2, 2)  # covered another way counts as covered
    assert by_day[date(2026, 6, 7)] == (0, 0)  # cancelled
    assert (found.needed, found.held) == (6, 4)
    assert [(d.day, d.short) for d in found.uncovered] == [(date(2026, 6, 4), 2)]

    client.sign_in(coordinator.email, PASSWORD)
    page = text(client.get(f"/circles/{circle.id}/health").get_data(as_text=True))
    assert "Uncovered in the next 14 days Thu 4 Jun: 2 of 3 places open" in page
    assert "4 of 6 places taken (67%)" in page and "slot" not in page


def test_weekly_active_counts_distinct_supporters_per_local_week_including_quiet_weeks(app, noon):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    ann, ben, cat = make_user(), make_user(), make_user()
    for person in (ann, ben, cat):
        add_member(circle, person)
    last_week = noon - timedelta(weeks=1)
    helped(circle, ann, last_week)
    helped(circle, ann, last_week + timedelta(days=1), kind="claim.done")  # the same person twice
    helped(circle, ben, last_week, kind="sms.replied")
    helped(circle, coordinator, last_week)  # coordinators are not counted as supporters
    helped(circle, cat, noon - timedelta(weeks=2), kind="ask.sent")  # being asked is not helping
    helped(circle, cat, datetime(2026, 5, 18, 3, 30, tzinfo=UTC))  # Sun 17 May, 11:30pm in New York
    helped(circle, ann, noon - timedelta(weeks=11))
    helped(circle, ben, noon - timedelta(weeks=13))  # before the window

    weeks = weekly_active(circle_id=circle.id)
    assert len(weeks) == 12
    assert weeks[0].week_start == date(2026, 3, 16) and weeks[-1].week_start == date(2026, 6, 1)
    assert all(w.week_start.weekday() == 0 for w in weeks)
    counts = {w.week_start: w.count for w in weeks}
    assert counts[date(2026, 5, 25)] == 2
    assert counts[date(2026, 5, 11)] == 1  # Sunday night local time, Monday in UTC
    assert counts[date(2026, 5, 18)] == 0
    assert counts[date(2026, 3, 16)] == 1
    assert sum(counts.values()) == 4
    assert weeks[-1].label == "1 Jun"


def busy_circle():
    """A circle where one supporter carries most tasks, one stopped helping, one lets asks go by."""
    coordinator, patient = make_user(name="Cora Coordinator"), make_user(name="Pat Patient")
    circle = make_circle(coordinator=coordinator, patient=patient)
    names = ["Olga Overloaded", "Bea Brown", "Cal Chen", "Dee Diaz", "Dmitri Drifting", "Sofia Silent", "Stella Steady"]
    people = {}
    for name in names:
        people[name.split()[0].lower()] = person = make_user(name=name)
        add_member(circle, person)
    need = make_need(circle, coordinator, repeat=Repeat("daily", (), "count", count=10))
    tasks = db.session.scalars(select(Task.id).where(Task.need_id == need.id).order_by(Task.starts_at)).all()
    for task_id, who in zip(tasks, ["olga"] * 5 + ["bea"] * 2 + ["cal"] * 2 + ["dee"], strict=True):
        claim(people[who], task_id)
    moment = WEDNESDAY_NOON
    for weeks_ago in range(4, 12):
        helped(circle, people["dmitri"], moment - timedelta(weeks=weeks_ago))
    for weeks_ago in range(1, 12):
        helped(circle, people["stella"], moment - timedelta(weeks=weeks_ago))
    helped(circle, people["sofia"], moment - timedelta(weeks=6))
    for days_ago in (20, 13, 6):
        helped(circle, people["sofia"], moment - timedelta(days=days_ago), kind="ask.sent")
    return circle, coordinator, patient, people


def test_load_flags_whoever_carries_more_than_the_fair_share(app, noon):
    circle, _, _, people = busy_circle()
    load = circle_load(circle_id=circle.id, factor=2.0)
    assert (load.slots, load.helpers, load.cap) == (10, 8, 3)  # ten spots for 7 supporters and a coordinator
    rows = load_table(load)
    assert [(r.name, r.count, r.above_cap) for r in rows] == [
        ("Olga Overloaded", 5, True),
        ("Bea Brown", 2, False),
        ("Cal Chen", 2, False),
        ("Dee Diaz", 1, False),
    ]
    assert rows[0].share == pytest.approx(0.5)
    assert not any(r.above_cap for r in load_table(circle_load(circle_id=circle.id, factor=4.0)))  # cap 5


def test_three_people_carrying_everything_are_flagged_and_a_newcomer_pushes_nobody_over(app, noon):
    """The fair share is an even split of the work, so it sees what a median of helpers would hide."""
    coordinator = make_user(name="Daniel Coordinator")
    circle = make_circle(coordinator=coordinator)
    people = [make_user(name=f"Helper {n}") for n in range(9)]
    for helper in people:
        add_member(circle, helper)
    need = make_need(circle, coordinator, repeat=Repeat("daily", (), "count", count=13))
    tasks = db.session.scalars(select(Task.id).where(Task.need_id == need.id).order_by(Task.starts_at)).all()
    for n, task_id in enumerate(tasks[:12]):  # Helpers 0-2 carry four each; six others carry nothing
        claim(people[n % 3], task_id)
    load = circle_load(circle_id=circle.id, factor=2.0)
    assert load.cap == 3  # twice 13 spots over 10 people; a helpers' median would be 4, its cap 8: nobody flagged
    assert sorted(r.name for r in load_table(load) if r.above_cap) == ["Helper 0", "Helper 1", "Helper 2"]
    claim(people[3], tasks[12])  # someone new steps in: the same need, more spread, the same line
    after = circle_load(circle_id=circle.id, factor=2.0)
    assert after.cap == load.cap and not after.above(people[3].id)
    assert sorted(r.name for r in load_table(after) if r.above_cap) == ["Helper 0", "Helper 1", "Helper 2"]


def test_the_page_shows_load_and_follows_a_changed_fair_share(app, client, noon):
    circle, coordinator, _, _ = busy_circle()
    client.sign_in(coordinator.email, PASSWORD)
    page = text(client.get(f"/circles/{circle.id}/health").get_data(as_text=True))
    assert "Olga Overloaded Above fair share Consider asking others first. 5 tasks · 50%" in page
    assert page.count("Above fair share") == 1
    assert (
        "10 places needed then, shared by the 8 people who can help: about 1.2 each. "
        "Nobody is asked for more once they have 3 (2 times that, rounded), "
        "and someone one short of that is asked after those with more room." in page
    )
    health_settings_update(circle=circle, values={"fair_share_factor": 4.0})
    db.session.commit()
    page = text(client.get(f"/circles/{circle.id}/health").get_data(as_text=True))
    assert "Olga Overloaded 5 tasks" in page and "Above fair share" not in page


def test_someone_past_their_share_is_offered_a_rest_before_taking_more_and_may_take_it_anyway(app, client, noon):
    circle, coordinator, _, people = busy_circle()  # Olga carries 5; the cap is 3
    next_week = first_task(make_need(circle, coordinator, title="Groceries", start_date=date(2026, 6, 10)))
    tomorrow = first_task(make_need(circle, coordinator, title="Pharmacy run", start_date=date(2026, 6, 4)))
    client.sign_in(people["olga"].email, PASSWORD)

    def take(task, **extra):
        return client.post(
            f"/circles/{circle.id}/tasks/{task.id}/claim",
            {"next": f"/circles/{circle.id}/tasks"} | extra,
            form_url=f"/circles/{circle.id}/tasks",
        )

    offered = take(next_week)
    page = text(offered.get_data(as_text=True))
    assert offered.status_code == 200 and "You've been carrying a lot" in page
    assert "You have 5 tasks from the last 8 weeks to the next two, more than your fair share" in page
    assert "(up to 3)" in page and "Leave it for others" in page
    assert db.session.scalar(select(Task.claimed).where(Task.id == next_week.id)) == 0  # nothing taken yet
    assert take(next_week, anyway="1").status_code == 302
    assert db.session.scalar(select(Task.claimed).where(Task.id == next_week.id)) == 1
    assert take(tomorrow).status_code == 302  # too near to find someone else: no second thoughts asked
    assert db.session.scalar(select(Task.claimed).where(Task.id == tomorrow.id)) == 1
    client.sign_out()
    client.sign_in(people["bea"].email, PASSWORD)  # Bea carries 2: one more stays within 3
    later = first_task(make_need(circle, coordinator, title="Library books", start_date=date(2026, 6, 11)))
    assert take(later).status_code == 302


def test_a_coordinator_signing_someone_up_sees_who_carries_too_much_and_the_patient_does_not(app, client, noon):
    circle, coordinator, patient, people = busy_circle()
    task = first_task(make_need(circle, coordinator, title="Groceries", start_date=date(2026, 6, 10)))
    client.sign_in(coordinator.email, PASSWORD)
    page = client.get(f"/circles/{circle.id}/tasks/{task.id}").get_data(as_text=True)
    assert "Olga Overloaded (more than a fair share lately)" in page
    assert ">Bea Brown<" in page and "Bea Brown (" not in page
    client.sign_out()
    client.sign_in(patient.email, PASSWORD)
    page = client.get(f"/circles/{circle.id}/tasks/{task.id}").get_data(as_text=True)
    assert "Olga Overloaded" in page and "fair share" not in page  # the patient may assign, but is not told


def test_drift_lists_who_stopped_and_who_lets_asks_go_by_but_not_a_steady_helper(app, client, noon):
    circle, coordinator, _, _ = busy_circle()
    rows = {r.name: r.reason for r in drift_table(circle_id=circle.id)}
    assert rows == {
        "Sofia Silent": "3 asks in a row without an answer",
        "Dmitri Drifting": "0 in the last 3 weeks, down from about 1.0 a week",
    }
    client.sign_in(coordinator.email, PASSWORD)
    page = text(client.get(f"/circles/{circle.id}/health").get_data(as_text=True))
    assert "Drifting away Only coordinators see this." in page
    assert "Dmitri Drifting 0 in the last 3 weeks" in page and "Sofia Silent 3 asks in a row" in page
    assert "Stella Steady" not in page


def test_the_patient_sees_coverage_and_the_chart_but_never_load_or_drift(app, client, noon):
    circle, _, patient, people = busy_circle()
    client.sign_in(patient.email, PASSWORD)
    response = client.get(f"/circles/{circle.id}/health")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    page = text(body)
    assert "How your circle is doing" in page and "Coverage, next 14 days" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in body and "The chart as a list" in page
    for person in people.values():
        assert person.name not in body
    for private in ("Drifting away", "Above fair share", "Who is carrying what", "asks in a row"):
        assert private not in page


def test_a_patient_who_chose_none_sees_nothing_of_it(app, client, noon):
    circle, _, patient, people = busy_circle()
    health_settings_update(circle=circle, values={"patient_view": "none"})
    db.session.commit()
    client.sign_in(patient.email, PASSWORD)
    response = client.get(f"/circles/{circle.id}/health")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "You chose not to see this page" in body
    assert "<svg" not in body and "Coverage" not in body and "places" not in body
    assert not any(person.name in body for person in people.values())


def test_supporters_cannot_open_the_health_pages_or_see_the_link(app, client, noon):
    circle, _, _, people = busy_circle()
    client.sign_in(people["stella"].email, PASSWORD)
    assert client.get(f"/circles/{circle.id}/health").status_code == 404
    assert client.get(f"/circles/{circle.id}/health/settings").status_code == 404
    assert client.post(f"/circles/{circle.id}/health/settings", {"best_few": "9"}).status_code == 404
    assert f"/circles/{circle.id}/health" not in client.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    assert health_settings(circle) == HealthSettings()


def test_the_chart_is_safe_accessible_svg_with_whole_number_gridlines():
    svg = str(bar_chart_svg(labels=["<script>x</script>", "2 Jun & co"], values=[3, 7], title='Helpers "<b>"'))
    root = ET.fromstring(svg)  # well-formed XML
    assert root.get("role") == "img" and root.get("viewBox") == "0 0 640 240" and root.get("width") == "100%"
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == 'Helpers "<b>"'
    assert "<script" not in svg and "&lt;script&gt;" in svg and "2 Jun &amp; co" in svg
    assert "style=" not in svg and not any(name.startswith("on") for el in root.iter() for name in el.attrib)
    assert root.find(f"{ns}desc").text == "<script>x</script>: 3; 2 Jun & co: 7."
    grid = [t.text for t in root.iter(f"{ns}text") if t.get("text-anchor") == "end"]
    assert grid == ["0", "2", "4", "6", "8"]
    assert len(list(root.iter(f"{ns}rect"))) == 2
    quiet = ET.fromstring(str(bar_chart_svg(labels=[f"{n} Jan" for n in range(12)], values=[0] * 12, title="Quiet")))
    assert len(list(quiet.iter(f"{ns}rect"))) == 12  # a chart of zeros still draws


GOOD = {
    "first_ask_days": "10", "wider_ask_days": "4", "alert_days": "2", "best_few": "5", "backup_after_hours": "24",
    "fair_share_factor": "2.5", "reengage": "y", "archive_after_weeks": "8", "patient_view": "none",
    "patient_checkins": "y",
}  # fmt: skip


def test_settings_save_good_values(app, client):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    client.sign_in(coordinator.email, PASSWORD)
    url = f"/circles/{circle.id}/health/settings"
    assert 'value="7"' in client.get(url).get_data(as_text=True)  # the defaults are shown
    response = client.post(url, GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/circles/{circle.id}/health")
    db.session.refresh(circle)
    assert health_settings(circle) == HealthSettings(10, 4, 2, 5, 2.5, 24, True, 8, True, "none")
    changed = db.session.scalar(select(Event.data).where(Event.kind == "circle.settings_changed"))
    assert set(changed["health_settings"]) == set(GOOD) - {"reengage"}  # already on


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"alert_days": "5", "wider_ask_days": "3"}, "wider_ask_days", "days must go down"),
        ({"best_few": "0"}, "best_few", "Choose a number from 1 to 10."),
        ({"best_few": ""}, "best_few", "Choose a number from 1 to 10."),
        ({"fair_share_factor": "lots"}, "fair_share_factor", "Enter a number like 2 or 2.5."),
        ({"fair_share_factor": "nan"}, "fair_share_factor", "Enter a number like 2 or 2.5."),
        ({"archive_after_weeks": "-3"}, "archive_after_weeks", "Enter a whole number."),
        ({"patient_view": "everything"}, "patient_view", "Choose what the patient sees."),
    ],
)
def test_bad_settings_get_a_message_by_the_field_and_nothing_is_saved(app, client, changes, field, message):
    coordinator = make_user()
    circle = make_circle(coordinator=coordinator)
    client.sign_in(coordinator.email, PASSWORD)
    response = client.post(f"/circles/{circle.id}/health/settings", GOOD | changes)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', response.get_data(as_text=True))
    assert error and message in html.unescape(error.group(1))
    db.session.refresh(circle)
    assert circle.health_settings == {} and health_settings(circle) == HealthSettings()


def test_the_patient_may_choose_to_see_nothing(app, client):
    patient = make_user()
    circle = make_circle(patient=patient)
    client.sign_in(patient.email, PASSWORD)
    response = client.post(f"/circles/{circle.id}/health/settings", GOOD)
    assert response.status_code == 302
    db.session.refresh(circle)
    assert health_settings(circle).patient_view == "none"


_phones = itertools.count(5000)


def big_circle(supporters: int, tasks: int, events_each: int):
    """A circle with a history, built with bulk inserts: claims on half the tasks, weekly events."""
    coordinator, patient = make_user(), make_user()
    circle = make_circle(coordinator=coordinator, patient=patient)
    people = [User(name=f"Helper {n}", phone=f"+1202556{next(_phones):04d}", email=None) for n in range(supporters)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all([Membership(circle=circle, user=u, role="supporter") for u in people])
    need = make_need(circle, coordinator)
    start, series = date(2026, 4, 1), date(2030, 1, 1)
    rows = []
    for n in range(tasks):
        day = start + timedelta(days=n % 90)
        moment = datetime.combine(day, time(13 + n % 8), tzinfo=UTC)
        rows.append(
            {"need_id": need.id, "circle_id": circle.id, "series_date": series + timedelta(days=n), "local_date": day,
             "timezone": circle.timezone, "starts_at": moment, "ends_at": moment + timedelta(hours=1),
             "capacity": 2, "claimed": 1 if n % 2 == 0 else 0}
        )  # fmt: skip
    db.session.execute(insert(Task), rows)
    ids = db.session.scalars(select(Task.id).where(Task.circle_id == circle.id, Task.claimed == 1)).all()
    db.session.execute(
        insert(Claim),
        [{"task_id": t, "user_id": people[i % len(people)].id, "circle_id": circle.id} for i, t in enumerate(ids)],
    )
    db.session.execute(update(Task).where(Task.id.in_(ids[:3])).values(covered_elsewhere_at=WEDNESDAY_NOON))
    events = [
        {"circle_id": circle.id, "subject_id": u.id, "actor_id": u.id, "data": {},
         "object_type": "task", "object_id": ids[(i + k) % len(ids)],  # what the week's story tells (this_week.py)
         "kind": "ask.sent" if (k + i) % 5 == 0 else "claim.made",
         "occurred_at": WEDNESDAY_NOON - timedelta(weeks=k if i % 3 else k + 4, hours=i % 50)}
        for i, u in enumerate(people) for k in range(events_each)
    ]  # fmt: skip
    db.session.execute(insert(Event), events)
    db.session.commit()
    return circle, coordinator, patient


@pytest.mark.slow
def test_the_health_page_runs_a_fixed_number_of_queries_whatever_the_size(app, noon):
    small = big_circle(supporters=3, tasks=30, events_each=3)
    big = big_circle(supporters=300, tasks=3000, events_each=12)
    counts = []
    for circle, coordinator, patient in (small, big):
        assert drift_table(circle_id=circle.id) and load_table(
            circle_load(circle_id=circle.id, factor=2.0)
        )  # all of it shows
        found = {}
        for role, user in (("coordinator", coordinator), ("patient", patient)):
            browser, url = WebClient(app.test_client()), f"/circles/{circle.id}/health"
            browser.sign_in(user.email, PASSWORD)
            with counting(db.engine) as statements:
                response = browser.get(url)
            assert response.status_code == 200
            found[role] = len(statements)
        counts.append(found)
    assert counts[0] == counts[1], f"query counts grew with size: {counts}"
    # 9 for a coordinator: who is asking with their place, load (2: who holds what with their names; the
    # circle's slots and helpers), coverage, weekly, drift (active supporters' events with their names), what the
    # service did this week (2: its asks, offers, yeses and alerts; each supporter's asks), the treatment days.
    assert counts[1]["coordinator"] <= 9 and counts[1]["patient"] < counts[1]["coordinator"], counts


def test_what_the_patient_sees_and_gets_texted_is_the_patients_choice(app):
    patient, coordinator = make_user(name="Maria Lopez"), make_user(name="Daniel")
    circle = make_circle(patient=patient, coordinator=coordinator)
    url = f"/circles/{circle.id}/health/settings"
    daniel = WebClient(app.test_client())
    daniel.sign_in(coordinator.email, PASSWORD)
    assert "Maria chooses whether to see" in daniel.get(url).get_data(as_text=True)
    assert daniel.post(url, GOOD).status_code == 302
    db.session.refresh(circle)
    settings = health_settings(circle)
    assert (settings.patient_view, settings.patient_checkins) == ("gentle", False)  # unchanged by a coordinator
    assert settings.first_ask_days == 10  # the coordinator's own settings did change
    maria = WebClient(app.test_client())
    maria.sign_in(patient.email, PASSWORD)
    assert maria.post(url, GOOD).status_code == 302
    db.session.refresh(circle)
    assert (health_settings(circle).patient_view, health_settings(circle).patient_checkins) == ("none", True)
