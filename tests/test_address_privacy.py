"""The patient's address goes to a supporter only while the task is theirs to do.

An outside review found a supporter who drove once kept seeing the home
address on the task page for good. The rule now: the patient and coordinators
always see it; a supporter sees it from taking the task until it is over (its
end time passes, or they mark it done or give it back), on the task page,
on "my tasks" and in their calendar feed alike.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from icalendar import Calendar

from coordinator.services.care.feeds import feed_token
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.web import WebClient

ADDRESS = "12 Elm Street, Springfield"
PICKUP_DOOR = "Side door by the ramp"


def setup_ride():
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(coordinator=coordinator)
    sam = make_user(name="Sam Carter", phone="+12025550110")
    membership = add_member(circle, sam)
    need = make_need(circle, coordinator, title="Ride to chemo", address=ADDRESS, details={"destination": PICKUP_DOOR})
    coordinator_membership = next(m for m in circle.memberships if m.user_id == coordinator.id)
    return circle, first_task(need), (sam, membership), (coordinator, coordinator_membership)


def browser(app, user) -> WebClient:
    client = WebClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    return client


def what_they_see(client: WebClient, circle, task, membership) -> dict[str, bool]:
    """Where the address shows for this member: the task page, "my tasks", the calendar feed's LOCATION."""
    page = client.get(f"/circles/{circle.id}/tasks/{task.id}").get_data(as_text=True)
    mine = client.get(f"/circles/{circle.id}/mine").get_data(as_text=True)
    feed = client.get(f"/feeds/{feed_token(membership)}.ics")
    events = {str(e["UID"]): e for e in Calendar.from_ical(feed.get_data()).events}
    event = events.get(f"task-{task.id}@coordinator")
    return {
        "page": ADDRESS in page and PICKUP_DOOR in page,
        "mine": ADDRESS in mine,
        "feed": event is not None and str(event.get("LOCATION", "")) == ADDRESS,
    }


def take(client: WebClient, circle, task) -> None:
    url = f"/circles/{circle.id}/tasks/{task.id}"
    response = client.post(f"{url}/claim", form_url=url)
    assert response.status_code == 302


def test_a_supporter_sees_the_address_while_they_hold_the_task_and_not_before(app):
    circle, task, (sam, membership), _ = setup_ride()
    client = browser(app, sam)
    assert what_they_see(client, circle, task, membership) == {"page": False, "mine": False, "feed": False}
    take(client, circle, task)
    assert what_they_see(client, circle, task, membership) == {"page": True, "mine": True, "feed": True}


def test_once_they_mark_it_done_the_address_is_gone_everywhere(app):
    circle, task, (sam, membership), _ = setup_ride()
    client = browser(app, sam)
    take(client, circle, task)
    url = f"/circles/{circle.id}/tasks/{task.id}"
    with time_machine.travel(task.starts_at + timedelta(minutes=30), tick=False):
        assert what_they_see(client, circle, task, membership) == {"page": True, "mine": True, "feed": True}
        done = client.post(f"{url}/done", form_url=url)
        assert done.status_code == 302
        page = client.get(url).get_data(as_text=True)
        assert "You're doing this (done)" in page and "were shown while this was yours to do" in page
        assert what_they_see(client, circle, task, membership) == {"page": False, "mine": False, "feed": False}


def test_a_held_task_whose_time_is_over_no_longer_shows_the_address(app):
    circle, task, (sam, membership), _ = setup_ride()
    client = browser(app, sam)
    take(client, circle, task)
    with time_machine.travel(task.ends_at - timedelta(minutes=1), tick=False):
        assert what_they_see(client, circle, task, membership)["page"] is True  # still on the way
    with time_machine.travel(task.ends_at + timedelta(minutes=1), tick=False):
        assert what_they_see(client, circle, task, membership) == {"page": False, "mine": False, "feed": False}
        assert "Ride to chemo" in client.get(f"/circles/{circle.id}/mine").get_data(as_text=True)  # still listed


def test_giving_it_back_takes_the_address_away(app):
    circle, task, (sam, membership), _ = setup_ride()
    client = browser(app, sam)
    take(client, circle, task)
    url = f"/circles/{circle.id}/tasks/{task.id}"
    assert client.post(f"{url}/release", form_url=f"{url}/release").status_code == 302
    assert what_they_see(client, circle, task, membership) == {"page": False, "mine": False, "feed": False}


def test_coordinators_always_see_the_address_even_after_the_task(app):
    circle, task, (sam, _), (coordinator, coordinator_membership) = setup_ride()
    take(browser(app, sam), circle, task)
    client = browser(app, coordinator)
    page_url = f"/circles/{circle.id}/tasks/{task.id}"
    with time_machine.travel(task.ends_at + timedelta(days=2), tick=False):
        assert ADDRESS in client.get(page_url).get_data(as_text=True)
        feed = client.get(f"/feeds/{feed_token(coordinator_membership)}.ics").get_data()
        events = {str(e["UID"]): e for e in Calendar.from_ical(feed).events}
        assert str(events[f"task-{task.id}@coordinator"]["LOCATION"]) == ADDRESS
