"""What supporters and coordinators see: lists, calendar, my tasks, privacy, and claiming on the web."""

from __future__ import annotations

from datetime import time, timedelta

import time_machine
from sqlalchemy import func, select

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Claim, Event, Message, Task
from coordinator.services.care.claims import claim_make
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user

ADDRESS = "12 Elm St, Springfield"


def setup_circle():
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(coordinator=coordinator)
    supporter = make_user(name="Sam Carter", phone="+12025550110")
    other = make_user(name="Priya Natarajan", phone="+12025550111")
    members = {u.id: add_member(circle, u) for u in (supporter, other)}
    return circle, coordinator, supporter, other, members


def test_a_supporter_claims_from_the_list_and_sees_it_in_my_tasks(client):
    circle, coordinator, supporter, _, _ = setup_circle()
    task = first_task(make_need(circle, coordinator, address=ADDRESS, title="Ride to the clinic"))
    client.sign_in(supporter.email, PASSWORD)
    listing = client.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    assert "Ride to the clinic" in listing and "Needs someone" in listing
    assert ADDRESS not in listing
    response = client.post(
        f"/circles/{circle.id}/tasks/{task.id}/claim",
        {"next": f"/circles/{circle.id}/tasks"},
        form_url=f"/circles/{circle.id}/tasks",
    )
    assert response.headers["Location"] == f"/circles/{circle.id}/tasks"
    assert "It&#39;s yours" in client.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    mine = client.get(f"/circles/{circle.id}/mine").get_data(as_text=True)
    assert "Ride to the clinic" in mine and ADDRESS in mine
    assert db.session.scalar(select(Event.kind).where(Event.kind == "claim.made")) == "claim.made"


def test_second_supporter_cannot_claim_a_full_ride(client, app):
    circle, coordinator, supporter, other, members = setup_circle()
    task = first_task(make_need(circle, coordinator))
    claim_make(membership=members[supporter.id], task_id=task.id)
    db.session.commit()
    client.sign_in(other.email, PASSWORD)
    response = client.post(
        f"/circles/{circle.id}/tasks/{task.id}/claim", form_url=f"/circles/{circle.id}/tasks/{task.id}"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already taken" in page
    assert db.session.scalar(select(func.count(Claim.id))) == 1


def test_the_address_is_only_for_the_claimer_and_coordinators(app):
    from tests.web import WebClient

    circle, coordinator, supporter, other, members = setup_circle()
    task = first_task(make_need(circle, coordinator, address=ADDRESS, details={"pickup": "Side door"}))
    claim_make(membership=members[supporter.id], task_id=task.id)
    db.session.commit()
    url = f"/circles/{circle.id}/tasks/{task.id}"
    pages = {}
    for user in (supporter, other, coordinator):
        browser = WebClient(app.test_client())
        browser.sign_in(user.email, PASSWORD)
        pages[user.name] = browser.get(url).get_data(as_text=True)
    assert ADDRESS in pages["Sam Carter"] and "Side door" in pages["Sam Carter"]
    assert ADDRESS in pages["Daniel Lopez"] and "Sam Carter" in pages["Daniel Lopez"]
    assert ADDRESS not in pages["Priya Natarajan"] and "Side door" not in pages["Priya Natarajan"]
    assert "Sam Carter" not in pages["Priya Natarajan"]  # supporters don't see who else signed up
    for page in pages.values():
        assert "+1202555" not in page and "@example.org" not in page.split("</header>")[1]


def test_inner_circle_needs_are_hidden_from_everyone_else(client):
    circle, coordinator, supporter, other, members = setup_circle()
    task = first_task(make_need(circle, coordinator, title="Sit with me", visibility="inner"))
    members[supporter.id].inner_circle = True
    db.session.commit()
    client.sign_in(other.email, PASSWORD)
    assert "Sit with me" not in client.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    assert client.get(f"/circles/{circle.id}/tasks/{task.id}").status_code == 404
    denied = client.post(f"/circles/{circle.id}/tasks/{task.id}/claim", form_url=f"/circles/{circle.id}/tasks")
    assert denied.status_code == 404
    insider = client.__class__(client.raw._client.application.test_client())
    insider.sign_in(supporter.email, PASSWORD)
    assert "Sit with me" in insider.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)


