"""Updates walked on a phone (390x844): the patient posts news with a photo straight from her phone's camera
(a JPEG carrying GPS tags), a supporter opens it from the texted link, sends a note and love, and the patient
sees both and hides the note. What each person sees is asserted, and the photo that comes back has no tags."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message, UpdateNote
from coordinator.models.circles import COORDINATOR
from tests.browser import browser_context, chromium_browser, sign_in_by_form
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.live import LiveServer

pytestmark = pytest.mark.browser

PHONE_PHOTO = Path(__file__).parent / "data" / "phone_photo_gps.jpg"


@pytest.fixture
def config_overrides(tmp_path):
    return {"PHOTO_DIR": str(tmp_path / "photos")}


def test_news_with_a_phone_photo_a_texted_link_a_note_and_love_and_the_patient_hiding_the_note(app):
    maria = make_user(name="Maria Lopez", phone="+12025550100")
    circle = make_circle(patient=maria, name="Maria's circle")
    add_member(circle, make_user(name="Daniel Lopez", phone="+12025550101"), COORDINATOR)
    sam = make_user(name="Sam Carter", phone="+12025550110", email=None, password=None)
    add_member(circle, sam)
    with Image.open(PHONE_PHOTO) as original:
        assert original.getexif().get_ifd(0x8825)  # the test photo really carries GPS

    with LiveServer(app) as server, chromium_browser() as browser:
        app.config["PUBLIC_BASE_URL"] = server.url
        patient = browser_context(browser, phone=True).new_page()
        sign_in_by_form(patient, server.url, maria.email, PASSWORD)
        patient.goto(f"{server.url}/circles/{circle.id}")
        patient.get_by_role("link", name="Post an update").click()
        patient.get_by_label("What would you like to tell people?").fill(
            "The first infusion went well.\n\nThe nurses were lovely. More at https://example.org/schedule."
        )
        patient.get_by_label("Photos (optional)").set_input_files(str(PHONE_PHOTO))
        patient.get_by_role("button", name="Post it").click()
        patient.get_by_text("Posted.").wait_for()
        body = patient.locator("main").inner_text()
        assert "The first infusion went well." in body and "The nurses were lovely." in body
        photo = patient.locator(".update-photos img").first
        photo.wait_for()
        assert patient.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        shown = patient.request.get(server.url + photo.get_attribute("src"))
        with Image.open(io.BytesIO(shown.body())) as image:
            assert not image.getexif() and max(image.size) <= 1080  # no GPS, no camera, phone-sized

        db.session.expire_all()
        text = db.session.scalar(select(Message).where(Message.kind == "update_news", Message.to_address == sam.phone))
        assert "infusion" not in text.body and "nurses" not in text.body  # news, never the words
        link = re.search(r"https?://\S+/u/[\w-]+", text.body).group(0)

        supporter = browser_context(browser, phone=True).new_page()
        supporter.goto(link)
        supporter.get_by_role("button", name="Read the update").click()
        supporter.get_by_role("heading", name="Updates").wait_for()
        assert "The first infusion went well." in supporter.locator("main").inner_text()
        supporter.get_by_role("button", name="Send love").click()
        supporter.get_by_text("Sent your love to Maria.").wait_for()
        assert "You sent love" in supporter.locator("main").inner_text()
        supporter.get_by_role("link", name="Write a note").click()
        supporter.get_by_label("Write a note").fill("Thinking of you, see you Tuesday")
        supporter.get_by_role("button", name="Send the note").click()
        supporter.get_by_text("Sent. Thank you for writing to Maria.").wait_for()

        patient.reload()
        notes = patient.locator("#notes")
        assert "Thinking of you, see you Tuesday" in notes.inner_text() and "Sam Carter" in notes.inner_text()
        assert "1 person sent love" in patient.locator("main").inner_text()
        notes.get_by_role("button", name="Hide this note").click()
        patient.get_by_text("Hidden. Only you can see it now.").wait_for()
        db.session.expire_all()
        assert db.session.scalar(select(UpdateNote.hidden_at)) is not None
        supporter.reload()
        assert "Thinking of you, see you Tuesday" not in supporter.locator("main").inner_text()
