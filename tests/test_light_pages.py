"""Light first screens (issue 17): the task list shows two weeks or 30 tasks with a working "Show more",
supporters first see what still needs someone, and a busy week's calendar sums its days up."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select, update

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Claim, Task
from coordinator.services.care.recurrence import Repeat
from tests.factories import PASSWORD, add_member, make_circle, make_need, make_user
from tests.queries import counting
from tests.web import WebClient

FIRST_SCREEN_BYTES = 30 * 1024
TASK_ROW = re.compile(r'<li class="task[ "]')
WEEK_ROW = re.compile(r'<li class="week-task[ "]')
SHOW_MORE = re.compile(r'href="(/circles/\d+/tasks\?[^"]*)">Show more, from')


def signed_in(app, user) -> WebClient:
    browser = WebClient(app.test_client())
    assert browser.sign_in(user.email, PASSWORD).status_code == 302
    return browser


def busy_circle(daily_needs: int, *, claim_every: int = 0):
    """A circle with `daily_needs` daily series for 56 days from tomorrow; every `claim_every`th task taken."""
    coordinator, supporter, helper = make_user(), make_user(), make_user()
    circle = make_circle(coordinator=coordinator)
    add_member(circle, supporter)
    add_member(circle, helper)
    for n in range(daily_needs):
        make_need(
            circle,
            coordinator,
            title=f"Need {n}",
            category=("ride", "meal", "visit")[n % 3],
            start_time=time(8 + n % 10, 0),
            end_time=time(9 + n % 10, 0),
            repeat=Repeat("daily", (), "count", count=56),
        )
    if claim_every:
        taken = db.session.scalars(select(Task.id).where(Task.circle_id == circle.id).order_by(Task.id)).all()
        taken = taken[::claim_every]
        db.session.add_all([Claim(task_id=t, user_id=helper.id, circle_id=circle.id) for t in taken])
        db.session.execute(update(Task).where(Task.id.in_(taken)).values(claimed=1))
        db.session.commit()
    return circle, coordinator, supporter


def task_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'formaction="/circles/\d+/tasks/(\d+)/claim"', html)]


def test_the_task_list_shows_one_screen_and_show_more_walks_through_every_open_task_once(app):
    circle, _, supporter = busy_circle(4, claim_every=3)
    browser = signed_in(app, supporter)
    url, seen, screens = f"/circles/{circle.id}/tasks", [], 0
    while url:
        response = browser.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert len(response.data) <= FIRST_SCREEN_BYTES, (url, len(response.data))
        rows = TASK_ROW.findall(html)
        assert 0 < len(rows) <= 30
        seen += task_ids(html)
        screens += 1
        more = SHOW_MORE.search(html)
        url = more.group(1).replace("&amp;", "&") if more else None
    open_tasks = db.session.scalars(
        select(Task.id).where(Task.circle_id == circle.id, Task.claimed == 0).order_by(Task.starts_at, Task.id)
    ).all()
    assert seen == list(open_tasks)  # every open task, in order, none twice, none missed
    assert screens >= 5  # 56 days x 4 tasks, two-thirds open: 149 tasks, at most 30 a screen


def test_a_day_with_more_tasks_than_a_screen_is_continued_not_repeated(app):
    circle, _, supporter = busy_circle(40)  # 40 tasks a day
    browser = signed_in(app, supporter)
    first = browser.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    more = SHOW_MORE.search(first).group(1).replace("&amp;", "&")
    second = browser.get(more).get_data(as_text=True)
    ids_first, ids_second = task_ids(first), task_ids(second)
    assert len(ids_first) == 30 and ids_second and not set(ids_first) & set(ids_second)
    tomorrow = today_in(circle.timezone) + timedelta(days=1)
    assert f"from={tomorrow.isoformat()}" in more and "skip=30" in more


@pytest.mark.parametrize("bad", ["-5", "abc", "99999999999999999999", "1e9"])
def test_a_strange_skip_is_no_error(app, bad):
    circle, _, supporter = busy_circle(2)
    day = today_in(circle.timezone) + timedelta(days=1)
    response = signed_in(app, supporter).get(f"/circles/{circle.id}/tasks?from={day.isoformat()}&skip={bad}")
    assert response.status_code == 200


def test_a_supporter_first_sees_only_what_needs_someone_and_can_see_everything(app):
    circle, _, supporter = busy_circle(2, claim_every=2)
    browser = signed_in(app, supporter)
    html = browser.get(f"/circles/{circle.id}/tasks").get_data(as_text=True)
    assert "Covered" not in html and "Needs someone" in html
    assert "Show taken ones too" in html
    everything = browser.get(f"/circles/{circle.id}/tasks?show=all").get_data(as_text=True)
    assert "Covered" in everything and "Needs someone" in everything


def test_a_busy_week_is_summed_up_by_day_with_a_link_to_each_day(app):
    circle, coordinator, _ = busy_circle(12, claim_every=4)  # 12 tasks a day, a quarter taken
    browser = signed_in(app, coordinator)
    week = today_in(circle.timezone) + timedelta(days=7)
    response = browser.get(f"/circles/{circle.id}/calendar?week={week.isoformat()}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.data) <= FIRST_SCREEN_BYTES
    assert not WEEK_ROW.findall(html)  # no rows, only each day's sums
    days = [week - timedelta(days=week.weekday()) + timedelta(days=n) for n in range(7)]
    for day in days:
        taken = db.session.scalar(
            select(func.count()).where(Task.circle_id == circle.id, Task.local_date == day, Task.claimed > 0)
        )
        words = "12 tasks, all covered." if taken == 12 else f"12 tasks, <strong>{12 - taken} need someone</strong>"
        assert words in html, day
    day_link = re.search(r'href="(/circles/\d+/tasks\?[^"]*)">See the 12 tasks', html).group(1).replace("&amp;", "&")
    day = browser.get(day_link).get_data(as_text=True)
    assert len(TASK_ROW.findall(day)) == 12 and "Show more" not in day


def test_a_quiet_week_still_lists_each_task(app):
    circle, coordinator, _ = busy_circle(2)
    browser = signed_in(app, coordinator)
    week = today_in(circle.timezone) + timedelta(days=7)
    html = browser.get(f"/circles/{circle.id}/calendar?week={week.isoformat()}").get_data(as_text=True)
    assert len(WEEK_ROW.findall(html)) == 14 and "Nobody yet" in html


def test_the_people_page_shows_fifteen_people_a_screen_and_everyone_across_screens(app):
    from coordinator.models import Membership

    coordinator = make_user(name="Dana Coordinator")
    circle = make_circle(coordinator=coordinator)
    people = [make_user(name=f"Helper {n:02d}", phone=f"+1202555{n:04d}") for n in range(45)]  # email and phone
    db.session.add_all([Membership(circle=circle, user=u, role="supporter") for u in people])
    db.session.commit()
    browser = signed_in(app, coordinator)
    url, names, counts = f"/circles/{circle.id}/people", [], []
    while url:
        with counting(db.engine) as statements:
            response = browser.get(url)
        counts.append(len(statements))
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and len(response.data) <= FIRST_SCREEN_BYTES
        assert "Everyone (46)" in html
        names += [n.strip() for n in re.findall(r'<h3 class="person-name" dir="auto">([^<]+)', html)]
        more = re.search(r'href="(/circles/\d+/people\?page=\d+)">Show more people \((\d+) more\)', html)
        url = more.group(1) if more else None
    assert names == ["Dana Coordinator"] + [f"Helper {n:02d}" for n in range(45)]
    assert len(counts) == 4 and len(set(counts)) == 1  # 15, 15, 15 and 1 people, the same queries each
    assert browser.get(f"/circles/{circle.id}/people?page=99").status_code == 302  # past the end: back to the first
