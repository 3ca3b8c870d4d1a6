"""Leaving a circle and deleting an account: asked first, tasks reopen, coordinators told, the person erased at once.

A supporter who can't help any more must be able to step out without asking
anyone, and a person who wants to be gone must be gone: contacts erased and
signed out everywhere the moment they confirm, while the circle's history
(who took which task) still adds up, now as "A former member".
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Claim, Event, Invitation, Membership, Message, PhoneOptOut, Task, User, UserSession
from coordinator.services.care.claims import claim_make
from coordinator.services.texting.messages import notify
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.registering import register
from tests.web import WebClient

SAM_PHONE = "+12025550110"


@pytest.fixture
def team():
    """Team Maria: the patient, Daniel who coordinates, Sam (holding a ride and a dinner) and Priya."""
    patient = make_user(name="Maria Lopez", phone="+12025550100")
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(patient=patient, coordinator=coordinator, name="Team Maria")
    sam = make_user(name="Sam Carter", phone=SAM_PHONE, email="sam@example.org")
    priya = make_user(name="Priya Natarajan", phone="+12025550111", email=None, password=None)
    members = {u.first_name: add_member(circle, u) for u in (sam, priya)}
    soon = today_in(circle.timezone)
    ride = first_task(make_need(circle, coordinator, title="Ride to chemo", start_date=soon + timedelta(days=2)))
    meal = first_task(
        make_need(circle, coordinator, category="meal", title="Dinner", start_date=soon + timedelta(days=5))
    )
    for task in (ride, meal):
        claim_make(membership=members["Sam"], task_id=task.id)
    db.session.commit()
    return {"circle": circle, "patient": patient, "coordinator": coordinator, "sam": sam, "priya": priya,
            "members": members, "tasks": (ride, meal)}  # fmt: skip


def signed_in(app, user) -> WebClient:
    browser = WebClient(app.test_client())
    assert browser.sign_in(user.email, PASSWORD).status_code == 302
    return browser


def waiting_for(user, circle=None) -> int:
    """Texts or emails still pending to `user` (about `circle`, if given)."""
    query = select(func.count(Message.id)).where(Message.user_id == user.id, Message.status == "pending")
    if circle is not None:
        query = query.where(Message.circle_id == circle.id)
    return db.session.scalar(query)


def told(user, kind: str) -> list[str]:
    return list(db.session.scalars(select(Message.body).where(Message.user_id == user.id, Message.kind == kind)))


def kinds_of_events(circle, user) -> list[str]:
    return list(
        db.session.scalars(
            select(Event.kind).where(Event.circle_id == circle.id, Event.subject_id == user.id).order_by(Event.id)
        )
    )


def a_reminder_for(user, circle, key="r1"):
    notify(user=user, kind="welcome", key=key, context={"circle_name": circle.name, "first_name": "Maria"},
           circle_id=circle.id)  # fmt: skip
    db.session.commit()


def test_leaving_asks_first_then_reopens_the_tasks_and_tells_the_coordinator_once(app, team):
    circle, sam, daniel = team["circle"], team["sam"], team["coordinator"]
    ride, meal = team["tasks"]
    a_reminder_for(sam, circle)
    browser = signed_in(app, sam)
    url = f"/circles/{circle.id}/leave"

    preferences = browser.get(f"/circles/{circle.id}/preferences").get_data(as_text=True)
    assert f'href="{url}"' in preferences and "Leave this circle" in preferences
    for _ in range(2):  # opening the question never leaves
        page = browser.get(url).get_data(as_text=True)
    assert "Leave Team Maria?" in page and "Your upcoming 2 tasks (" in page and "Ride to chemo" in page
    assert db.session.get(Membership, team["members"]["Sam"].id).status == "active"

    left = browser.post(url)
    assert left.status_code == 302 and left.headers["Location"] == "/circles/"
    landing = browser.get("/circles/", follow_redirects=True).get_data(as_text=True)
    assert "You&#39;ve left Team Maria" in landing
    assert browser.get(f"/circles/{circle.id}").status_code == 404
    assert db.session.get(Membership, team["members"]["Sam"].id).status == "removed"
    assert [db.session.get(Task, t.id).claimed for t in (ride, meal)] == [0, 0]
    assert told(daniel, "member_left") == ["Sam has left Team Maria. 2 tasks they said yes to need someone again."]
    assert told(daniel, "claim_released") == []  # one message, not one per task
    assert waiting_for(sam, circle) == 0
    assert kinds_of_events(circle, sam)[-1] == "member.left"


def test_someone_in_two_circles_lands_in_the_other_and_keeps_its_texts(app, team):
    circle, sam = team["circle"], team["sam"]
    other = make_circle(patient=make_user(name="Ana Ruiz"), name="Team Ana")
    add_member(other, sam)
    a_reminder_for(sam, other, key="other")
    browser = signed_in(app, sam)
    browser.post(f"/circles/{circle.id}/leave")
    landing = browser.get("/circles/", follow_redirects=True)
    assert landing.request.path == f"/circles/{other.id}"
    assert waiting_for(sam, other) == 1


def test_the_patient_cannot_leave_and_is_pointed_to_closing(app, team):
    circle = team["circle"]
    maria = signed_in(app, team["patient"])
    answer = maria.get(f"/circles/{circle.id}/leave")
    assert answer.status_code == 302
    home = maria.get(answer.headers["Location"]).get_data(as_text=True)
    assert "This circle is for you, so you can&#39;t leave it. You can close it instead." in home
    assert maria.post(f"/circles/{circle.id}/leave").status_code == 302
    assert db.session.scalar(select(Membership.status).where(Membership.user_id == team["patient"].id)) == "active"


def test_deleting_an_account_erases_it_at_once_and_ends_every_session(app, team):
    circle, sam, daniel = team["circle"], team["sam"], team["coordinator"]
    a_reminder_for(sam, circle)
    db.session.add(PhoneOptOut(phone=SAM_PHONE))
    db.session.add(Invitation(circle_id=circle.id, phone=SAM_PHONE, name="Sam", token_hash="x" * 64,
                              expires_at=team["tasks"][0].starts_at, status="accepted"))  # fmt: skip
    db.session.commit()
    phone_browser, laptop = signed_in(app, sam), signed_in(app, sam)
    assert 'href="/account/delete"' in laptop.get("/account").get_data(as_text=True)

    wrong = laptop.post("/account/delete", {"password": "not my password"})
    assert wrong.status_code == 422 and "That password isn&#39;t right." in wrong.get_data(as_text=True)
    assert db.session.get(User, sam.id).email == "sam@example.org"

    done = laptop.post("/account/delete", {"password": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    gone = db.session.get(User, sam.id)
    assert (gone.name, gone.email, gone.phone, gone.password_hash) == ("A former member", None, None, None)
    assert gone.deleted_at is not None and gone.timezone is None
    for browser in (phone_browser, laptop):  # the other device's cookie stops working too
        assert browser.get(f"/circles/{circle.id}").status_code == 302
    assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == sam.id)) == 0
    assert WebClient(app.test_client()).sign_in("sam@example.org", PASSWORD).status_code == 422
    assert waiting_for(sam) == 0
    assert db.session.scalar(select(func.count(Message.id)).where(Message.to_address == SAM_PHONE)) == 0
    assert db.session.scalar(select(func.count(Invitation.id)).where(Invitation.phone == SAM_PHONE)) == 0
    assert db.session.get(PhoneOptOut, SAM_PHONE) is not None  # the STOP keeps protecting the number
    assert told(daniel, "member_left") == ["Sam has left Team Maria. 2 tasks they said yes to need someone again."]
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.user_id == sam.id, Claim.status == "held")) == 0


def test_the_history_still_adds_up_as_a_former_member(app, team):
    circle, sam = team["circle"], team["sam"]
    before = db.session.scalar(select(func.count(Event.id)).where(Event.circle_id == circle.id))
    signed_in(app, sam).post("/account/delete", {"password": PASSWORD})
    events = db.session.scalars(select(Event).where(Event.circle_id == circle.id, Event.subject_id == sam.id)).all()
    assert [e.kind for e in events][:2] == ["claim.made", "claim.made"]  # what Sam did is still there
    assert events[-1].kind == "account.deleted" and events[-1].circle_id == circle.id
    assert db.session.get(User, events[0].actor_id).name == "A former member"
    assert db.session.scalar(select(func.count(Event.id)).where(Event.circle_id == circle.id)) > before


def test_the_same_email_can_sign_up_again_as_a_new_person(app, team):
    signed_in(app, team["sam"]).post("/account/delete", {"password": PASSWORD})
    fresh = WebClient(app.test_client())
    answer = register(fresh, name="Sam Carter", email="sam@example.org", password="a new long password")
    assert answer.status_code == 302  # a new account, not an email saying someone tried
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "sam@example.org")) == 1


def test_a_supporter_without_a_password_confirms_on_the_page(app, team):
    priya, circle = team["priya"], team["circle"]
    browser = WebClient(app.test_client())
    browser.post("/sign-in/code", {"contact": "(202) 555-0111"})
    code = re.search(r"\b(\d{6})\b", told(priya, "sign_in_code")[-1]).group(1)
    assert browser.post("/sign-in/code/verify", {"code": code}).status_code == 302
    page = browser.get("/account/delete").get_data(as_text=True)
    assert "Delete your account?" in page and 'name="password"' not in page
    assert browser.post("/account/delete").status_code == 302
    gone = db.session.get(User, priya.id)
    assert gone.phone is None and gone.deleted_at is not None
    assert browser.get(f"/circles/{circle.id}").status_code == 302  # signed out


def test_a_patient_with_an_open_circle_is_sent_to_close_it_first(app, team):
    maria, circle = signed_in(app, team["patient"]), team["circle"]
    for answer in (maria.get("/account/delete"), maria.post("/account/delete", {"password": PASSWORD})):
        assert answer.status_code == 302 and answer.headers["Location"] == f"/circles/{circle.id}/close"
    page = maria.get(f"/circles/{circle.id}/close").get_data(as_text=True)
    assert "Your circle is still open. Close it first" in page
    assert db.session.get(User, team["patient"].id).deleted_at is None
