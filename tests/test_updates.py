"""Updates: posting with photos, who reads what (pages and photo files), approval, editing and deleting,
and each person hearing of news the way they chose: one text a day at most, never the update's words."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from PIL import Image
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.jobs import JOBS_BY_ID
from coordinator.models import Message, Update, UpdatePhoto
from coordinator.models.circles import COORDINATOR, PATIENT
from coordinator.models.messages import MessageStatus
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.queries import counting
from tests.sms import SMS_SETTINGS, outbox

PHONE_PHOTO = Path(__file__).parent / "data" / "phone_photo_gps.jpg"
SAM, ANA, DANIEL, MARIA = "+12025550110", "+12025550111", "+12025550101", "+12025550100"


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
    circle.sam_member = add_member(circle, sam)
    ana = make_user(name="Ana Ruiz", phone=ANA, email="ana@example.org")
    circle.ana_member = add_member(circle, ana)
    circle.ana_member.inner_circle = True
    db.session.commit()
    circle.maria, circle.daniel, circle.sam, circle.ana = maria, daniel, sam, ana
    return circle


def post_update(client, circle, *, body="Scan was clear. Thank you all!", audience="circle", photos=()):
    data = {"body": body, "audience": audience}
    if photos:
        data["photos"] = [(io.BytesIO(p.read_bytes()), p.name) for p in photos]
    return client.post(
        f"/circles/{circle.id}/updates/new",
        data,
        content_type="multipart/form-data",
    )


def sign_in(client, user):
    response = client.sign_in(user.email, PASSWORD)
    assert response.status_code == 302, response.status_code


def link_in(text: str) -> str:
    return re.search(r"https://care\.example\.org(/u/[\w-]+)", text).group(1)


def test_the_patient_posts_with_a_phone_photo_and_each_reader_hears_once_without_the_words(client, circle):
    sign_in(client, circle.maria)
    response = post_update(client, circle, photos=[PHONE_PHOTO])
    assert response.status_code == 302
    update = db.session.scalar(select(Update))
    assert update.body == "Scan was clear. Thank you all!" and len(update.photos) == 1
    texts = outbox(kind="update_news")
    assert sorted(m.to_address for m in texts) == sorted([SAM, ANA, DANIEL])  # not Maria: she wrote it
    for text in texts:
        assert "Scan" not in text.body and "clear" not in text.body
        assert text.body.startswith("Maria's circle has a new update: https://care.example.org/u/")
        assert len(text.body) <= 160
    # The page shows it with its photo, to a supporter signed in from the texted link.
    sam_text = next(m for m in texts if m.to_address == SAM)
    client.sign_out()
    landing = client.get(link_in(sam_text.body))
    assert landing.status_code == 200 and "Read the update" in landing.get_data(as_text=True)
    opened = client.post(link_in(sam_text.body), {})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/circles/{circle.id}/updates")
    page = client.get(f"/circles/{circle.id}/updates").get_data(as_text=True)
    assert "Scan was clear" in page and "/photos/" in page


def test_a_burst_of_updates_in_one_day_is_one_text_each(client, circle):
    sign_in(client, circle.maria)
    for n in range(3):
        assert post_update(client, circle, body=f"Update number {n}").status_code == 302
    assert len(outbox(to=SAM, kind="update_news")) == 1
    assert db.session.scalar(select(func.count(Update.id))) == 3
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=False):
        assert post_update(client, circle, body="The next day").status_code == 302
    assert len(outbox(to=SAM, kind="update_news")) == 2


def test_each_way_of_hearing_is_honoured(client, circle):
    circle.sam_member.updates_by = "none"
    circle.ana_member.updates_by = "email"
    db.session.commit()
    sign_in(client, circle.maria)
    post_update(client, circle)
    assert outbox(to=SAM) == []
    emails = outbox(to="ana@example.org", kind="update_email")
    assert len(emails) == 1 and "/u/" in emails[0].body
    assert "Scan was clear" not in emails[0].body  # the patient's default: a link only
    circle.updates_email_full = True
    db.session.commit()
    post_update(client, circle, body="Second week went fine.")
    emails = outbox(to="ana@example.org", kind="update_email")
    assert len(emails) == 2 and "Second week went fine." in emails[1].body


def test_a_weekly_reader_gets_one_sunday_text_not_one_per_update(client, circle):
    circle.sam_member.updates_by = "weekly"
    db.session.commit()
    sign_in(client, circle.maria)
    post_update(client, circle, body="One")
    post_update(client, circle, body="Two")
    assert outbox(to=SAM) == []
    # The next Sunday at 17:00 in New York.
    day = datetime.now(UTC)
    sunday = day + timedelta(days=(6 - day.weekday()) % 7 or 7)
    moment = sunday.replace(hour=22, minute=0, second=0, microsecond=0)  # 17:00 or 18:00 in New York
    with time_machine.travel(moment, tick=False):
        JOBS_BY_ID["send_digests"].run()
        JOBS_BY_ID["send_update_news"].run()
        JOBS_BY_ID["send_update_news"].run()
    weekly = outbox(to=SAM)
    assert len(weekly) == 1 and weekly[0].kind in ("update_week", "digest")
    assert "2 new updates" in weekly[0].body and "One" not in weekly[0].body


def test_texts_wait_for_the_end_of_quiet_hours(client, circle, app):
    from coordinator.services.texting.dispatch import dispatch_due

    sign_in(client, circle.maria)
    night = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 23:30 in New York
    with time_machine.travel(night, tick=False):
        post_update(client, circle)
        dispatch_due()
        db.session.expire_all()
        held = outbox(to=SAM, kind="update_news")[0]
        assert held.status == MessageStatus.PENDING and held.due_at > night + timedelta(hours=6)


def test_inner_circle_updates_and_their_photos_are_404_to_everyone_else(client, circle, app):
    sign_in(client, circle.maria)
    post_update(client, circle, body="Just for the inner circle", audience="inner", photos=[PHONE_PHOTO])
    update = db.session.scalar(select(Update))
    photo = db.session.scalar(select(UpdatePhoto))
    assert not outbox(to=SAM, kind="update_news")  # Sam isn't in the inner circle: not told
    assert outbox(to=ANA, kind="update_news")
    urls = [
        f"/circles/{circle.id}/updates/{update.id}",
        f"/circles/{circle.id}/updates/{update.id}/photos/{photo.id}/phone.jpg",
        f"/circles/{circle.id}/updates/{update.id}/photos/{photo.id}/full.jpg",
    ]
    for url in urls:  # the patient sees each one
        assert client.get(url).status_code == 200, url
    image = Image.open(io.BytesIO(client.get(urls[1]).get_data()))
    assert not image.getexif() and max(image.size) <= 1080
    assert "private" in client.get(urls[1]).headers["Cache-Control"]
    client.sign_out()
    stranger = make_user(name="Stranger")
    other = make_circle(coordinator=stranger)
    sam_with_password = make_user(name="Sam Two", phone="+12025550199")
    add_member(circle, sam_with_password)
    missing = [u.replace(str(update.id), "999999") for u in urls]
    for person in (stranger, sam_with_password):
        sign_in(client, person)
        for url in urls + missing:
            assert client.get(url).status_code == 404, (person.name, url)
        client.sign_out()
    assert other.id != circle.id
    sign_in(client, circle.ana)  # inner circle
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_a_coordinators_update_waits_for_the_patients_ok_when_she_asked(client, circle):
    circle.updates_need_approval = True
    db.session.commit()
    sign_in(client, circle.daniel)
    post_update(client, circle, body="Maria is resting today.")
    update = db.session.scalar(select(Update))
    assert update.status == "pending"
    assert outbox(to=SAM) == [] and len(outbox(to=MARIA, kind="update_review")) == 1
    client.sign_out()
    sign_in(client, circle.ana)
    assert client.get(f"/circles/{circle.id}/updates/{update.id}").status_code == 404
    assert "Maria is resting" not in client.get(f"/circles/{circle.id}/updates").get_data(as_text=True)
    client.sign_out()
    sign_in(client, circle.maria)
    assert client.post(f"/circles/{circle.id}/updates/{update.id}/approve", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Update, update.id).status == "published"
    assert len(outbox(to=SAM, kind="update_news")) == 1
    assert client.post(f"/circles/{circle.id}/updates/{update.id}/approve", {}).status_code == 302  # twice: once
    assert len(outbox(to=SAM, kind="update_news")) == 1


def test_editing_marks_it_edited_and_tells_nobody_again_deleting_takes_the_photos(client, circle, tmp_path):
    sign_in(client, circle.maria)
    post_update(client, circle, photos=[PHONE_PHOTO])
    update = db.session.scalar(select(Update))
    before = len(outbox())
    edited = client.post(
        f"/circles/{circle.id}/updates/{update.id}/edit",
        {"body": "Scan was clear, and the doctor was kind.", "audience": "circle"},
    )
    assert edited.status_code == 302
    db.session.expire_all()
    update = db.session.get(Update, update.id)
    assert update.edited_at is not None and "doctor was kind" in update.body
    assert len(outbox()) == before
    page = client.get(f"/circles/{circle.id}/updates/{update.id}").get_data(as_text=True)
    assert "edited" in page
    files = list((tmp_path / "photos").rglob("*.jpg"))
    assert len(files) == 2
    question = client.get(f"/circles/{circle.id}/updates/{update.id}/delete")
    assert "Delete this update?" in question.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Update.id))) == 1  # asking deleted nothing
    assert client.post(f"/circles/{circle.id}/updates/{update.id}/delete", {}).status_code == 302
    assert db.session.scalar(select(func.count(Update.id))) == 0
    assert list((tmp_path / "photos").rglob("*.jpg")) == []


def test_a_supporter_cannot_post_edit_or_delete(client, circle):
    sign_in(client, circle.maria)
    post_update(client, circle)
    update = db.session.scalar(select(Update))
    client.sign_out()
    sign_in(client, circle.ana)
    assert client.get(f"/circles/{circle.id}/updates/new").status_code == 404
    assert post_update(client, circle, body="Not mine to post").status_code in (400, 404)
    assert client.get(f"/circles/{circle.id}/updates/{update.id}/edit").status_code == 404
    assert client.get(f"/circles/{circle.id}/updates/{update.id}/delete").status_code == 404
    assert db.session.scalar(select(func.count(Update.id))) == 1


def test_bad_input_gets_messages_by_the_field_and_keeps_the_words(client, circle, tmp_path):
    sign_in(client, circle.maria)
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not a photo at all")
    response = post_update(client, circle, body="Kept words " * 600, photos=[text_file])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and "under 5,000 characters" in page and "notes.jpg" in page
    assert "Kept words Kept words" in page
    empty = post_update(client, circle, body="   ")
    assert empty.status_code == 422 and "Write a few words, or add a photo." in empty.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Update.id))) == 0
    assert list((tmp_path / "photos").rglob("*.jpg")) == []


def test_updates_are_plain_text_with_clickable_links_and_no_html(client, circle):
    sign_in(client, circle.maria)
    post_update(client, circle, body="<script>alert(1)</script>\n\nMore at https://example.org/news.")
    page = client.get(f"/circles/{circle.id}/updates").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert '<a href="https://example.org/news" rel="nofollow noopener noreferrer"' in page


def test_the_circle_page_shows_the_latest_update(client, circle):
    sign_in(client, circle.maria)
    post_update(client, circle, body="Older news")
    post_update(client, circle, body="Newest news")
    client.sign_out()
    sign_in(client, circle.ana)
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Latest update" in page and "Newest news" in page and "Older news" not in page


def test_an_expired_or_unknown_link_says_so_and_signs_nobody_in(client, circle):
    sign_in(client, circle.maria)
    post_update(client, circle)
    client.sign_out()
    link = link_in(outbox(to=SAM, kind="update_news")[0].body)
    assert client.get("/u/not-a-real-token").status_code == 410
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15), tick=False):
        assert client.get(link).status_code == 410
        assert client.get(f"/circles/{circle.id}/updates").status_code == 302  # to sign-in


def test_the_message_log_never_shows_a_link_that_signs_someone_in(client, circle):
    sign_in(client, circle.maria)
    post_update(client, circle)
    token = link_in(outbox(to=SAM, kind="update_news")[0].body).removeprefix("/u/")
    page = client.get(f"/circles/{circle.id}/messages").get_data(as_text=True)
    assert "New update" in page and token not in page


def _add_updates(circle, first: int, count: int) -> None:
    moment = datetime.now(UTC)
    db.session.add_all(
        Update(
            circle_id=circle.id,
            author_id=circle.maria.id,
            body=f"News {n}",
            audience="circle",
            status="published",
            created_at=moment - timedelta(minutes=n),
            published_at=moment - timedelta(minutes=n),
        )
        for n in range(first, first + count)
    )
    db.session.commit()


def test_the_updates_page_runs_the_same_queries_at_10_and_500_updates(client, circle):
    sign_in(client, circle.ana)
    measured = []
    for first, count in ((0, 10), (10, 490)):
        _add_updates(circle, first, count)
        client.get(f"/circles/{circle.id}/updates")  # warm
        with counting(db.engine) as statements:
            page = client.get(f"/circles/{circle.id}/updates?page=1")
        assert page.status_code == 200 and "News 0" in page.get_data(as_text=True)
        measured.append(len(statements))
    assert measured[0] == measured[1] and measured[0] <= 9, measured


@pytest.mark.parametrize("page", ["²", "٣", "-1", "99999999"])
def test_a_page_number_that_is_not_one_shows_the_first_page(client, circle, page):
    sign_in(client, circle.ana)
    _add_updates(circle, 0, 3)
    response = client.get(f"/circles/{circle.id}/updates", query_string={"page": page})
    assert response.status_code == 200 and "News 2" in response.get_data(as_text=True)


def test_roles_in_the_fixture_are_what_the_tests_assume(circle):
    roles = {m.user.name: m.role for m in circle.memberships}
    assert roles["Maria Lopez"] == PATIENT and roles["Daniel Lopez"] == COORDINATOR
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_photo_files_no_update_names_are_swept_after_an_hour_and_kept_ones_stay(client, circle, tmp_path):
    import os

    from coordinator.services.updates.photos import photo_store, photos_prepare

    sign_in(client, circle.maria)
    post_update(client, circle, photos=[PHONE_PHOTO])
    with PHONE_PHOTO.open("rb") as stream:

        class Upload:
            filename = "lost.jpg"

        Upload.stream = stream
        [prepared] = photos_prepare([Upload])
    lost = photo_store(prepared, circle_id=circle.id)  # as if the post's commit never happened
    folder = tmp_path / "photos" / str(circle.id)
    assert len(list(folder.glob("*.jpg"))) == 4
    JOBS_BY_ID["sweep_photos"].run()
    assert len(list(folder.glob("*.jpg"))) == 4  # fresh files may still be about to be named: kept
    an_hour_ago = datetime.now(UTC).timestamp() - 3700
    for path in folder.iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))
    JOBS_BY_ID["sweep_photos"].run()
    left = sorted(p.name for p in folder.glob("*.jpg"))
    kept = db.session.scalar(select(UpdatePhoto.token))
    assert left == [f"{kept}-full.jpg", f"{kept}-phone.jpg"] and lost.token not in "".join(left)


def test_only_the_patient_is_offered_and_given_the_settings_for_updates(client, circle):
    sign_in(client, circle.daniel)
    assert "Settings for updates" not in client.get(f"/circles/{circle.id}/updates").get_data(as_text=True)
    assert client.get(f"/circles/{circle.id}/updates/settings").status_code == 404
    client.sign_out()
    sign_in(client, circle.maria)
    assert "Settings for updates" in client.get(f"/circles/{circle.id}/updates").get_data(as_text=True)
    saved = client.post(f"/circles/{circle.id}/updates/settings", {"need_approval": "y"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert circle.updates_need_approval and not circle.notes_shared
