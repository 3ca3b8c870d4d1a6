"""A newcomer on a phone registers, starts a circle and lands on its page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Circle
from tests.browser import chromium_page
from tests.live import LiveServer
from tests.registering import emailed_link

pytestmark = pytest.mark.browser


def test_register_create_a_circle_and_see_it(make_app):
    app = make_app()
    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/")
        page.get_by_role("link", name="Start a circle").click()
        page.get_by_label("Your name").fill("Daniel Lopez")
        page.get_by_label("Email").fill("not an email")
        page.get_by_role("button", name="Email me a link").click()
        # said at the top (the focused summary) and next to the field
        assert page.get_by_text("Enter an email address like").first.is_visible()
        assert page.get_by_label("Your name").input_value() == "Daniel Lopez"
        page.get_by_label("Email").fill("daniel@example.org")
        page.get_by_role("button", name="Email me a link").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        with app.app_context():
            page.goto(server.url + emailed_link("daniel@example.org"))  # the link in the email
        page.get_by_label("Choose a password").fill("  ")
        page.get_by_role("button", name="Create account").click()
        assert (
            page.get_by_text("Enter a password.").first.is_visible()
            or page.get_by_text("Use at least").first.is_visible()
        )
        page.get_by_label("Choose a password").fill("our family sticks together")
        page.get_by_role("button", name="Create account").click()

        page.get_by_role("heading", name="Start a circle").wait_for()
        page.get_by_label("Someone else: I'm organising for them").check()
        page.get_by_label("Their name").fill("Maria Lopez")
        page.get_by_text("Time zone and country").click()  # folded: it shows the current choice
        page.get_by_label("Time zone", exact=True).select_option("America/Chicago")
        page.get_by_role("button", name="Start the circle").click()

        page.get_by_role("heading", name="Supporting Maria Lopez").wait_for()
        assert page.get_by_role("link", name="Helping Maria").is_visible()  # the circle's name heads every page
        with app.app_context():
            assert db.session.scalar(select(Circle.timezone)) == "America/Chicago"
        assert "Get Maria's circle going" in page.locator("main").inner_text()
        headers = page.request.get(server.url + "/circles/").headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
