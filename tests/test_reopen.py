"""Reopening a quiet circle: the patient approves one message; answers bring people back or let them go."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Membership, Message, Reopening
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.web import WebClient


def setup():
    patient = make_user(name="Maria Lopez", phone="+12025550100")
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(patient=patient, coordinator=coordinator)
    former = [
        make_user(name=n, phone=p, email=None, password=None)
        for n, p in (("Sam Carter", "+12025550110"), ("Priya N", "+12025550111"))
    ]
    members = [add_member(circle, u) for u in former]
    members[1].status = "archived"
    db.session.commit()
    return circle, patient, coordinator, members


def signed_in(app, user):
    browser = WebClient(app.test_client())
    browser.sign_in(user.email, PASSWORD)
    return browser


def test_a_coordinators_reopening_waits_for_the_patient_then_goes_to_each_person_once(app):
    circle, patient, coordinator, members = setup()
    daniel = signed_in(app, coordinator)
    url = f"/circles/{circle.id}/reopen"
    form = daniel.get(url).get_data(as_text=True)
    assert form.count("checked") == 2  # both look quiet: nobody took anything lately
    daniel.post(url, {"member_ids": [str(m.id) for m in members], "message": "Maria starts chemo again in May."})
    assert db.session.scalar(select(func.count(Message.id)).where(Message.kind == "reopen_ask")) == 0
    review = db.session.scalar(select(Message).where(Message.kind == "reopen_review"))
    assert review.to_address == "+12025550100"

    maria = signed_in(app, patient)
    page = maria.get(f"/circles/{circle.id}/reopen/review").get_data(as_text=True)
    assert "Maria starts chemo again in May." in page and "Sam Carter" in page
    maria.post(f"/circles/{circle.id}/reopen/review", {"decision": "send"})
    asks = db.session.scalars(select(Message).where(Message.kind == "reopen_ask").order_by(Message.id)).all()
    assert [m.to_address for m in asks] == ["+12025550110", "+12025550111"]
    assert db.session.scalar(select(Reopening.status)) == "sent"
    again = maria.post(f"/circles/{circle.id}/reopen/review", {"decision": "send"})
    assert "Nothing is waiting for you." in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Message.id)).where(Message.kind == "reopen_ask")) == 2


def test_yes_brings_someone_back_and_no_quietly_archives(app):
    circle, patient, _, members = setup()
    maria = signed_in(app, patient)
    maria.post(
        f"/circles/{circle.id}/reopen", {"member_ids": [str(m.id) for m in members], "message": "Could you help again?"}
    )
    asks = db.session.scalars(select(Message).where(Message.kind == "reopen_ask").order_by(Message.id)).all()
    links = [re.search(r"http://localhost(/r/[\w-]+)", m.body).group(1) for m in asks]

    sam = WebClient(app.test_client())
    page = sam.get(links[0])
    assert page.headers["Referrer-Policy"] == "no-referrer" and "Can you help Maria this time?" in page.get_data(
        as_text=True
    )
    sam.post(links[0], {"answer": "no"}, form_url=links[0])
    priya = WebClient(app.test_client())
    done = priya.post(links[1], {"answer": "yes"}, form_url=links[1])
    assert done.headers["Location"] == f"/circles/{circle.id}/tasks"
    assert priya.get(f"/circles/{circle.id}/tasks").status_code == 200

    db.session.expire_all()
    statuses = [db.session.get(Membership, m.id).status for m in members]
    assert statuses == ["archived", "active"]


def test_choosing_nobody_is_refused_with_a_message(app):
    circle, patient, _, _ = setup()
    maria = signed_in(app, patient)
    response = maria.post(f"/circles/{circle.id}/reopen", {"message": "Hello"})
    assert response.status_code == 422 and "Choose at least one person to ask." in response.get_data(as_text=True)


def test_a_supporter_cannot_reopen(app):
    circle, _, _, members = setup()
    helper = make_user()
    add_member(circle, helper)
    assert signed_in(app, helper).get(f"/circles/{circle.id}/reopen").status_code == 404


def test_former_supporters_can_answer_by_text(app):
    from tests.sms import SMS_SETTINGS, text_in

    circle, patient, _, members = setup()
    app.config.update(SMS_SETTINGS)
    maria = signed_in(app, patient)
    maria.post(
        f"/circles/{circle.id}/reopen", {"member_ids": [str(m.id) for m in members], "message": "Could you help again?"}
    )
    assert (
        "Reply BACK if you can help, or NO."
        in db.session.scalars(select(Message.body).where(Message.kind == "reopen_ask")).first()
    )
    texter = WebClient(app.test_client())
    assert text_in(texter, "+12025550111", "back").startswith("Thank you! You're back in.")
    assert text_in(texter, "+12025550110", "No").startswith("Thank you for letting us know.")
    db.session.expire_all()
    assert [db.session.get(Membership, m.id).status for m in members] == ["archived", "active"]


def test_a_message_too_long_for_three_texts_is_refused_by_the_field_and_nothing_is_prepared(app):
    """Counted in texts, not characters: 200 characters with an emoji go in the 70-per-text encoding."""
    circle, patient, _, members = setup()
    maria = signed_in(app, patient)
    long = "We would love to see you again 💛 " + "Treatment starts Monday and rides are the big thing. " * 3
    assert len(long) < 600  # under the old character cap, which let it through
    response = maria.post(f"/circles/{circle.id}/reopen", {"message": long, "member_ids": [members[0].id]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "💛 makes this message go as 5 texts instead of 3 or fewer" in page
    assert db.session.scalar(select(func.count(Reopening.id))) == 0
    fits = "We would love to see you again. Treatment starts Monday; rides are the big thing."
    assert (
        maria.post(f"/circles/{circle.id}/reopen", {"message": fits, "member_ids": [members[0].id]}).status_code == 302
    )
