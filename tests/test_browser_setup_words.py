"""On a phone (390x844): starting a circle asks only what applies, and the message log and the import preview
show everything on the screen (no column off to the side, every reason readable), with no serious axe finding."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Circle
from coordinator.services.people.invitations import contact_parse, invitation_send
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import notify
from coordinator.sms.console import ConsoleGateway
from tests.a11y import axe_findings, findings_report
from tests.browser import PHONE, browser_context, chromium_browser, chromium_page, sign_in_by_form
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_starting_a_circle_asks_their_name_only_for_someone_else_and_finds_a_typed_city(app):
    daniel = make_user(name="Daniel Lopez")
    with LiveServer(app) as server, chromium_page() as page:
        sign_in_by_form(page, server.url, daniel.email, PASSWORD)
        page.goto(server.url + "/circles/new")
        main = page.locator("main")
        assert main.get_by_text("Who is this for?").is_visible()
        assert not page.get_by_label("Their name").is_visible()  # "Me" is chosen: nothing to ask
        assert main.get_by_text("Eastern Time (New York) · United States (+1)").is_visible()
        page.get_by_label("Someone else: I'm organising for them").check()
        page.get_by_label("Their name").fill("Rosa Díaz")
        page.get_by_text("Time zone and country").click()
        zones = page.get_by_label("Time zone", exact=True)
        assert zones.locator("option").count() < 30
        assert zones.locator("option:checked").inner_text() == "Eastern Time (New York)"
        page.get_by_label("Not in the list? Type a nearby city instead").fill("Lisbon")
        page.get_by_role("button", name="Start the circle").click()
        page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
        assert "Supporting Rosa Díaz" in main.inner_text() or "Helping Rosa" in page.inner_text("body")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    circle = db.session.scalar(select(Circle))
    assert (circle.patient_name, circle.timezone) == ("Rosa Díaz", "Europe/Lisbon")


def _seed_log_and_import(app):
    daniel = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=daniel, patient=make_user(name="Maria Lopez"))
    sam = make_user(name="Sam Carter", phone="+12025550110", email=None)
    add_member(circle, sam)
    with app.test_request_context():
        for name, phone in (("Rosa Díaz", "202-555-0143"), ("", "202-555-0188")):
            contact = contact_parse(name=name, phone=phone, email="", region="US")
            invitation_send(circle=circle, inviter=daniel, contact=contact, message="")
        notify(
            user=sam,
            kind="welcome",
            key="w",
            circle_id=circle.id,
            context={"circle_name": circle.name, "first_name": "Maria"},
        )
        db.session.commit()
    dispatch_due(gateway=ConsoleGateway(stream=io.StringIO()), pacer=Pacer(0))
    return circle, daniel


def test_the_message_log_and_the_import_preview_fit_a_phone_with_every_word_on_screen(app):
    circle, daniel = _seed_log_and_import(app)
    contacts = "Name,Mobile,Email\nAnn Lee,202-555-0101,\nBad Number,12,\nNobody Here,,\nAnn again,202-555-0101,\n"
    findings = []
    with LiveServer(app) as server, chromium_browser() as browser:
        for phone in (True, False):
            context = browser_context(browser, phone=phone)
            page = context.new_page()
            sign_in_by_form(page, server.url, daniel.email, PASSWORD)
            width = page.viewport_size["width"]

            page.goto(f"{server.url}/circles/{circle.id}/messages")
            text = page.locator("main").inner_text()
            assert "Rosa Díaz" in text and "Someone you invited" in text and "Invitee" not in text
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            for cell in page.locator("table.log td").all():
                box = cell.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, cell.inner_text()
            assert page.locator("table.log .tag").first.is_visible()
            name = page.locator("table.log .log-to strong", has_text="Rosa Díaz")
            assert name.bounding_box()["height"] < 30  # one line, not broken letter by letter
            findings += axe_findings(page, f"messages {'phone' if phone else 'desktop'}")

            page.goto(f"{server.url}/circles/{circle.id}/invitations/import")
            page.set_input_files(
                "input[type=file]", files=[{"name": "old.csv", "mimeType": "text/csv", "buffer": contacts.encode()}]
            )
            page.locator("main button[type=submit]").click()
            page.wait_for_url("**/import/*")
            reasons = page.locator(".import-rejected .import-reason")
            assert reasons.count() == 2
            for reason in reasons.all():
                box = reason.bounding_box()
                assert reason.is_visible() and box["x"] + box["width"] <= width, reason.inner_text()
            assert "isn't valid" in reasons.first.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            findings += axe_findings(page, f"import preview {'phone' if phone else 'desktop'}")
            context.close()
    assert not findings, findings_report(findings)
