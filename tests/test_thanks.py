"""Thank-yous: suggested after a task is done, one tap from the patient, one text to the helper, never two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update

from coordinator.extensions import db
from coordinator.models import Claim, Event, Membership, Message
from coordinator.services.care.claims import claim_make
from coordinator.services.care.thanks import thanks_send, thanks_suggestions
from tests.factories import PASSWORD, add_member, finish, first_task, make_circle, make_need, make_user
from tests.queries import counting
from tests.sms import outbox
from tests.web import WebClient

SAM = "+12025550110"


def done_ride(circle, author, helper_membership, **need):
    """A ride posted, taken and done over the last few days (done only once it had started)."""
    with time_machine.travel(datetime.now(UTC) - timedelta(days=3), tick=False):
        task = first_task(make_need(circle, author, title="Ride to chemo", address="12 Elm St", **need))
        claim_make(membership=helper_membership, task_id=task.id)
        finish(helper_membership, task)
    db.session.commit()
    return db.session.scalar(select(Claim).where(Claim.task_id == task.id))


@pytest.fixture
def people(app):
    maria = make_user(name="Maria Lopez", phone="+12025550120")
    daniel = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(patient=maria, coordinator=daniel)
    sam = make_user(name="Sam Carter", phone=SAM)
    sam_member = add_member(circle, sam)
    return circle, maria, daniel, sam, sam_member


def membership_of(circle, user):
    return db.session.scalar(select(Membership).where(Membership.circle_id == circle.id, Membership.user_id == user.id))


def test_a_done_task_is_suggested_and_disappears_once_thanked(client, people):
    circle, maria, daniel, sam, sam_member = people
    claim = done_ride(circle, daniel, sam_member)
    client.sign_in(maria.email, PASSWORD)
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Say thank you" in page and "Thank Sam" in page
    response = client.post(f"/circles/{circle.id}/thanks/{claim.id}", form_url=f"/circles/{circle.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/circles/{circle.id}")
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Thank-you sent to Sam." in page
    assert "Thank Sam" not in page and "Say thank you" not in page
    assert db.session.get(Claim, claim.id).thanked_at is not None


def test_a_held_task_is_not_suggested_until_it_is_done(app, people):
    circle, maria, daniel, sam, sam_member = people
    task = first_task(make_need(circle, daniel))
    claim_make(membership=sam_member, task_id=task.id)
    db.session.commit()
    assert thanks_suggestions(circle_id=circle.id) == []
    with time_machine.travel(task.ends_at + timedelta(hours=1), tick=False):
        assert thanks_suggestions(circle_id=circle.id) == []  # over, but nobody said it was done
        finish(sam_member, task)
        db.session.commit()
        assert [c.task_id for c in thanks_suggestions(circle_id=circle.id)] == [task.id]


def test_help_marked_done_before_it_happened_is_not_suggested(app, people):
    """Claims marked done early (allowed before this rule) must not ask the patient to thank ahead of time."""
    circle, maria, daniel, sam, sam_member = people
    task = first_task(make_need(circle, daniel))
    claim_make(membership=sam_member, task_id=task.id)
    db.session.execute(update(Claim).where(Claim.task_id == task.id).values(status="done", done_at=datetime.now(UTC)))
    db.session.commit()
    assert thanks_suggestions(circle_id=circle.id) == []


def test_suggestions_are_recent_newest_first_and_load_in_one_query(app, people):
    circle, maria, daniel, sam, sam_member = people
    priya_member = add_member(circle, make_user(name="Priya Shah", phone="+12025550111"))
    with time_machine.travel(datetime.now(UTC) - timedelta(days=20), tick=False):
        old = done_ride(circle, daniel, sam_member)
    first = done_ride(circle, daniel, sam_member)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5), tick=False):
        second = done_ride(circle, daniel, priya_member, category="meal")
    circle_id = circle.id
    db.session.expire_all()
    with counting(db.engine) as statements:
        found = thanks_suggestions(circle_id=circle_id)
        shown = [(c.user.first_name, c.task.need.title, c.task.local_date) for c in found]
    assert [c.id for c in found] == [second.id, first.id] and old.id not in [c.id for c in found]
    assert [name for name, *_ in shown] == ["Priya", "Sam"]
    assert len(statements) == 1


def test_a_double_tap_sends_one_text(client, people):
    circle, maria, daniel, sam, sam_member = people
    claim = done_ride(circle, daniel, sam_member)
    client.sign_in(maria.email, PASSWORD)
    url = f"/circles/{circle.id}/thanks/{claim.id}"
    client.post(url, form_url=f"/circles/{circle.id}")
    again = client.post(url, form_url=f"/circles/{circle.id}", follow_redirects=True)
    assert "Sam already has your thank-you." in again.get_data(as_text=True)
    assert len(outbox(to=SAM, kind="thanks")) == 1
    assert db.session.scalar(select(func.count(Event.id)).where(Event.kind == "thanks.sent")) == 1
    assert thanks_send(patient_membership=membership_of(circle, maria), claim_id=claim.id) is False


def test_the_text_names_the_kind_of_help_and_day_never_the_title_or_address(app, people):
    circle, maria, daniel, sam, sam_member = people
    claim = done_ride(circle, daniel, sam_member)
    assert thanks_send(patient_membership=membership_of(circle, maria), claim_id=claim.id) is True
    db.session.commit()
    [text] = outbox(to=SAM, kind="thanks")
    day = f"{claim.task.local_date:%a %-d %b}"
    assert text.body == f"Maria says thank you for the ride on {day}. It made a real difference."
    assert "Elm" not in text.body and "chemo" not in text.body and len(text.body) <= 160
    assert (text.channel, text.claim_id, text.idempotency_key) == ("sms", claim.id, f"thanks:{claim.id}")


def test_a_helper_without_a_phone_is_thanked_by_email(app, people):
    circle, maria, daniel, *_ = people
    ana = make_user(name="Ana Ruiz", email="ana@example.org", phone=None)
    claim = done_ride(circle, daniel, add_member(circle, ana))
    thanks_send(patient_membership=membership_of(circle, maria), claim_id=claim.id)
    db.session.commit()
    [mail] = outbox(to="ana@example.org", kind="thanks")
    assert mail.channel == "email" and mail.subject.startswith("Maria says thank you")


def test_only_the_patient_can_thank(app, people):
    circle, maria, daniel, sam, sam_member = people
    claim = done_ride(circle, daniel, sam_member)
    home = f"/circles/{circle.id}"
    for who in (daniel, sam):
        browser = WebClient(app.test_client())
        browser.sign_in(who.email, PASSWORD)
        assert "Say thank you" not in browser.get(home).get_data(as_text=True)
        assert browser.post(f"{home}/thanks/{claim.id}", form_url=home).status_code == 404
    assert outbox(kind="thanks") == []
    assert db.session.get(Claim, claim.id).thanked_at is None


def test_in_a_circle_without_a_patient_account_a_coordinator_thanks_on_their_behalf(client, app):
    daniel = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=daniel)
    sam_member = add_member(circle, make_user(name="Sam Carter", phone=SAM))
    claim = done_ride(circle, daniel, sam_member)
    client.sign_in(daniel.email, PASSWORD)
    home = f"/circles/{circle.id}"
    assert "Thank Sam" in client.get(home).get_data(as_text=True)
    client.post(f"{home}/thanks/{claim.id}", form_url=home)
    [text] = outbox(to=SAM, kind="thanks")
    assert text.body.startswith("Maria says thank you")
    assert db.session.scalar(select(Event.actor_id).where(Event.kind == "thanks.sent")) == daniel.id


def test_nobody_thanks_a_task_of_another_circle(app, people):
    from coordinator.errors import NotFound

    circle, maria, *_ = people
    other_coordinator = make_user()
    other = make_circle(coordinator=other_coordinator)
    claim = done_ride(other, other_coordinator, add_member(other, make_user(phone="+12025550130")))
    with pytest.raises(NotFound):
        thanks_send(patient_membership=membership_of(circle, maria), claim_id=claim.id)
    assert db.session.scalar(select(func.count(Message.id)).where(Message.kind == "thanks")) == 0
