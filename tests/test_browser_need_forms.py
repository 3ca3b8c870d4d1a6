"""Every kind of help, asked for on a phone the way a person does it: the browser's own date and time pickers.

page.fill on an <input type=date> or <input type=time> sends exactly what the picker sends (2026-06-02,
09:30), so these tests would have caught the ride form refusing its own appointment time. Also: a failed
submit puts focus on the error summary, which lists every problem and links to each field; and text that
is not a date comes back as typed.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest

from coordinator.categories import CATEGORIES
from coordinator.clock import today_in
from tests.browser import chromium_page
from tests.factories import PASSWORD, make_circle, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser

FILLED = {"number": "2", "text": "Something to know", "long_text": "Side door.\nRing twice."}


def sign_in(page, url, email):
    page.goto(url + "/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda u: "/sign-in" not in u)


def words(day: date, today: date) -> str:
    """How pages write a date: Tue 2 Jun, with the year when it isn't this year's."""
    return f"{day:%a %-d %b}" if day.year == today.year else f"{day:%a %-d %b %Y}"


def open_form(page, server, circle, category):
    page.goto(f"{server.url}/circles/{circle.id}/needs/new")
    page.get_by_role("link", name=category.label, exact=True).click()
    page.get_by_role("heading", name=f"Ask for {category.noun}").wait_for()


@contextmanager
def form_on_a_phone(app, category: str):
    """Daniel, signed in on a phone, looking at the form asking for `category`."""
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    with LiveServer(app) as server, chromium_page() as page:
        sign_in(page, server.url, coordinator.email)
        open_form(page, server, circle, CATEGORIES[category])
        yield page


def fill_details(page, category):
    for detail in category.asked:
        field = page.locator(f"#detail_{detail.name}")
        if detail.kind == "yes_no":
            field.check()
        elif detail.kind == "time":
            assert field.get_attribute("type") == "time"
            field.fill("09:30")  # what the time picker sends
        else:
            field.fill(FILLED[detail.kind])
    if category.address_label:
        page.get_by_label(category.address_label, exact=True).fill("12 Elm St, Springfield")


def test_every_kind_of_help_can_be_asked_for_with_the_phones_pickers(app):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    today = today_in(circle.timezone)
    with LiveServer(app) as server, chromium_page() as page:
        sign_in(page, server.url, coordinator.email)
        for n, category in enumerate(CATEGORIES.values()):
            open_form(page, server, circle, category)
            day = today + timedelta(days=91 if category.key == "ride" else 7 + n)  # the ride: three months out
            title = f"{category.label} for Maria"
            page.get_by_label("What's needed").fill(title)
            page.get_by_label("Date", exact=True).fill(day.isoformat())
            page.get_by_label("From", exact=True).fill("10:00")
            page.get_by_label("Until", exact=True).fill("11:15")
            fill_details(page, category)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.get_by_role("button", name="Post it").click()
            page.get_by_text(f"Posted “{title}” for {words(day, today)}.").wait_for()
            main = page.locator("main").inner_text()
            assert page.get_by_role("heading", level=1).inner_text() == title
            assert f"{words(day, today)}, 10:00am–11:15am" in main
            assert "passed" not in main and "#" not in main


def test_a_weekly_series_starting_in_nine_weeks_shows_its_planned_dates(app):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    today = today_in(circle.timezone)
    first = today + timedelta(weeks=9)
    with LiveServer(app) as server, chromium_page() as page:
        sign_in(page, server.url, coordinator.email)
        open_form(page, server, circle, CATEGORIES["meal"])
        assert not page.get_by_label("Weeks", exact=True).is_visible()  # repeat options only when repeating
        page.get_by_label("What's needed").fill("Dinner after chemo")
        page.get_by_label("Date", exact=True).fill(first.isoformat())
        page.get_by_label("From", exact=True).fill("17:30")
        page.get_by_label("Every week").check()
        page.get_by_label("Weeks", exact=True).fill("12")
        page.get_by_label("Drop-off address").fill("12 Elm St")
        page.get_by_label("How many to feed").fill("4")
        page.get_by_role("button", name="Post it").click()
        page.get_by_text(
            f"Posted “Dinner after chemo”: 9 dates so far. The first is {words(first, today)}. "
            "3 more dates open for sign-up nearer the time."
        ).wait_for()
        main = page.locator("main").inner_text()
        for week in range(9, 12):
            assert words(first + timedelta(weeks=week), today) in main
        assert main.count("Planned") == 3 and "Sign-up for these opens nearer the time" in main
        assert f"{words(first, today)}, 5:30pm–6:30pm" in main  # "Until" left empty: an hour


def test_a_failed_submit_focuses_a_summary_of_every_problem_that_links_to_each_field(app):
    with form_on_a_phone(app, "meal") as page:
        page.get_by_label("Every week").check()
        page.get_by_label("How many to feed").fill("99")
        page.get_by_role("button", name="Post it").click()
        summary = page.locator("[data-error-summary]")
        summary.wait_for()
        page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')", timeout=5_000)
        links = summary.get_by_role("link")
        assert links.all_inner_texts() == [
            "Enter a title.",
            "Choose a date.",
            "Enter a start time.",
            "Repeat for between 1 and 104 weeks.",
            "Enter a number from 1 to 30.",
        ]
        for link, target in zip(
            links.all(), ["title", "start_date", "start_time", "weeks", "detail_servings"], strict=True
        ):
            link.click()
            page.wait_for_function(f"document.activeElement.id === '{target}'", timeout=5_000)
            assert page.locator(f"#{target}").get_attribute("aria-invalid") == "true"


def test_text_that_is_not_a_date_comes_back_as_typed(app):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    with LiveServer(app) as server, chromium_page() as page:
        sign_in(page, server.url, coordinator.email)
        open_form(page, server, circle, CATEGORIES["visit"])
        # A browser without a date picker shows a text box; people type what they think.
        page.evaluate("document.getElementById('start_date').type = 'text'")
        page.get_by_label("What's needed").fill("Company on Sunday")
        page.get_by_label("Date", exact=True).fill("the sunday after next")
        page.get_by_label("From", exact=True).fill("14:00")
        page.get_by_role("button", name="Post it").click()
        page.locator("[data-error-summary]").wait_for()
        date_field = page.get_by_label("Date", exact=True)
        assert date_field.get_attribute("type") == "text"
        assert date_field.input_value() == "the sunday after next"
        assert page.get_by_label("What's needed").input_value() == "Company on Sunday"
        assert page.get_by_label("From", exact=True).input_value() == "14:00"
        date_field.fill("3 days from now")  # still not a date
        date_field.fill((today_in(circle.timezone) + timedelta(days=3)).strftime("%-d %b %Y"))
        page.get_by_role("button", name="Post it").click()
        page.get_by_text("Posted “Company on Sunday”").wait_for()


def test_the_from_and_until_boxes_sit_inside_their_row_on_a_phone(app):
    with form_on_a_phone(app, "ride") as page:
        row = page.locator(".field-pair").first
        right = row.bounding_box()["x"] + row.bounding_box()["width"]
        for box in row.locator("input").all():
            edge = box.bounding_box()
            assert edge["x"] + edge["width"] <= right + 0.5  # the second one stuck out about 8 px
