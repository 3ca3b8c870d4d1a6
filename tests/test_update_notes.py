"""Encouragement back: notes (from the page or texted as NOTE ...), hearts, hiding, and the patient hearing of
notes at most once a day; notes and hearts count as taking part, and re-engagement suggests a note."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.jobs import JOBS_BY_ID
from coordinator.models import Update, UpdateHeart, UpdateNote
from coordinator.models.circles import COORDINATOR
from coordinator.services.health.load import ACTIVE_KINDS
from coordinator.services.texting.inbound import HELP_LINE
from coordinator.services.updates.posting import update_post
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.sms import SMS_SETTINGS, outbox, text_in

SAM, ANA, DANIEL, MARIA, STRANGER = "+12025550110", "+12025550111", "+12025550101", "+12025550100", "+12025550177"


@pytest.fixture
def config_overrides(tmp_path):
    return SMS_SETTINGS | {"PHOTO_DIR": str(tmp_path / "photos")}


@pytest.fixture
def circle(app):
    maria = make_user(name="Maria Lopez", phone=MARIA)
    circle = make_circle(patient=maria, name="Maria's circle")
    daniel = make_user(name="Daniel Lopez", phone=DANIEL)
    add_member(circle, daniel, COORDINATOR)
    sam = make_user(name="Sam Carter", phone=SAM, email=None, password=None)
    add_member(circle, sam)
    ana = make_user(name="Ana Ruiz", phone=ANA)
    add_member(circle, ana)
    patient = next(m for m in circle.memberships if m.user_id == maria.id)
    update = update_post(member=patient, body="First infusion done.", audience="circle", uploads=[])
    db.session.commit()
    circle.maria, circle.daniel, circle.sam, circle.ana, circle.update = maria, daniel, sam, ana, update
    return circle


def notes() -> list[UpdateNote]:
    db.session.expire_all()
    return list(db.session.scalars(select(UpdateNote).order_by(UpdateNote.id)))


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("NOTE thinking of you, see you Tuesday", "thinking of you, see you Tuesday"),
        ("note thinking of you", "thinking of you"),
        ("  Note:   Love you lots!  ", "Love you lots!"),
        ("NOTES - we're all with you", "we're all with you"),
    ],
)
def test_note_by_text_is_forgiving_and_keeps_the_words_as_typed(client, circle, typed, words):
    reply = text_in(client, SAM, typed)
    assert reply == "Thank you! Your note is on its way to Maria."
    [note] = notes()
    assert note.body == words and note.via == "sms" and note.author_id == circle.sam.id
    assert note.update_id == circle.update.id  # about the latest update they could read


def test_a_note_with_no_words_gets_the_help_reply_which_names_note(client, circle):
    assert text_in(client, SAM, "NOTE") == HELP_LINE
    assert text_in(client, SAM, "note   ") == HELP_LINE
    assert "NOTE" in HELP_LINE and len(HELP_LINE) <= 160
    assert notes() == []


def test_a_strangers_note_does_nothing(client, circle):
    reply = text_in(client, STRANGER, "NOTE hello Maria")
    assert "If you were invited" in reply
    assert notes() == []


def test_the_patient_texting_note_sends_nothing_to_herself(client, circle):
    reply = text_in(client, MARIA, "NOTE hello")
    assert notes() == [] and "Thank you! Your note" not in reply


def sign_in(client, user):
    assert client.sign_in(user.email, PASSWORD).status_code == 302


def test_a_note_and_a_heart_from_the_page_reach_the_patient_who_hides_the_note(client, circle):
    url = f"/circles/{circle.id}/updates/{circle.update.id}"
    sign_in(client, circle.ana)
    sent = client.post(url + "/notes", {"body": "Thinking of you, see you Tuesday"}, form_url=url)
    assert sent.status_code == 302
    assert client.post(url + "/love", {}, form_url=url).status_code == 302
    assert client.post(url + "/love", {}, form_url=url).status_code == 302  # twice is still one heart
    assert db.session.scalar(select(func.count()).select_from(UpdateHeart)) == 1
    page = client.get(url).get_data(as_text=True)
    assert "You sent love" in page and "Thinking of you, see you Tuesday" in page
    client.sign_out()
    sign_in(client, circle.maria)
    page = client.get(url).get_data(as_text=True)
    assert "1 person sent love" in page and "Thinking of you, see you Tuesday" in page
    note = notes()[0]
    hidden = client.post(f"/circles/{circle.id}/notes/{note.id}/hide", {"update": str(circle.update.id)}, form_url=url)
    assert hidden.status_code == 302 and notes()[0].hidden_at is not None
    assert "Hidden" in client.get(url).get_data(as_text=True)  # she still sees it, marked
    client.sign_out()
    sign_in(client, circle.daniel)
    assert "Thinking of you, see you Tuesday" not in client.get(url).get_data(as_text=True)


def test_supporters_read_each_others_notes_only_when_the_patient_shares_them(client, circle):
    url = f"/circles/{circle.id}/updates/{circle.update.id}"
    text_in(client, SAM, "NOTE from Sam with love")
    sign_in(client, circle.ana)
    assert "from Sam with love" not in client.get(url).get_data(as_text=True)
    circle.notes_shared = True
    db.session.commit()
    assert "from Sam with love" in client.get(url).get_data(as_text=True)


def test_empty_and_overlong_notes_get_a_message_and_nothing_is_saved(client, circle):
    url = f"/circles/{circle.id}/updates/{circle.update.id}"
    sign_in(client, circle.ana)
    empty = client.post(url + "/notes", {"body": "   "}, form_url=url)
    assert empty.status_code == 422 and "Write a few words to send." in empty.get_data(as_text=True)
    long = client.post(url + "/notes", {"body": "x" * 501}, form_url=url)
    assert long.status_code == 422 and "under 500 characters" in long.get_data(as_text=True)
    assert notes() == []


def test_the_patient_hears_of_a_days_notes_in_one_text_in_the_evening(client, circle):
    day = datetime(2026, 12, 2, 15, tzinfo=UTC)  # 10:00 in New York
    with time_machine.travel(day, tick=False):
        text_in(client, SAM, "NOTE one")
        text_in(client, ANA, "NOTE two")
        text_in(client, SAM, "NOTE three")
        JOBS_BY_ID["send_notes_summaries"].run()
    assert outbox(to=MARIA, kind="notes_summary") == []  # not in the morning: one summary, in the evening
    for hour in (22, 23, 24, 25):  # 17:00-20:00 in New York, the job running each time
        with time_machine.travel(day.replace(hour=0) + timedelta(hours=hour), tick=False):
            JOBS_BY_ID["send_notes_summaries"].run()
    [summary] = outbox(to=MARIA, kind="notes_summary")
    assert summary.body.startswith("3 new notes of encouragement for you from Sam and Ana.")
    assert "one" not in summary.body and "three" not in summary.body  # the words stay on the page
    assert len(outbox(to=DANIEL, kind="notes_summary")) == 1  # coordinators too, for Maria
    assert outbox(to=SAM, kind="notes_summary") == [] and outbox(to=ANA, kind="notes_summary") == []
    with time_machine.travel(day + timedelta(days=1, hours=8), tick=False):  # the next evening, no new notes
        JOBS_BY_ID["send_notes_summaries"].run()
    assert len(outbox(to=MARIA, kind="notes_summary")) == 1


def test_notes_and_hearts_count_as_taking_part():
    assert {"note.sent", "heart.sent"} <= set(ACTIVE_KINDS)


def test_a_note_is_recorded_as_activity_of_its_writer(client, circle):
    from coordinator.models import Event

    text_in(client, SAM, "NOTE hello")
    kinds = db.session.scalars(select(Event.kind).where(Event.subject_id == circle.sam.id)).all()
    assert "note.sent" in kinds


def test_deleting_an_update_keeps_the_notes_written_about_it(client, circle):
    text_in(client, SAM, "NOTE so glad")
    sign_in(client, circle.maria)
    url = f"/circles/{circle.id}/updates/{circle.update.id}/delete"
    assert client.post(url, {}).status_code == 302
    assert db.session.scalar(select(func.count(Update.id))) == 0
    [note] = notes()
    assert note.body == "so glad" and note.update_id is None
    assert "so glad" in client.get(f"/circles/{circle.id}/notes").get_data(as_text=True)


def test_many_notes_come_a_page_at_a_time_newest_first_none_lost_between_pages(client, circle):
    from coordinator.models.updates import NoteVia
    from coordinator.services.updates.notes import NOTES_PAGE

    with time_machine.travel(datetime(2026, 6, 2, 16, tzinfo=UTC), tick=False):  # one moment for every note
        for number in range(NOTES_PAGE + 3):
            db.session.add(
                UpdateNote(
                    circle_id=circle.id,
                    author_id=circle.ana.id,
                    via=NoteVia.WEB,
                    body=f"Note number {number}. " + "With love from all of us. " * 15,
                )
            )
        db.session.commit()
    sign_in(client, circle.maria)
    first = client.get(f"/circles/{circle.id}/notes").get_data(as_text=True)
    older = re.search(r'href="([^"]*before=\d+)"[^>]*>Older notes', first)
    assert older and len(first.encode()) < 30_000
    second = client.get(unescape(older.group(1))).get_data(as_text=True)
    shown = [int(n) for n in re.findall(r"Note number (\d+)\.", first + second)]
    assert shown == list(range(NOTES_PAGE + 2, -1, -1))
    assert "Older notes" not in second and "Back to the newest" in second
