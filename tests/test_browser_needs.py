"""A patient asks for weekly rides; a supporter takes the first; the patient's calendar shows the driver."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coordinator.clock import today_in
from tests.browser import chromium_page
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def sign_in(page, url, email):
    page.goto(url + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_patient_posts_weekly_rides_supporter_takes_the_first_patient_sees_the_driver(app):
    patient = make_user(name="Maria Lopez")
    supporter = make_user(name="Sam Carter")
    circle = make_circle(patient=patient)
    add_member(circle, supporter)
    first_day = today_in(circle.timezone) + timedelta(days=2)

    with LiveServer(app) as server, chromium_page() as page:
        sign_in(page, server.url, patient.email)
        page.goto(f"{server.url}/circles/{circle.id}")
        page.get_by_role("link", name="Ask for help").first.click()
        page.get_by_role("link", name="Rides to appointments").click()
        page.get_by_label("What's needed").fill("Ride to chemo")
        page.get_by_label("Date", exact=True).fill(first_day.isoformat())
        page.get_by_label("From", exact=True).fill("09:00")
        page.get_by_label("Until", exact=True).fill("11:00")
        page.get_by_label("Every week").check()
        page.get_by_label("After a number of weeks").check()
        page.get_by_label("Weeks", exact=True).fill("6")
        page.get_by_label("Pickup address").fill("12 Elm St, Springfield")  # a ride asks one address
        page.get_by_role("button", name="Post it").click()
        page.get_by_text("Posted “Ride to chemo”: 6 dates so far.").wait_for()

        page.context.clear_cookies()
        sign_in(page, server.url, supporter.email)
        page.goto(f"{server.url}/circles/{circle.id}/tasks")
        rides = page.get_by_role("button", name="I'll do it")
        assert rides.count() == 2  # the first screen is the next two weeks
        rides.first.click()
        page.get_by_text("Thank you! It's yours.").wait_for()
        assert page.get_by_role("button", name="I'll do it").count() == 1  # the list shows what still needs someone
        page.goto(f"{server.url}/circles/{circle.id}/mine")
        assert "12 Elm St, Springfield" in page.locator("main").inner_text()

        page.context.clear_cookies()
        sign_in(page, server.url, patient.email)
        page.goto(f"{server.url}/circles/{circle.id}/calendar?week={first_day.isoformat()}")
        day = page.locator(f"#wd-{first_day.isoformat()}").locator("xpath=..")
        assert "Ride to chemo" in day.inner_text()
        assert "Sam Carter" in day.inner_text()
