"""Roles, removal, privacy between supporters, and supporter preferences."""

from __future__ import annotations

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Claim, Invitation, Membership, Message, Task
from coordinator.services.care.claims import claim_make
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.web import WebClient


def circle_with_people():
    patient = make_user(name="Maria Lopez", phone="+12025550100")
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(patient=patient, coordinator=coordinator)
    sam = make_user(name="Sam Carter", phone="+12025550110", email="sam@example.org")
    priya = make_user(name="Priya Natarajan", phone="+12025550111", email="priya@example.org")
    members = {u.name: add_member(circle, u) for u in (sam, priya)}
    return circle, patient, coordinator, sam, priya, members


def signed_in(app, user) -> WebClient:
    browser = WebClient(app.test_client())
    assert browser.sign_in(user.email, PASSWORD).status_code == 302
    return browser


def test_supporters_never_see_each_others_numbers_or_emails(app):
    circle, patient, coordinator, sam, priya, _ = circle_with_people()
    sam_view = signed_in(app, sam)
    for names_visible in (False, True):
        circle.names_visible = names_visible
        db.session.commit()
        pages = [
            sam_view.get(f"/circles/{circle.id}{p}").get_data(as_text=True)
            for p in ("", "/people", "/tasks", "/calendar")
        ]
        for page in pages:
            for secret in ("202-555-0111", "priya@example.org", "+12025550111", "202-555-0101"):
                assert secret not in page
        assert ("Priya Natarajan" in pages[1]) is names_visible
    coordinator_view = signed_in(app, coordinator)
    people = coordinator_view.get(f"/circles/{circle.id}/people").get_data(as_text=True)
    assert "+1 202-555-0111" in people and "priya@example.org" in people


def test_the_patient_makes_a_supporter_a_coordinator_and_takes_it_back(app):
    circle, patient, coordinator, sam, _, members = circle_with_people()
    url = f"/circles/{circle.id}/people/{members['Sam Carter'].id}/role"
    coordinator_view = signed_in(app, coordinator)
    coordinator_view.post(url + "/coordinator", form_url=f"/circles/{circle.id}/people")
    assert db.session.get(Membership, members["Sam Carter"].id).role == "supporter"  # coordinators can't
    patient_view = signed_in(app, patient)
    patient_view.post(url + "/coordinator", form_url=f"/circles/{circle.id}/people")
    db.session.expire_all()
    assert db.session.get(Membership, members["Sam Carter"].id).role == "coordinator"
    sam_view = signed_in(app, sam)
    assert sam_view.get(f"/circles/{circle.id}/needs/new").status_code == 200
    patient_view.post(url + "/supporter", form_url=f"/circles/{circle.id}/people")
    assert sam_view.get(f"/circles/{circle.id}/needs/new").status_code == 404


def test_removing_someone_ends_their_access_tasks_invitations_feed_and_messages(app):
    from coordinator.services.care.feeds import feed_token
    from coordinator.services.texting.messages import notify

    circle, patient, coordinator, sam, _, members = circle_with_people()
    task = first_task(make_need(circle, coordinator))
    claim_make(membership=members["Sam Carter"], task_id=task.id)
    db.session.add(
        Invitation(circle_id=circle.id, kind="personal", phone=sam.phone, token_hash="x" * 64, expires_at=task.ends_at)
    )
    notify(user=sam, kind="welcome", key="later", context={"circle_name": "x", "first_name": "y"})
    db.session.commit()
    feed = f"/feeds/{feed_token(members['Sam Carter'])}.ics"
    sam_view = signed_in(app, sam)
    assert sam_view.get(feed).status_code == 200

    coordinator_view = signed_in(app, coordinator)
    coordinator_view.post(
        f"/circles/{circle.id}/people/{members['Sam Carter'].id}/remove", form_url=f"/circles/{circle.id}/people"
    )

    assert sam_view.get(f"/circles/{circle.id}").status_code in (302, 404)
    assert sam_view.get("/account").status_code == 302  # signed out
    assert WebClient(app.test_client()).get(feed).status_code == 404
    db.session.expire_all()
    assert db.session.get(Task, task.id).claimed == 0
    assert db.session.scalar(select(Claim.status)) == "released"
    assert db.session.scalar(select(Invitation.status)) == "revoked"
    assert db.session.scalar(select(Message.status).where(Message.idempotency_key == "later")) == "cancelled"


def test_the_patient_cannot_be_removed(app):
    circle, patient, coordinator, *_ = circle_with_people()
    member = db.session.scalar(select(Membership).where(Membership.user_id == patient.id))
    coordinator_view = signed_in(app, coordinator)
    coordinator_view.post(f"/circles/{circle.id}/people/{member.id}/remove", form_url=f"/circles/{circle.id}/people")
    assert db.session.get(Membership, member.id).status == "active"


def test_preferences_are_saved_and_bad_values_refused(app):
    circle, _, _, sam, _, members = circle_with_people()
    sam_view = signed_in(app, sam)
    url = f"/circles/{circle.id}/preferences"
    good = {
        "categories": ["ride", "meal"],
        "avail-TU": ["morning", "evening"],
        "avail-SA": ["afternoon"],
        "asks_per_week": "2",
        "timezone": "America/Chicago",
        "quiet_start": "22:00",
        "quiet_end": "07:30",
        "sms_enabled": "y",
        "email_enabled": "y",
        "reminder_leads": ["30m"],
    }
    assert sam_view.post(url, good).status_code == 302
    db.session.expire_all()
    member = db.session.get(Membership, members["Sam Carter"].id)
    assert member.help_categories == ["meal", "ride"]
    assert member.availability == {"TU": ["morning", "evening"], "SA": ["afternoon"]}
    assert member.asks_per_week == 2 and member.user.timezone == "America/Chicago"
    assert member.user.reminder_leads == ["30m"]
    for field, value, message in [
        ("asks_per_week", "99", "Choose between 0 and 14 asks a week."),
        ("categories", ["teleport"], "Choose kinds of help from the list."),
        ("timezone", "Mars/Base", "Choose a time zone from the list."),
        ("quiet_start", "9 o'clock", "Enter a time like"),
        ("reminder_leads", ["3 days"], "Choose reminders from the list."),
    ]:
        response = sam_view.post(url, good | {field: value})
        assert response.status_code == 422 and message in response.get_data(as_text=True), field
    nothing = good | {"sms_enabled": "", "email_enabled": ""}
    del nothing["sms_enabled"], nothing["email_enabled"]
    assert "or we can&#39;t reach you at all" in sam_view.post(url, nothing).get_data(as_text=True)
