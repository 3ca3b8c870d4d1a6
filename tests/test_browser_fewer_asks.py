"""Issue 18 on a phone (390x844): the health page's week in plain words and the outreach page's nudge fit the screen.

Screenshots land in SCREENSHOT_DIR when it is set (to look at the layout by eye).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from coordinator.cli_demo import DEMO_PASSWORD, demo_seed
from coordinator.extensions import db
from coordinator.models import Circle, Message
from coordinator.services.health.outreach import open_tasks, outreach_run
from tests.browser import chromium_page
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"fewer-asks-{name}.png"), full_page=True)


def test_the_week_in_plain_words_and_the_nudge_fit_a_phone(app):
    demo_seed()
    db.session.commit()
    circle_id = db.session.scalar(select(Circle.id).where(Circle.name == "Team Maria"))
    outreach_run(circle_id=circle_id)
    db.session.commit()
    alerted = db.session.scalar(select(Message.task_id).where(Message.kind == "alert").limit(1))
    alerted = alerted or next(iter(open_tasks(circle_id)), None).id  # the page is the same for any open task

    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/sign-in")
        page.get_by_label("Email").fill("daniel@example.org")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{server.url}/circles/{circle_id}/health")
        story = page.get_by_role("region", name="What the service did this week")
        story.wait_for()
        assert "Asked " in story.inner_text()
        box = story.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        story.scroll_into_view_if_needed()
        shot(page, "health")

        page.goto(f"{server.url}/circles/{circle_id}/tasks/{alerted}/help")
        page.get_by_role("button", name="We've got it covered another way").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "outreach")

        page.goto(f"{server.url}/circles/{circle_id}/health/settings")
        page.get_by_label("How many to ask first").wait_for()
        assert "If nobody says yes within 12 hours" in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "settings")
