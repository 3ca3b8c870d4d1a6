"""Secret calendar feeds: what each member's calendar shows, and that the link is the only key."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from icalendar import Calendar

from coordinator.extensions import db
from coordinator.models import Membership
from coordinator.services.care.claims import claim_make, claim_release
from coordinator.services.care.feeds import feed_token
from coordinator.services.care.recurrence import Repeat
from tests.factories import PASSWORD, add_member, finish, first_task, make_circle, make_need, make_user
from tests.queries import counting
from tests.web import WebClient

ADDRESS = "12 Elm Street, Springfield"


def feed(client, membership):
    return client.get(f"/feeds/{feed_token(membership)}.ics")


def events(response) -> dict:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    return {str(e["UID"]): e for e in calendar.events}


def claim(membership, task) -> None:
    claim_make(membership=membership, task_id=task.id)
    db.session.commit()


def setup_circle():
    coordinator = make_user(name="Carla Coordinator", phone="+12025550101")
    circle = make_circle(patient=make_user(name="Maria Lopez"), coordinator=coordinator, name="Team Maria")
    sam, ana = make_user(name="Sam Carter", phone="+12025550102"), make_user(name="Ana Ruiz", phone="+12025550103")
    return circle, coordinator, add_member(circle, sam), add_member(circle, ana)


def coordinator_membership(circle, user):
    return next(m for m in circle.memberships if m.user_id == user.id)


def test_a_supporters_feed_has_only_the_tasks_they_hold_with_the_address(client):
    circle, coordinator, sam, ana = setup_circle()
    ride = first_task(make_need(circle, coordinator, title="Ride to chemo", address=ADDRESS, notes="Blue door"))
    meal = first_task(make_need(circle, coordinator, category="meal", title="Dinner", address="9 Oak Road"))
    claim(sam, ride)
    claim(ana, meal)

    response = feed(client, sam)
    found = events(response)
    assert list(found) == [f"task-{ride.id}@coordinator"]
    ride_event = found[f"task-{ride.id}@coordinator"]
    assert str(ride_event["SUMMARY"]) == "Ride to chemo"
    assert str(ride_event["LOCATION"]) == ADDRESS
    assert "Rides to appointments" in str(ride_event["DESCRIPTION"]) and "Blue door" in str(ride_event["DESCRIPTION"])
    assert Calendar.from_ical(response.get_data()).calendar_name == "Team Maria"
    body = response.get_data(as_text=True)
    assert "9 Oak Road" not in body and "Dinner" not in body
    assert response.headers["Cache-Control"] == "no-store, private"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_supporter_who_does_not_hold_a_task_never_sees_its_address(client):
    circle, coordinator, sam, ana = setup_circle()
    ride = first_task(make_need(circle, coordinator, title="Ride to chemo", address=ADDRESS, capacity=2))
    visit = first_task(make_need(circle, coordinator, category="visit", title="Afternoon visit", address="9 Oak Road"))
    claim(ana, ride)
    claim(sam, visit)
    claim_release(membership=sam, task_id=visit.id)  # took it, then gave it back
    db.session.commit()
    response = feed(client, sam)
    assert events(response) == {}
    body = response.get_data(as_text=True)
    assert "Elm Street" not in body and "Oak Road" not in body


def test_a_task_marked_done_stays_in_the_supporters_feed_without_the_address(client):
    circle, coordinator, sam, _ = setup_circle()
    ride = first_task(make_need(circle, coordinator, address=ADDRESS))
    claim(sam, ride)
    finish(sam, ride)
    db.session.commit()
    event = events(feed(client, sam))[f"task-{ride.id}@coordinator"]
    assert "LOCATION" not in event  # once it's done they no longer need the patient's address


def test_a_coordinators_feed_has_every_task_with_who_is_doing_it_and_no_contact_details(client):
    circle, coordinator, sam, ana = setup_circle()
    ride = first_task(make_need(circle, coordinator, title="Ride to chemo", address=ADDRESS, capacity=2))
    meal = first_task(make_need(circle, coordinator, category="meal", title="Dinner", address="9 Oak Road"))
    errand = first_task(
        make_need(circle, coordinator, category="errands", title="Pharmacy pickup", anytime=True, start_time=None)
    )
    claim(sam, ride)
    claim(ana, ride)

    response = feed(client, coordinator_membership(circle, coordinator))
    found = events(response)
    assert set(found) == {f"task-{t.id}@coordinator" for t in (ride, meal, errand)}
    ride_event = found[f"task-{ride.id}@coordinator"]
    assert str(ride_event["LOCATION"]) == ADDRESS
    assert "Sam Carter" in str(ride_event["DESCRIPTION"]) and "Ana Ruiz" in str(ride_event["DESCRIPTION"])
    assert "Nobody has taken this yet." in str(found[f"task-{meal.id}@coordinator"]["DESCRIPTION"])
    due = found[f"task-{errand.id}@coordinator"]
    assert str(due["SUMMARY"]) == "Due: Pharmacy pickup"
    assert (due.start, due.end) == (errand.local_date, errand.local_date + timedelta(days=1))
    body = response.get_data(as_text=True)
    for person in (coordinator, sam.user, ana.user):
        assert person.email not in body and person.phone.removeprefix("+1") not in body


def test_cancelled_tasks_leave_the_feed(client):
    from coordinator.services.care.task_changes import task_cancel

    circle, coordinator, sam, _ = setup_circle()
    ride = first_task(make_need(circle, coordinator))
    claim(sam, ride)
    task_cancel(task=ride, actor=coordinator)
    db.session.commit()
    assert events(feed(client, sam)) == {}
    assert events(feed(client, coordinator_membership(circle, coordinator))) == {}


def test_a_weekly_nine_oclock_stays_at_nine_across_the_clock_change(client):
    circle, coordinator, sam, _ = setup_circle()
    with time_machine.travel(datetime(2026, 10, 20, 12, tzinfo=UTC), tick=False):
        need = make_need(
            circle,
            coordinator,
            start_date=date(2026, 10, 27),
            repeat=Repeat("weekly", ("TU",), "count", count=6),
        )
        for task in need.tasks:
            claim(sam, task)
        tasks = {f"task-{t.id}@coordinator": t for t in need.tasks}
        offsets = {t.starts_at.hour for t in tasks.values()}
        assert offsets == {13, 14}, "the series should span the switch from EDT to EST"
        for response in (feed(client, sam), feed(client, coordinator_membership(circle, coordinator))):
            calendar = Calendar.from_ical(response.get_data())
            assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]
            found = {str(e["UID"]): e for e in calendar.events}
            assert set(found) == set(tasks)
            for uid, task in tasks.items():
                assert found[uid]["DTSTART"].params["TZID"] == "America/New_York"
                assert found[uid].start.time() == time(9, 0)
                assert found[uid].start.astimezone(UTC) == task.starts_at
                assert found[uid].end.astimezone(UTC) == task.ends_at


def test_tasks_more_than_thirty_days_old_drop_off(client):
    circle, coordinator, sam, _ = setup_circle()
    with time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False):
        need = make_need(
            circle, coordinator, start_date=date(2026, 3, 3), repeat=Repeat("weekly", ("TU",), "count", count=6)
        )
        for task in need.tasks:
            claim(sam, task)
    first, *rest = sorted(need.tasks, key=lambda t: t.starts_at)
    with time_machine.travel(first.ends_at + timedelta(days=31), tick=False):
        found = events(feed(client, sam))
    assert f"task-{first.id}@coordinator" not in found
    assert set(found) == {f"task-{t.id}@coordinator" for t in rest}


def test_a_feed_costs_the_same_queries_for_one_task_or_many(client):
    circle, coordinator, sam, ana = setup_circle()
    managing = coordinator_membership(circle, coordinator)
    claim(sam, first_task(make_need(circle, coordinator, capacity=2)))

    def queries(membership) -> int:
        with counting(db.engine) as statements:
            assert feed(client, membership).status_code == 200
        return len(statements)

    few = (queries(sam), queries(managing))
    need = make_need(circle, coordinator, capacity=2, repeat=Repeat("daily", (), "count", count=8))
    for task in need.tasks:
        claim(sam, task)
        claim(ana, task)
    assert (queries(sam), queries(managing)) == few


def test_resetting_the_link_kills_the_old_one_and_the_new_one_works(client):
    circle, coordinator, sam, _ = setup_circle()
    claim(sam, first_task(make_need(circle, coordinator)))
    old = f"/feeds/{feed_token(sam)}.ics"
    client.sign_in(sam.user.email, PASSWORD)
    page = client.get(f"/circles/{circle.id}/calendar-feed")
    assert page.status_code == 200
    assert f"http://localhost{old}" in page.get_data(as_text=True)

    response = client.post(f"/circles/{circle.id}/calendar-feed/reset", form_url=f"/circles/{circle.id}/calendar-feed")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your old calendar link no longer works. Here is the new one." in page
    db.session.refresh(sam)
    new = f"/feeds/{feed_token(sam)}.ics"
    assert new != old and f"http://localhost{new}" in page
    assert client.get(old).status_code == 404
    assert len(events(client.get(new))) == 1


def test_a_reset_without_the_form_token_is_refused(client):
    circle, _, sam, _ = setup_circle()
    before = feed_token(sam)
    client.sign_in(sam.user.email, PASSWORD)
    response = client.raw.post(f"/circles/{circle.id}/calendar-feed/reset", data={})
    assert response.status_code == 400
    db.session.refresh(sam)
    assert feed_token(sam) == before


def test_a_removed_or_archived_members_feed_is_gone(client):
    circle, _, sam, ana = setup_circle()
    assert feed(client, sam).status_code == 200
    sam.status, ana.status = "removed", "archived"
    db.session.commit()
    assert feed(client, sam).status_code == 404
    assert feed(client, ana).status_code == 404


def test_forged_and_garbled_tokens_get_404(client):
    circle, _, sam, ana = setup_circle()
    signature = feed_token(sam).split("-", 1)[1]
    forged = [
        f"{ana.id}-{signature}",  # someone else's id with Sam's signature
        f"{sam.id}-{'0' * 32}",
        f"{sam.id}-{signature.upper()}",
        f"{sam.id}-{signature[:-1]}",
        f"{sam.id}{signature}",
        f"0{sam.id}-{signature}",
        f"99999999999999999999-{signature}",
        f"2147483648-{signature}",
        "garbage",
        f"{sam.id}-",
    ]
    for token in forged:
        assert client.get(f"/feeds/{token}.ics").status_code == 404, token
    assert feed(client, sam).status_code == 200


def test_the_feed_link_depends_on_the_secret_key(make_app):
    one = make_app()
    with one.app_context():
        circle, _, sam, _ = setup_circle()
        token = feed_token(sam)
    other = make_app(SECRET_KEY="another-" + "y" * 40)
    with other.app_context():
        assert feed_token(db.session.get(Membership, sam.id)) != token
        assert WebClient(other.test_client()).get(f"/feeds/{token}.ics").status_code == 404


def test_the_feed_page_of_another_circle_is_404(client):
    circle, _, sam, _ = setup_circle()
    other = make_circle(patient=make_user(), name="Someone else")
    client.sign_in(sam.user.email, PASSWORD)
    assert client.get(f"/circles/{circle.id}/calendar-feed").status_code == 200
    assert client.get(f"/circles/{other.id}/calendar-feed").status_code == 404
    assert client.post(f"/circles/{other.id}/calendar-feed/reset", form_url="/account").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in_for_the_feed_page(client):
    circle, _, _, _ = setup_circle()
    response = client.get(f"/circles/{circle.id}/calendar-feed")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