def test_filters_by_category_and_date(client):
    circle, coordinator, supporter, _, _ = setup_circle()
    today = today_in(circle.timezone)
    make_need(circle, coordinator, title="Ride A", start_date=today + timedelta(days=1))
    make_need(circle, coordinator, category="meal", title="Lasagna", start_date=today + timedelta(days=2))
    make_need(circle, coordinator, title="Ride B", start_date=today + timedelta(days=9))
    client.sign_in(supporter.email, PASSWORD)
    rides = client.get(f"/circles/{circle.id}/tasks?category=ride").get_data(as_text=True)
    assert "Ride A" in rides and "Ride B" in rides and "Lasagna" not in rides
    soon = client.get(f"/circles/{circle.id}/tasks?to={(today + timedelta(days=3)).isoformat()}").get_data(as_text=True)
    assert "Ride A" in soon and "Lasagna" in soon and "Ride B" not in soon
    garbage = client.get(f"/circles/{circle.id}/tasks?from=yesterday&category=<x>")
    assert garbage.status_code == 200


def test_week_calendar_shows_who_is_driving_to_the_patient(app):
    from tests.web import WebClient

    patient = make_user(name="Maria Lopez")
    circle = make_circle(patient=patient)
    supporter = make_user(name="Sam Carter")
    membership = add_member(circle, supporter)
    task = first_task(make_need(circle, patient, title="Ride to chemo"))
    claim_make(membership=membership, task_id=task.id)
    db.session.commit()
    browser = WebClient(app.test_client())
    browser.sign_in(patient.email, PASSWORD)
    page = browser.get(f"/circles/{circle.id}/calendar?week={task.local_date.isoformat()}").get_data(as_text=True)
    assert "Ride to chemo" in page and "Sam Carter" in page


def test_overlapping_claim_warns(client):
    circle, coordinator, supporter, _, members = setup_circle()
    first = first_task(make_need(circle, coordinator, title="Morning ride"))
    second = first_task(
        make_need(circle, coordinator, category="meal", title="Brunch", start_time=first.start_time.replace(minute=30))
    )
    claim_make(membership=members[supporter.id], task_id=first.id)
    db.session.commit()
    client.sign_in(supporter.email, PASSWORD)
    listing = client.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    assert "Overlaps “Morning ride”" in listing
    response = client.post(f"/circles/{circle.id}/tasks/{second.id}/claim", form_url=f"/circles/{circle.id}/tasks")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Heads up: this overlaps “Morning ride”" in page


def test_release_with_a_note_frees_the_spot_and_tells_coordinators(client):
    circle, coordinator, supporter, _, members = setup_circle()
    task = first_task(make_need(circle, coordinator))
    claim_make(membership=members[supporter.id], task_id=task.id)
    db.session.commit()
    client.sign_in(supporter.email, PASSWORD)
    url = f"/circles/{circle.id}/tasks/{task.id}"
    client.post(url + "/release", {"note": "My shift changed"}, form_url=url)
    client.post(url + "/release", {"note": "again"}, form_url=url)  # a second release is a no-op
    db.session.refresh(task)
    assert task.claimed == 0
    claim = db.session.scalar(select(Claim))
    assert (claim.status, claim.release_note) == ("released", "My shift changed")
    told = db.session.scalars(select(Message).where(Message.kind == "claim_released")).all()
    assert [m.user_id for m in told] == [coordinator.id]
    assert "Sam can't do a ride" in told[0].body


def test_mark_done(client):
    circle, coordinator, supporter, _, members = setup_circle()
    task = first_task(make_need(circle, coordinator))
    claim_make(membership=members[supporter.id], task_id=task.id)
    db.session.commit()
    client.sign_in(supporter.email, PASSWORD)
    with time_machine.travel(task.starts_at + timedelta(minutes=30), tick=False):
        assert "Mark it done" in client.get(f"/circles/{circle.id}/mine").get_data(as_text=True)
        client.post(f"/circles/{circle.id}/tasks/{task.id}/done", form_url=f"/circles/{circle.id}/mine")
        assert db.session.scalar(select(Claim.status)) == "done"
        assert "Done" in client.get(f"/circles/{circle.id}/mine").get_data(as_text=True)


