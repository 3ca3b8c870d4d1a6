"""The treatment plan, walked on a phone (390x844): six 21-day cycles, the suggested help accepted, 40-odd tasks
month by month, cycle 3 delayed a week, and its holders told once.

Screenshots of each page land in SCREENSHOT_DIR when it is set (to look at the layout by eye).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Message, Need, Plan, Task
from coordinator.services.care.claims import claim_make
from tests.browser import chromium_page, sign_in_by_form
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"plans-{name}.png"), full_page=True)


def main_text(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_six_cycles_accepted_posted_month_by_month_and_cycle_3_delayed_a_week(app):
    maria = make_user(name="Maria Lopez")
    circle = make_circle(patient=maria, name="Team Maria")
    helpers = [make_user(name=name, phone=phone) for name, phone in (("Sam Carter", "+12025550110"),
                                                                    ("Kim Park", "+12025550111"))]  # fmt: skip
    members = [add_member(circle, person) for person in helpers]
    first = today_in(circle.timezone) + timedelta(days=7)

    with LiveServer(app) as server, chromium_page() as page:
        sign_in_by_form(page, server.url, maria.email, PASSWORD)
        page.goto(f"{server.url}/circles/{circle.id}")
        page.get_by_text("More").first.click()
        page.get_by_role("link", name="Treatment plan").click()
        page.get_by_role("heading", name="Plan around treatment").wait_for()
        shot(page, "new")
        page.get_by_label("Name the plan").fill("Second round")
        page.get_by_label("Repeats every few weeks").check()
        page.get_by_label("What it is").fill("Chemo infusion")
        page.get_by_label("First date").fill(first.isoformat())
        page.get_by_label("Starts at").fill("09:00")
        page.get_by_label("Ends about").fill("13:00")
        page.get_by_label("Where").fill("Mercy Cancer Center")
        page.get_by_label("Every how many days").fill("21")
        page.get_by_label("How many times").fill("6")
        page.get_by_role("button", name="See the suggested plan").click()

        heading = page.get_by_role("heading", name=re.compile(r"Ready to post: \d+ tasks"))
        heading.wait_for()
        shot(page, "suggested")
        total = int(re.search(r"\d+", heading.inner_text()).group(0))
        assert 40 <= total <= 50  # 6 rides, 18 meals, 6 visits and the weekly errands
        text = main_text(page)
        assert "Cycle 6" in text and "Only you and your coordinators can see this plan" in text
        months = page.locator("#preview .plan-months li")
        assert months.count() >= 4  # about four months of help, month by month
        assert (
            sum(int(re.search(r": (\d+) task", months.nth(i).inner_text()).group(1)) for i in range(months.count()))
            == total
        )
        page.get_by_label(re.compile("Weekly errand run")).uncheck()  # she unticks one and posts straight away
        page.get_by_role("button", name=f"Post {total} tasks").click()
        page.get_by_text("nothing is posted yet").wait_for()  # saved, shown, not posted unseen
        shot(page, "ticks-changed")
        heading = page.get_by_role("heading", name=re.compile(r"Ready to post: \d+ tasks"))
        fewer = int(re.search(r"\d+", heading.inner_text()).group(0))
        assert fewer < total and not page.get_by_label(re.compile("Weekly errand run")).is_checked()
        assert db.session.scalar(select(func.count(Task.id))) == 0
        total = fewer
        page.get_by_role("button", name=f"Post {total} tasks").click()
        page.get_by_text(f"Posted {total} tasks.").wait_for()
        shot(page, "posted")
        assert f"Posted: {total} tasks, 0 taken" in main_text(page)

        db.session.expire_all()
        plan = db.session.scalar(select(Plan).where(Plan.circle_id == circle.id))
        third = plan.treatments[0].days[2]
        cycle3 = db.session.scalars(select(Task).join(Need).where(Need.plan_day_id == third.id)).all()
        later = db.session.scalars(
            select(Task).join(Need).where(Need.plan_day_id == plan.treatments[0].days[4].id)
        ).all()
        for task in cycle3[:3]:
            claim_make(membership=members[0], task_id=task.id)
        claim_make(membership=members[1], task_id=later[0].id)
        db.session.commit()

        page.goto(f"{server.url}/circles/{circle.id}/plan")
        page.locator(f"#day-{third.id}").get_by_role("link", name="Move").click()
        new_date = third.local_date + timedelta(days=7)
        page.get_by_label("New date").fill(new_date.isoformat())
        page.get_by_label("This one and every one after it").check()
        shot(page, "move")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("heading", name=re.compile(r"Move Cycle 3")).wait_for()
        shot(page, "move-confirm")
        assert "2 people who have one of them will get one text" in main_text(page)
        page.get_by_role("button", name="Yes, move it").click()
        page.get_by_text("2 people got one text each.").wait_for()
        shot(page, "moved")
        assert f"moved from {third.local_date:%a %-d %b}" in main_text(page)

    told = db.session.scalars(select(Message).where(Message.kind == "plan_moved")).all()
    assert sorted(m.to_address for m in told) == ["+12025550110", "+12025550111"]  # once each
    sams = next(m.body for m in told if m.to_address == "+12025550110")
    assert all(f"task {t.id}" in sams for t in cycle3[:3])
    assert not re.search(r"chemo|infusion|cancer|mercy|second round", " ".join(m.body for m in told), re.I)
