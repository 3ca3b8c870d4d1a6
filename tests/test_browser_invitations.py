"""A coordinator invites two people by text; one opens the link, joins and takes a task, no password ever."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Claim, Message, User
from tests.browser import chromium_page
from tests.factories import PASSWORD, make_circle, make_need, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_invite_two_by_text_one_joins_and_claims_without_a_password(app):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator, name="Team Maria")
    make_need(circle, coordinator, title="Ride to chemo")

    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/sign-in")
        page.get_by_label("Email").fill(coordinator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{server.url}/circles/{circle.id}")
        page.get_by_role("link", name="People").first.click()
        page.get_by_role("link", name="Invite people").click()
        page.locator("summary", has_text="Several people at once").click()  # one of the other ways, folded
        page.get_by_label("Several people at once").fill("Sam Carter, (202) 555-0110\nPriya Natarajan, 202-555-0111")
        page.get_by_role("button", name="Send these invitations").click()
        page.get_by_text("Here's what happened, line by line").wait_for()
        assert page.get_by_text("invited", exact=True).count() == 2

        texts = db.session.scalars(select(Message).where(Message.kind == "invitation").order_by(Message.id)).all()
        assert [m.to_address for m in texts] == ["+12025550110", "+12025550111"]
        link = re.search(r"https?://\S+/i/[\w-]+", texts[0].body).group(0)

        page.context.clear_cookies()
        page.goto(link.replace("http://localhost", server.url))
        page.get_by_role("heading", name="Join Team Maria").wait_for()
        assert page.get_by_label("Mobile number").input_value() == "+12025550110"  # the join form is right there
        page.get_by_label("Yes, text me about ways to help").check()
        page.get_by_role("button", name="Join the circle").click()
        page.get_by_text("Welcome, Sam!").wait_for()
        assert "/i/" not in page.url  # the token is gone from the address bar

        page.get_by_role("button", name="I'll do it").first.click()
        page.get_by_text("Thank you! It's yours.").wait_for()

    sam = db.session.scalar(select(User).where(User.phone == "+12025550110"))
    assert sam.password_hash is None
    assert db.session.scalar(select(Claim.user_id)) == sam.id
