"""The health page tells coordinators in plain words what the service did this week and why (this_week.py)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import time_machine

from coordinator.extensions import db
from coordinator.services.care.claims import claim_make
from coordinator.services.health.activity import activity_record
from coordinator.services.health.outreach import outreach_run
from coordinator.services.health.this_week import task_words
from coordinator.services.texting.messages import notify
from tests.factories import PASSWORD, add_member, make_circle, make_need, make_user
from tests.web import WebClient

START = datetime(2026, 6, 1, 14, tzinfo=UTC)  # Monday 10:00 in New York


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def need(circle, author, category, day):
    return make_need(
        circle, author, category=category, start_date=date(2026, 6, day), start_time=time(9), end_time=time(10)
    ).tasks[0]


def test_the_page_says_whom_it_asked_about_what_in_how_many_texts_who_said_yes_and_whom_it_spared(app):
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel Lopez", phone="+12025550101")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        circle.health_settings = {"best_few": 2}
        ana = add_member(circle, make_user(name="Ana Ruiz", phone="+12025550110"))
        ben = add_member(circle, make_user(name="Ben Cole", phone="+12025550111"))
        sam = add_member(circle, make_user(name="Sam Park", phone="+12025550112"))
        sam.asks_per_week = 1
        activity_record(kind="claim.made", circle_id=circle.id, subject_id=ana.user_id)
        activity_record(kind="claim.made", circle_id=circle.id, subject_id=ben.user_id)
        db.session.commit()
        notify(
            user=sam.user, kind="digest", key="sam", context={"first_name": "Maria", "lines": []}, circle_id=circle.id
        )
        db.session.commit()
        ride = need(circle, daniel, "ride", 5)  # Friday
        need(circle, daniel, "meal", 6)  # Saturday
        outreach_run()
        db.session.commit()
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        claim_make(membership=ana, task_id=ride.id)
        for day in (8, 9):  # Ben took two errands: with four spots among four helpers, the cap is 2
            claim_make(membership=ben, task_id=need(circle, daniel, "errands", day).id)
        db.session.commit()
    with time_machine.travel(START + timedelta(hours=3), tick=True):
        browser = WebClient(app.test_client())
        browser.sign_in(daniel.email, PASSWORD)
        page = text(browser.get(f"/circles/{circle.id}/health").get_data(as_text=True))

    assert "What the service did this week" in page
    assert "Asked 2 people about Friday's ride, one text each with another task; Ana said yes." in page
    assert "Offered Saturday's meal to 2 people in a text about another task; nobody has said yes yet." in page
    assert "Not asking Sam again this week: they have had the 1 ask a week they chose." in page
    assert "Not asking Ben for now: they already carry their fair share." in page
    assert "Not asking Ana" not in page  # one task, one short of her share: she may still be asked


def test_tasks_are_named_by_day_as_a_coordinator_would_say_them(app):
    monday = date(2026, 6, 1)
    assert task_words("ride", monday, monday) == "today's ride"
    assert task_words("meal", date(2026, 6, 2), monday) == "tomorrow's meal"
    assert task_words("ride", date(2026, 6, 5), monday) == "Friday's ride"
    assert task_words("errands", date(2026, 5, 29), monday) == "last Friday's errand"
    assert task_words("ride", date(2026, 6, 9), monday) == "the ride on Tue 9 Jun"
