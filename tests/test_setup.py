"""A new circle's setup path: who it's for, the first needs, inviting people; each step ticks itself."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from flask import current_app, render_template
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Circle, Membership
from coordinator.services.people.setup import setup_steps
from tests.factories import PASSWORD, add_member, make_need, make_user
from tests.queries import counting
from tests.registering import register


def start_circle_for_someone_else(client) -> Circle:
    """A newcomer registers and starts a circle for someone else, through the real forms."""
    register(client, name="Daniel Lopez", email="daniel@example.org", password="our family sticks")
    response = client.post(
        "/circles/new",
        {
            "for_whom": "other",
            "patient_name": "Maria Lopez",
            "name": "",
            "timezone": "America/Chicago",
            "phone_region": "US",
        },
    )
    assert response.status_code == 302
    return db.session.scalar(select(Circle))


def ticks(circle: Circle) -> dict[str, bool]:
    db.session.expire_all()
    return {step.key: step.done for step in setup_steps(db.session.get(Circle, circle.id))}


def card(circle: Circle, membership: Membership | None = None) -> str:
    circle = db.session.get(Circle, circle.id)
    with current_app.test_request_context():
        return render_template(
            "circles/_setup.html", steps=setup_steps(circle, viewer=membership), circle=circle, membership=membership
        )


def test_a_new_circle_starts_with_only_who_its_for_ticked(client):
    circle = start_circle_for_someone_else(client)
    assert ticks(circle) == {"who": True, "needs": False, "people": False}
    html = card(circle)
    assert "Get Maria&#39;s circle going" in html and "Maria Lopez" in html
    assert html.count('class="setup-step is-done"') == 1


def test_posting_a_need_ticks_the_second_step_and_a_cancelled_one_does_not(client):
    circle = start_circle_for_someone_else(client)
    author = db.session.get(Membership, 1).user
    need = make_need(circle, author)
    assert ticks(circle)["needs"] is True
    need.cancelled_at = need.created_at
    db.session.commit()
    assert ticks(circle)["needs"] is False


def test_an_invitation_sent_on_the_invitations_page_ticks_the_third_step(client):
    circle = start_circle_for_someone_else(client)
    sent = client.post(f"/circles/{circle.id}/invitations", {"name": "Sam Carter", "phone": "202-555-0110"})
    assert sent.status_code == 302
    assert ticks(circle)["people"] is True
    assert "1 invitation is waiting for an answer" in card(circle)


def test_someone_else_joining_ticks_the_third_step_but_the_founder_alone_does_not(client):
    circle = start_circle_for_someone_else(client)
    assert ticks(circle)["people"] is False
    add_member(circle, make_user(name="Sam Carter"))
    assert ticks(circle)["people"] is True
    assert "1 person has joined" in card(circle)


def test_the_card_goes_once_every_step_is_done(client):
    circle = start_circle_for_someone_else(client)
    make_need(circle, db.session.get(Membership, 1).user)
    add_member(circle, make_user())
    assert all(step.done for step in setup_steps(db.session.get(Circle, circle.id)))
    assert card(circle).strip() == ""


def test_steps_cost_one_query_however_big_the_circle(client):
    circle = start_circle_for_someone_else(client)
    for _ in range(5):
        add_member(circle, make_user())
    circle = db.session.get(Circle, circle.id)
    with counting(db.engine) as statements:
        setup_steps(circle)
    assert len(statements) == 1


def test_suggestions_are_one_tap_links_into_the_need_form_with_a_kind_and_a_title(client):
    circle = start_circle_for_someone_else(client)
    html = card(circle)
    links = re.findall(r'href="([^"]*/needs/new\?[^"]*)"', html)
    asked = [parse_qs(urlsplit(link.replace("&amp;", "&")).query) for link in links]
    assert {"category": ["ride"], "title": ["Rides to treatment"]} in asked
    assert {"category": ["visit"], "title": ["Someone to sit with Maria"]} in asked
    assert len(asked) == 5
    opened = client.get(links[0].replace("&amp;", "&"))
    assert opened.status_code == 200 and 'name="title"' in opened.get_data(as_text=True)  # the ride form itself
    assert f'href="/circles/{circle.id}/invitations"' in html


def test_the_patient_is_asked_in_her_own_words(client):
    maria = make_user(name="Maria Lopez")
    client.sign_in(maria.email, PASSWORD)
    client.post("/circles/new", {"for_whom": "self", "timezone": "America/New_York", "phone_region": "US"})
    circle = db.session.scalar(select(Circle))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == maria.id))
    html = card(circle, membership)
    assert "Get your circle going" in html and "Say what would help</h3>" in html
    assert "title=Someone+to+sit+with+me" in html
