"""On a phone, a coordinator lets someone in from People, then removes someone after being told what it means."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Claim, Invitation, JoinRequest, Membership, Task
from coordinator.services.care.claims import claim_make
from tests.browser import chromium_page
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_coordinator_lets_someone_in_and_removes_someone_after_confirming_on_a_phone(app):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator, name="Team Maria")
    sam = make_user(name="Sam Carter", phone="+12025550110", email="sam@example.org")
    member = add_member(circle, sam)
    task = first_task(make_need(circle, coordinator, title="Ride to chemo"))
    claim_make(membership=member, task_id=task.id)
    link = Invitation(circle_id=circle.id, kind="link", token_hash="g" * 64, expires_at=now().replace(year=2099))
    grace = make_user(name="Grace Okafor", phone="+12025550113", email=None, password=None)
    db.session.add(link)
    db.session.flush()
    db.session.add(JoinRequest(circle_id=circle.id, invitation_id=link.id, user_id=grace.id))
    db.session.commit()

    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/sign-in")
        page.get_by_label("Email").fill(coordinator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{server.url}/circles/{circle.id}/people")

        page.get_by_role("heading", name="Asking to join (1)").wait_for()
        assert fits_the_screen(page)
        call = page.get_by_role("link", name="Call Sam Carter")
        assert call.get_attribute("href") == "tel:+12025550110" and call.is_visible()
        assert page.get_by_role("link", name="Text Sam Carter").get_attribute("href") == "sms:+12025550110"
        assert call.bounding_box()["height"] >= 44

        page.get_by_role("button", name="Let Grace in").click()
        page.get_by_text("Grace Okafor is in the circle.").wait_for()

        assert not page.get_by_role("link", name="Remove Sam from the circle").is_visible()  # folded away
        page.get_by_text("Manage Sam").click()
        page.get_by_role("link", name="Remove Sam from the circle").click()
        page.get_by_role("heading", name="Remove Sam Carter from Team Maria?").wait_for()
        assert "Ride to chemo) will need someone again" in page.inner_text("main")
        assert fits_the_screen(page)
        assert db.session.scalar(select(Membership.status).where(Membership.id == member.id)) == "active"

        page.get_by_role("button", name="Remove Sam").click()
        page.get_by_text("Sam Carter is no longer in the circle.").wait_for()
        assert page.get_by_role("heading", name="Sam Carter").count() == 0

    db.session.expire_all()
    assert db.session.get(Membership, member.id).status == "removed"
    assert db.session.scalar(select(Claim.status).where(Claim.task_id == task.id)) == "released"
    assert db.session.get(Task, task.id).claimed == 0
    assert db.session.scalar(select(Membership.status).where(Membership.user_id == grace.id)) == "active"
