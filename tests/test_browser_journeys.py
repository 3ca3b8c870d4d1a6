"""The first five minutes, walked on a phone (390x844) the way each person meets the service.

Each journey asserts what a person would see on the screen, not status codes:
a supporter joining from a texted link, a newcomer setting up a circle for
someone else, the patient planning months ahead, a coordinator looking after
the people. Taps and pages are counted where the issue asks for them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Claim, Message
from coordinator.services.people.invitations import contact_parse, invitation_send
from tests.browser import chromium_page
from tests.factories import make_circle, make_need, make_user
from tests.live import LiveServer
from tests.registering import emailed_link

pytestmark = pytest.mark.browser


class Steps:
    """Counts what a person does: taps on buttons and links, and the pages they land on."""

    def __init__(self, page):
        self.page = page
        self.taps = 0
        self.pages = 0
        page.on("framenavigated", lambda frame: self._landed(frame))

    def _landed(self, frame) -> None:
        if frame == self.page.main_frame:
            self.pages += 1

    def tap(self, locator) -> None:
        self.taps += 1
        locator.click()


def visible_text(page) -> str:
    return page.locator("main").inner_text()


def test_a_supporter_joins_from_a_texted_link_takes_a_task_and_gives_it_back(app):
    daniel = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=daniel, name="Team Maria")
    ride = make_need(circle, daniel, title="Ride to chemo", start_date=today_in(circle.timezone) + timedelta(days=3))
    make_need(
        circle, daniel, category="meal", title="Dinner for the family", start_date=ride.start_date + timedelta(days=2)
    )
    contact = contact_parse(name="Sam Carter", phone="202-555-0110", email="", region="US")
    invitation_send(circle=circle, inviter=daniel, contact=contact, message="Could you help again?")
    db.session.commit()
    text = db.session.scalar(select(Message).where(Message.kind == "invitation"))
    link = re.search(r"https?://\S+/i/[\w-]+", text.body).group(0)

    with LiveServer(app) as server, chromium_page() as page:
        steps = Steps(page)
        page.goto(link.replace("http://localhost", server.url))
        assert page.get_by_role("heading", name="Join Team Maria").is_visible()
        assert "Could you help again?" in visible_text(page)
        assert page.get_by_label("Your name").input_value() == "Sam Carter"
        assert page.get_by_label("Mobile number").input_value() == "+12025550110"
        page.get_by_label("Yes, text me about ways to help").check()
        steps.tap(page.get_by_role("button", name="Join the circle"))

        page.get_by_role("heading", name="Could you help Maria?").wait_for()
        assert "/i/" not in page.url  # the token has left the address bar
        assert "Welcome, Sam!" in visible_text(page)
        offered = page.locator(".suggestions .task")
        assert offered.count() == 2 and "Ride to chemo" in offered.first.inner_text()  # soonest first
        steps.tap(offered.first.get_by_role("button", name="I'll do it"))
        page.get_by_text("Thank you! It's yours.").wait_for()
        taken = db.session.scalar(select(Claim).where(Claim.status == "held"))
        assert taken is not None and taken.task.need_id == ride.id
        # From the link in the text to a task taken: two taps (and the consent tick), two pages.
        assert (steps.taps, steps.pages) == (2, 3), (steps.taps, steps.pages)  # 3 loads: link, home, home again

        mine = page.locator("section", has=page.get_by_role("heading", name="You said yes to"))
        assert "Ride to chemo" in mine.inner_text()
        mine.get_by_role("link", name="Ride to chemo").click()
        page.get_by_role("link", name="I can't make it").click()
        page.get_by_role("heading", name="Give back “Ride to chemo”?").wait_for()
        assert "coordinators will be told" in visible_text(page)
        db.session.expire_all()
        assert db.session.scalar(select(Claim.status)) == "held"  # asking changed nothing
        page.get_by_label("Anything to pass on? (optional)").fill("My shift changed")
        page.get_by_role("button", name="Yes, give it back").click()
        page.get_by_text("you're off this one").wait_for()
        db.session.expire_all()
        assert db.session.scalar(select(Claim.status)) == "released"
        told = db.session.scalar(select(Message).where(Message.kind == "claim_released"))
        assert told is not None and told.user_id == daniel.id


def test_a_newcomer_registers_and_sets_up_a_circle_for_someone_else(app):
    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/")
        page.get_by_role("link", name="Start a circle").first.click()
        page.get_by_label("Your name").fill("Daniel Lopez")
        page.get_by_label("Email").fill("daniel@example.org")
        page.get_by_role("button", name="Email me a link").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        page.goto(server.url + emailed_link("daniel@example.org"))  # the link in the email
        page.get_by_label("Choose a password").fill("a long phrase to remember")
        page.get_by_role("button", name="Create account").click()

        page.get_by_role("heading", name="Start a circle").wait_for()
        page.get_by_label("Someone else: I'm organising for them").check()
        page.get_by_label("Their name").fill("Maria Lopez")
        page.get_by_role("button", name="Start the circle").click()

        page.get_by_role("heading", name="Supporting Maria Lopez").wait_for()
        text = visible_text(page)
        assert "Get Maria's circle going" in text
        assert "has someone" not in text and "Thank you, everyone" not in text  # no cover it doesn't have
        assert "Nothing is planned for the next 7 days." in text
        page.get_by_role("link", name="Rides to treatment").click()
        page.get_by_role("heading", name="Ask for a ride").wait_for()
        assert page.get_by_label("What's needed").input_value() == "Rides to treatment"
        page.go_back()
        page.get_by_role("link", name="Invite people").first.click()
        page.get_by_role("heading", name="Invite people").wait_for()
        nav = page.get_by_role("navigation", name="Helping Maria")
        assert nav.get_by_role("link").count() <= 4  # four places, the rest under More
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_coordinator_invites_lets_someone_in_imports_a_list_and_removes_someone_after_confirming(app, tmp_path):
    from coordinator.models import Invitation, Membership, User
    from coordinator.services.care.claims import claim_make
    from coordinator.services.people.invitation_links import invitation_by_token, shared_link_create
    from coordinator.services.people.joining import JoinInput, join_accept
    from tests.factories import PASSWORD, add_member

    daniel = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=daniel, name="Team Maria")
    tom = make_user(name="Tom Becker", phone="+12025550112")
    tom_member = add_member(circle, tom)
    ride = make_need(circle, daniel, title="Ride to chemo")
    claim_make(membership=tom_member, task_id=ride.tasks[0].id)
    token = shared_link_create(circle=circle, inviter=daniel)
    join_accept(
        invitation=invitation_by_token(token),
        data=JoinInput(name="Grace Okafor", phone="202-555-0113", consent=True),
    )
    db.session.commit()
    contacts = tmp_path / "last-time.csv"
    contacts.write_text("Name,Mobile,Email\nRobin Park,202-555-0130,\nLee Chan,12345,\n")

    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/sign-in")
        page.get_by_label("Email").fill(daniel.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Waiting on you").wait_for()
        assert "Grace Okafor asked to join" in visible_text(page)  # what waits on him, on the first page

        page.get_by_role("navigation", name="Team Maria").get_by_role("link", name="People").click()
        page.get_by_role("button", name="Let Grace in").click()
        page.get_by_text("Grace Okafor is in the circle").wait_for()

        page.get_by_role("link", name="Invite people").click()
        page.get_by_label("Their name").fill("Priya Natarajan")
        page.get_by_label("Mobile number").fill("(202) 555-0111")
        page.get_by_role("button", name="Send the invitation").click()
        page.get_by_text("Invitation on its way to Priya Natarajan").wait_for()

        page.get_by_role("link", name="From a contact file").click()
        page.get_by_label("Contacts file").set_input_files(str(contacts))
        page.get_by_role("button", name="Check the list").click()
        page.get_by_role("heading", name="Check the list").wait_for()
        rejected = page.locator("tr.import-rejected")
        assert rejected.count() == 1 and "Lee Chan" in rejected.inner_text()
        assert page.locator("tr.import-rejected .import-reason").is_visible()  # the reason, on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Send 1 invitation").click()
        page.get_by_text("Sent 1 invitation").wait_for()

        page.get_by_role("navigation", name="Team Maria").get_by_role("link", name="People").click()
        page.get_by_text("Manage Tom").click()
        page.get_by_role("link", name="Remove Tom from the circle").click()
        page.get_by_role("heading", name=re.compile("Remove Tom Becker")).wait_for()
        question = visible_text(page)
        assert "Ride to chemo" in question and "need someone again" in question
        db.session.expire_all()
        assert db.session.scalar(select(Membership.status).where(Membership.user_id == tom.id)) == "active"
        page.get_by_role("button", name=re.compile("Remove Tom")).click()
        page.get_by_text("Tom Becker is no longer in the circle").wait_for()

    db.session.expire_all()
    assert db.session.scalar(select(Membership.status).where(Membership.user_id == tom.id)) == "removed"
    grace = db.session.scalar(select(User).where(User.name == "Grace Okafor"))
    assert db.session.scalar(select(Membership.status).where(Membership.user_id == grace.id)) == "active"
    invited = set(db.session.scalars(select(Invitation.name).where(Invitation.kind != "link")))
    assert invited == {"Priya Natarajan", "Robin Park"}


def test_the_patient_asks_for_a_ride_three_months_out_and_a_weekly_meal(app):
    from tests.factories import PASSWORD, add_member

    maria = make_user(name="Maria Lopez")
    circle = make_circle(patient=maria, name="Team Maria")
    add_member(circle, make_user(name="Sam Carter"))
    today = today_in(circle.timezone)
    surgery = today + timedelta(days=92)
    first_meal = today + timedelta(days=3)

    with LiveServer(app) as server, chromium_page() as page:
        page.goto(server.url + "/sign-in")
        page.get_by_label("Email").fill(maria.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Your circle", exact=True).wait_for()

        page.get_by_role("navigation", name="Team Maria").get_by_role("link", name="Ask for help").click()
        page.get_by_role("link", name="Rides to appointments").click()
        page.get_by_label("What's needed").fill("Ride to my surgery")
        page.get_by_label("Date", exact=True).fill(surgery.isoformat())  # what the date picker sends
        page.get_by_label("From", exact=True).fill("07:30")  # what the time picker sends
        page.get_by_label("Until", exact=True).fill("09:00")
        page.get_by_label("Pickup address").fill("12 Elm St, Springfield")
        page.get_by_label("Appointment time").fill("08:15")
        page.get_by_role("button", name="Post it").click()
        page.get_by_text("Posted “Ride to my surgery”").wait_for()
        shown = visible_text(page)
        assert "past" not in shown.lower() and "still ahead" not in shown
        assert surgery.strftime("%-d %b") in shown and "Appointment time\n8:15am" in shown  # as the picker gave it

        page.get_by_role("navigation", name="Team Maria").get_by_role("link", name="Ask for help").click()
        page.get_by_role("link", name="Meals").click()
        page.get_by_label("What's needed").fill("Dinner for the family")
        page.get_by_label("Date", exact=True).fill(first_meal.isoformat())
        page.get_by_label("From", exact=True).fill("17:30")
        page.get_by_label("Every week").check()
        page.get_by_label("Weeks", exact=True).fill("6")
        page.get_by_role("button", name="Post it").click()
        page.get_by_text("Posted “Dinner for the family”: 6 dates so far.").wait_for()

        page.get_by_role("navigation", name="Team Maria").get_by_role("link", name="Tasks").click()
        page.get_by_role("heading", name="What needs someone").wait_for()
        assert page.get_by_role("button", name="I'll do it").count() == 0  # her own help is for others to take
        listed = visible_text(page)
        assert listed.count("Dinner for the family") == 2  # the first screen is the next two weeks
        screens = [listed]
        while (more := page.get_by_role("link", name=re.compile("^Show more"))).count():
            more.click()
            page.wait_for_load_state()
            screens.append(visible_text(page))
        dinners = sum(text.count("Dinner for the family") for text in screens)
        surgery_seen = any("Ride to my surgery" in text for text in screens)
        assert dinners == 6 and surgery_seen and len(screens) == 4  # each "Show more" continues where it stopped
