"""A coordinator of the demo circle opens its health page on a phone: the open days, who is drifting, the chart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.cli_demo import DEMO_PASSWORD, demo_seed
from coordinator.extensions import db
from coordinator.models import Circle
from tests.browser import chromium_page
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_a_coordinator_sees_uncovered_days_drifting_supporters_and_the_chart(app):
    demo_seed()
    db.session.commit()
    circle_id = db.session.scalar(select(Circle.id).where(Circle.name == "Team Maria"))

    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/sign-in")
        page.get_by_label("Email").fill("daniel@example.org")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{server.url}/circles/{circle_id}/health")  # under "More" as "How it's going"
        page.get_by_role("heading", name="Circle health").wait_for()

        uncovered = page.locator(".callout-warning")
        assert "Uncovered in the next 14 days" in uncovered.inner_text()
        assert uncovered.get_by_role("link").count() >= 1
        assert "open" in uncovered.get_by_role("link").first.inner_text()

        drift = page.locator(".drift-list li")
        assert drift.count() >= 3
        reasons = page.locator(".drift-list").inner_text()
        assert "down from about" in reasons and "asks in a row without an answer" in reasons
        assert "Only coordinators see this." in page.locator("main").inner_text()

        chart = page.get_by_role("img", name="People who helped each week, for the last 12 weeks")
        chart.wait_for()
        box = chart.bounding_box()
        assert box and 0 < box["width"] <= 390 and box["height"] > 100  # fits the phone, still readable
        assert chart.locator("rect").count() == 12

        page.get_by_text("The chart as a list").click()
        assert page.locator(".chart-table tbody tr").count() == 12