def test_a_task_cannot_be_marked_done_before_it_has_happened(client):
    circle, coordinator, supporter, _, members = setup_circle()
    task = first_task(make_need(circle, coordinator))  # tomorrow at 9
    claim_make(membership=members[supporter.id], task_id=task.id)
    db.session.commit()
    client.sign_in(supporter.email, PASSWORD)
    mine = client.get(f"/circles/{circle.id}/mine").get_data(as_text=True)
    assert "Mark it done" not in mine and "I can't make it" in mine
    response = client.post(f"/circles/{circle.id}/tasks/{task.id}/done", form_url=f"/circles/{circle.id}/tasks")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "once it has happened" in page
    assert db.session.scalar(select(Claim.status)) == "held"


def test_coordinator_assigns_and_unassigns_and_the_person_is_told(client):
    circle, coordinator, supporter, _, _ = setup_circle()
    task = first_task(make_need(circle, coordinator))
    client.sign_in(coordinator.email, PASSWORD)
    url = f"/circles/{circle.id}/tasks/{task.id}"
    client.post(url + "/assign", {"user_id": str(supporter.id)}, form_url=url)
    db.session.refresh(task)
    assert task.claimed == 1
    client.post(url + f"/unassign/{supporter.id}", form_url=url)
    db.session.refresh(task)
    assert task.claimed == 0
    kinds = db.session.scalars(select(Message.kind).where(Message.user_id == supporter.id).order_by(Message.id)).all()
    assert kinds == ["claim_assigned", "claim_unassigned"]


def test_coordinator_cannot_assign_a_stranger(client):
    circle, coordinator, _, _, _ = setup_circle()
    stranger = make_user()
    task = first_task(make_need(circle, coordinator))
    client.sign_in(coordinator.email, PASSWORD)
    url = f"/circles/{circle.id}/tasks/{task.id}"
    client.post(url + "/assign", {"user_id": str(stranger.id)}, form_url=url)
    assert db.session.get(Task, task.id).claimed == 0


def test_cancelling_one_date_tells_the_holder(client):
    circle, coordinator, supporter, _, members = setup_circle()
    task = first_task(make_need(circle, coordinator))
    claim_make(membership=members[supporter.id], task_id=task.id)
    db.session.commit()
    client.sign_in(coordinator.email, PASSWORD)
    url = f"/circles/{circle.id}/tasks/{task.id}"
    client.post(url + "/cancel", form_url=url)
    db.session.refresh(task)
    assert task.status == "cancelled"
    message = db.session.scalar(select(Message).where(Message.user_id == supporter.id))
    assert message.kind == "task_cancelled" and message.channel == "sms" and message.to_address == "+12025550110"


def test_a_long_list_continues_on_later_pages_without_gaps_or_repeats(client):
    import re

    from coordinator.services.care.recurrence import Repeat

    circle, coordinator, supporter, _, _ = setup_circle()
    for n in range(3):
        make_need(
            circle,
            coordinator,
            title=f"Daily {n}",
            start_time=time(9 + n),
            end_time=time(10 + n),
            repeat=Repeat("daily", (), "count", count=45),
        )
    total = db.session.scalar(select(func.count(Task.id)))
    client.sign_in(supporter.email, PASSWORD)
    seen, url, pages = [], f"/circles/{circle.id}/tasks", 0
    while url and pages < 5:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'href="/circles/\d+/tasks/(\d+)"', html)
        found = re.search(r'href="(/circles/\d+/tasks\?[^"]*from=[^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert pages >= 2
    assert len(seen) == len(set(seen)) == total


def test_giving_back_asks_first_and_only_the_holder_is_asked(client):
    circle, coordinator, supporter, other, members = setup_circle()
    task = first_task(make_need(circle, coordinator, title="Ride to the clinic"))
    claim_make(membership=members[supporter.id], task_id=task.id)
    db.session.commit()
    url = f"/circles/{circle.id}/tasks/{task.id}/release"
    client.sign_in(other.email, PASSWORD)
    not_theirs = client.get(url)
    assert not_theirs.status_code == 302  # nothing to give back: no question, just the task page
    assert "nothing to give back" in client.get(not_theirs.headers["Location"]).get_data(as_text=True)
    client.sign_out()
    client.sign_in(supporter.email, PASSWORD)
    question = client.get(url).get_data(as_text=True)
    assert "Give back “Ride to the clinic”?" in question and "very soon" in question  # it's tomorrow
    assert db.session.scalar(select(Claim.status)) == "held"  # asking changed nothing
