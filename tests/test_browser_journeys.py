"""The first five minutes, walked on a phone (390x844) the way each person meets the service.

Each journey asserts what a person would see on the screen, not status codes:
a supporter joining from a texted link, a newcomer setting up a circle for
someone else, the patient planning months ahead, a coordinator looking after
the people. Taps and pages are counted where the issue asks for them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Claim, Message
from coordinator.services.invitations import contact_parse, invitation_send
from tests.browser import chromium_page
from tests.factories import make_circle, make_need, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser


class Steps:
    """Counts what a person does: taps on buttons and links, and the pages they land on."""

    def __init__(self, page):
        self.page = page
        self.taps = 0
        self.pages = 0
        page.on("framenavigated", lambda frame: self._landed(frame))

    def _landed(self, frame) -> None:
        if frame == self.page.main_frame:
            self.pages += 1

    def tap(self, locator) -> None:
        self.taps += 1
        locator.click()


def visible_text(page) -> str:
    return page.locator("main").inner_text()


def test_a_supporter_joins_from_a_texted_link_takes_a_task_and_gives_it_back(app):
    daniel = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=daniel, name="Team Maria")
    ride = make_need(circle, daniel, title="Ride to chemo", start_date=today_in(circle.timezone) + timedelta(days=3))
    make_need(circle, daniel, category="meal", title="Dinner for the family", start_date=ride.start_date + timedelta(days=2))
    contact = contact_parse(name="Sam Carter", phone="202-555-0110", email="", region="US")
    invitation_send(circle=circle, inviter=daniel, contact=contact, message="Could you help again?")
    db.session.commit()
    text = db.session.scalar(select(Message).where(Message.kind == "invitation"))
    link = re.search(r"https?://\S+/i/[\w-]+", text.body).group(0)

    with LiveServer(app) as server, chromium_page() as page:
        steps = Steps(page)
        page.goto(link.replace("http://localhost", server.url))
        assert page.get_by_role("heading", name="Join Team Maria").is_visible()
        assert "Could you help again?" in visible_text(page)
        assert page.get_by_label("Your name").input_value() == "Sam Carter"
        assert page.get_by_label("Mobile number").input_value() == "+12025550110"
        page.get_by_label("Yes, text me about ways to help").check()
        steps.tap(page.get_by_role("button", name="Join the circle"))

        page.get_by_role("heading", name="Could you help Maria?").wait_for()
        assert "/i/" not in page.url  # the token has left the address bar
        assert "Welcome, Sam!" in visible_text(page)
        offered = page.locator(".suggestions .task")
        assert offered.count() == 2 and "Ride to chemo" in offered.first.inner_text()  # soonest first
        steps.tap(offered.first.get_by_role("button", name="I'll do it"))
        page.get_by_text("Thank you! It's yours.").wait_for()
        taken = db.session.scalar(select(Claim).where(Claim.status == "held"))
        assert taken is not None and taken.task.need_id == ride.id
        # From the link in the text to a task taken: two taps (and the consent tick), two pages.
        assert (steps.taps, steps.pages) == (2, 3), (steps.taps, steps.pages)  # 3 loads: link, home, home again

        mine = page.locator("section", has=page.get_by_role("heading", name="You said yes to"))
        assert "Ride to chemo" in mine.inner_text()
        mine.get_by_role("link", name="Ride to chemo").click()
        page.get_by_role("link", name="I can't make it").click()
        page.get_by_role("heading", name="Give back “Ride to chemo”?").wait_for()
        assert "coordinators will be told" in visible_text(page)
        db.session.expire_all()
        assert db.session.scalar(select(Claim.status)) == "held"  # asking changed nothing
        page.get_by_label("Anything to pass on? (optional)").fill("My shift changed")
        page.get_by_role("button", name="Yes, give it back").click()
        page.get_by_text("you're off this one").wait_for()
        db.session.expire_all()
        assert db.session.scalar(select(Claim.status)) == "released"
        told = db.session.scalar(select(Message).where(Message.kind == "claim_released"))
        assert told is not None and told.user_id == daniel.id
