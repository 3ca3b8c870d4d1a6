"""A circle page finds who is signed in and whether they belong in one query, and still turns away the same people."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from coordinator.clock import now
from coordinator.extensions import db
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.queries import counting
from tests.web import WebClient


def signed_in(app, user) -> WebClient:
    browser = WebClient(app.test_client())
    assert browser.sign_in(user.email, PASSWORD).status_code == 302
    return browser


def gatekeeping(statements: list[str]) -> list[str]:
    """The statements that look at sign-in sessions or memberships."""
    return [s for s in statements if "user_sessions" in s or "FROM memberships" in s]


def test_a_circle_page_asks_once_for_the_session_and_the_membership(app):
    coordinator, supporter = make_user(), make_user()
    circle = make_circle(coordinator=coordinator)
    add_member(circle, supporter)
    for user, url in ((coordinator, f"/circles/{circle.id}/messages"), (supporter, f"/circles/{circle.id}/mine")):
        browser = signed_in(app, user)
        with counting(db.engine) as statements:
            assert browser.get(url).status_code == 200
        assert len(gatekeeping(statements)) == 1, gatekeeping(statements)
        first = statements[0]
        assert "user_sessions" in first and "memberships" in first and "circles" in first


def test_the_one_query_still_turns_away_strangers_other_roles_and_ended_sessions(app):
    coordinator, supporter, stranger = make_user(), make_user(), make_user()
    circle, other = make_circle(coordinator=coordinator), make_circle(coordinator=stranger)
    add_member(circle, supporter)
    supporting = signed_in(app, supporter)
    assert signed_in(app, stranger).get(f"/circles/{circle.id}/tasks").status_code == 404
    assert supporting.get(f"/circles/{other.id}/tasks").status_code == 404  # another circle: the same 404
    assert supporting.get(f"/circles/{circle.id}/health").status_code == 404  # a coordinator's page
    assert supporting.get(f"/circles/{circle.id + 1000}/tasks").status_code == 404  # no such circle

    elsewhere = signed_in(app, supporter)
    assert elsewhere.post("/sign-out", form_url="/account").status_code == 302
    response = supporting.get(f"/circles/{circle.id}/tasks")  # signing out ends every session of theirs
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    coordinating = signed_in(app, coordinator)
    with time_machine.travel(now() + timedelta(days=31), tick=False):
        response = coordinating.get(f"/circles/{circle.id}/tasks")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]  # an expired session


def test_a_revoked_session_is_signed_out_on_a_circle_page(app):
    from coordinator.services.people.sessions import sessions_end_all

    supporter = make_user()
    circle = make_circle(coordinator=make_user())
    add_member(circle, supporter)
    browser = signed_in(app, supporter)
    assert browser.get(f"/circles/{circle.id}/mine").status_code == 200
    sessions_end_all(user=supporter)
    db.session.commit()
    response = browser.get(f"/circles/{circle.id}/mine")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_someone_who_left_the_circle_gets_the_404_at_once(app):
    from coordinator.models.circles import MembershipStatus

    supporter = make_user()
    circle = make_circle(coordinator=make_user())
    membership = add_member(circle, supporter)
    browser = signed_in(app, supporter)
    assert browser.get(f"/circles/{circle.id}/mine").status_code == 200
    membership.status = MembershipStatus.REMOVED
    db.session.commit()
    assert browser.get(f"/circles/{circle.id}/mine").status_code == 404
