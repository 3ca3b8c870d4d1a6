"""A supporter's claim in the browser plans their texts; a coordinator sees them in the message log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from coordinator.jobs.runner import tick
from tests.browser import chromium_page
from tests.factories import PASSWORD, add_member, make_circle, make_need, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def sign_in(page, url, email):
    page.context.clear_cookies()
    page.goto(url + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@time_machine.travel(datetime(2027, 6, 1, 4, tzinfo=UTC), tick=True)  # Tue 00:00 in New York
def test_claim_in_the_browser_then_reminders_show_in_the_coordinators_log(app):
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(coordinator=coordinator, timezone="America/New_York")
    sam = make_user(name="Sam Carter", phone="+12025550110")
    add_member(circle, sam)
    make_need(
        circle, coordinator, title="Ride to chemo", start_date=date(2027, 6, 2), start_time=time(15), end_time=time(16)
    )

    with LiveServer(app) as server, chromium_page() as page:
        sign_in(page, server.url, sam.email)
        page.goto(f"{server.url}/circles/{circle.id}/tasks")
        page.get_by_role("button", name="I'll do it").first.click()
        page.get_by_text("Thank you! It's yours.").wait_for()

        tick(app)  # the scheduler's planning pass

        sign_in(page, server.url, coordinator.email)
        page.goto(f"{server.url}/circles/{circle.id}/messages")
        log = page.locator("table.log").inner_text()
        assert "Still on?" in log and "Reminder" in log and "Sam Carter" in log  # kinds in words, not "checkin"
        assert "+1••••••••10" in log and "202-555-0110" not in log and "+12025550110" not in log
        assert "Still good for a ride for Maria tomorrow at 3pm?" in log
        assert "Planned" in log
