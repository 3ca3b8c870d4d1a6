"""Taking your data: a person downloads everything held about them, a patient or coordinator the circle's records.

Each export is fetched through the real pages (the link, the page saying what the
file holds, the button's POST) and read back with zipfile: the files are there,
every CSV starts with its header, the person's own data is in it, and nobody
else's number, email, password hash or other circle is. Long exports are read a
batch at a time: counting the SELECTs shows it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models import Event, UserSession
from coordinator.models.circles import MembershipStatus
from coordinator.services.care.claims import claim_make
from coordinator.services.privacy import archive
from coordinator.services.privacy.circle_export import circle_export
from coordinator.services.texting.inbound import inbound_handle
from coordinator.services.texting.messages import message_queue
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.queries import counting
from tests.web import WebClient

PERSON_FILES = {
    "README.txt",
    "profile.json",
    "circles.csv",
    "claims.csv",
    "messages.csv",
    "inbound.csv",
    "sign_ins.csv",
    "security.csv",
    "activity.csv",
}
CIRCLE_FILES = {
    "README.txt",
    "circle.json",
    "needs.csv",
    "tasks.csv",
    "claims.csv",
    "members.csv",
    "messages.csv",
    "activity.csv",
    "updates.csv",
    "notes.csv",
    "treatment_plan.csv",
}


@pytest.fixture
def config_overrides(tmp_path):
    return {"PHOTO_DIR": str(tmp_path / "photos")}


@pytest.fixture
def team():
    """Team Maria (Sam holds a ride and has texts both ways; Priya and Rob are in too) and Team Olga next door."""
    patient = make_user(name="Maria Lopez", phone="+12025550100")
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(patient=patient, coordinator=coordinator, name="Team Maria")
    sam = make_user(name="Sam Carter", phone="+12025550110", email="sam@example.org")
    priya = make_user(name="Priya Natarajan", phone="+12025550111", email="priya@example.org")
    rob = make_user(name="Rob Gone", phone="+12025550112", email="rob@example.org")
    sam_member = add_member(circle, sam)
    add_member(circle, priya)
    gone = add_member(circle, rob)
    gone.status = MembershipStatus.REMOVED
    ride = first_task(
        make_need(
            circle,
            coordinator,
            title="Ride to chemo",
            address="12 Elm Street",
            start_date=today_in(circle.timezone) + timedelta(days=2),
        )
    )
    claim_make(membership=sam_member, task_id=ride.id)
    message_queue(
        channel="sms", to_address=sam.phone, kind="reminder", key="r1", body="Ride tomorrow at 9", user_id=sam.id,
        circle_id=circle.id,
    )  # fmt: skip
    message_queue(
        channel="sms", to_address=sam.phone, kind="sign_in_code", key="c1", body="Your code is 493817", user_id=sam.id
    )
    message_queue(
        channel="sms", to_address=priya.phone, kind="ask", key="a1", body="Can you cook Friday?", user_id=priya.id,
        circle_id=circle.id,
    )  # fmt: skip
    inbound_handle(provider_id="SM1", from_number=sam.phone, body="MINE")
    olga = make_user(name="Olga Other", phone="+12025550199", email="olga@example.org")
    other = make_circle(patient=olga, name="Team Olga")
    make_need(other, olga, title="Walk the dog", address="99 Far Road")
    db.session.commit()
    return {"circle": circle, "patient": patient, "coordinator": coordinator, "sam": sam, "priya": priya, "rob": rob}


def signed_in(app, user) -> WebClient:
    browser = WebClient(app.test_client())
    assert browser.sign_in(user.email, PASSWORD).status_code == 302
    return browser


def download(browser: WebClient, page: str) -> zipfile.ZipFile:
    response = browser.post(page)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def sheet(zipped: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    with zipped.open(name) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")))


def header(zipped: zipfile.ZipFile, name: str) -> list[str]:
    with zipped.open(name) as raw:
        return next(csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")))


def everything(zipped: zipfile.ZipFile) -> str:
    """Every text file in the ZIP, as one string (photos are pictures, not text)."""
    texts = [name for name in zipped.namelist() if not name.startswith("photos/")]
    return "\n".join(zipped.read(name).decode("utf-8-sig") for name in texts)


def events(kind: str) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.kind == kind)))


def test_a_supporter_downloads_everything_we_hold_about_them(app, team):
    sam = team["sam"]
    browser = signed_in(app, sam)
    account = browser.get("/account").get_data(as_text=True)
    assert "Download my data" in account and "/account/export" in account
    page = browser.get("/account/export").get_data(as_text=True)
    assert "Download everything we hold about you" in page

    zipped = download(browser, "/account/export")

    assert set(zipped.namelist()) == PERSON_FILES
    profile = json.loads(zipped.read("profile.json"))
    assert (profile["name"], profile["email"], profile["mobile"]) == ("Sam Carter", "sam@example.org", "+12025550110")
    assert profile["has_password"] is True and "password_hash" not in profile
    assert [(row["circle"], row["your_role"]) for row in sheet(zipped, "circles.csv")] == [("Team Maria", "supporter")]
    assert [(row["task"], row["status"]) for row in sheet(zipped, "claims.csv")] == [("Ride to chemo", "held")]
    bodies = [row["body"] for row in sheet(zipped, "messages.csv")]
    assert "Ride tomorrow at 9" in bodies
    assert "Your code is 493817" not in everything(zipped)  # a sign-in code is never in a file left in Downloads
    assert [(row["text"], row["understood_as"]) for row in sheet(zipped, "inbound.csv")] == [("MINE", "MINE")]
    assert [row["method"] for row in sheet(zipped, "sign_ins.csv")] == ["password"]
    assert any(row["what"] == "claim.made" and row["by"] == "you" for row in sheet(zipped, "activity.csv"))
    readme = zipped.read("README.txt").decode()
    assert all(name in readme for name in PERSON_FILES - {"README.txt"})
    assert [e.subject_id for e in events("account.exported")] == [sam.id]


def test_a_supporters_export_holds_no_one_elses_number_or_email(app, team):
    zipped = download(signed_in(app, team["sam"]), "/account/export")
    text = everything(zipped)
    for other in (team["priya"], team["coordinator"], team["patient"], team["rob"]):
        assert other.phone not in text
        assert other.email not in text
    assert "Can you cook Friday?" not in text  # Priya's ask went to Priya


def test_every_csv_starts_with_its_header_even_when_empty(app, team):
    newcomer = make_user(name="Nia New")
    zipped = download(signed_in(app, newcomer), "/account/export")
    assert header(zipped, "claims.csv")[:3] == ["task_code", "circle", "task"]
    assert header(zipped, "messages.csv")[-1] == "body"
    for name in PERSON_FILES:
        if name.endswith(".csv"):
            assert header(zipped, name), name
    assert "claims.csv (0 rows)" in zipped.read("README.txt").decode()


def test_a_coordinator_downloads_the_circle_with_what_the_people_page_shows(app, team):
    circle = team["circle"]
    browser = signed_in(app, team["coordinator"])
    settings = browser.get(f"/circles/{circle.id}/health/settings").get_data(as_text=True)
    assert f"/circles/{circle.id}/export" in settings

    zipped = download(browser, f"/circles/{circle.id}/export")

    assert set(zipped.namelist()) == CIRCLE_FILES
    assert json.loads(zipped.read("circle.json"))["name"] == "Team Maria"
    members = {row["name"]: row for row in sheet(zipped, "members.csv")}
    assert set(members) == {"Maria Lopez", "Daniel Lopez", "Sam Carter", "Priya Natarajan", "Rob Gone"}
    assert (members["Priya Natarajan"]["mobile"], members["Priya Natarajan"]["email"]) == (
        "+12025550111",
        "priya@example.org",
    )
    assert (members["Rob Gone"]["status"], members["Rob Gone"]["mobile"], members["Rob Gone"]["email"]) == (
        "removed",
        "",
        "",
    )
    assert [row["address"] for row in sheet(zipped, "needs.csv")] == ["12 Elm Street"]
    assert [(row["task"], row["person"]) for row in sheet(zipped, "claims.csv")] == [("Ride to chemo", "Sam Carter")]
    log = sheet(zipped, "messages.csv")
    assert {(row["to"], row["message"]) for row in log} >= {("Priya Natarajan", "Can you cook Friday?")}
    assert all("555" not in row["address"] for row in log)  # numbers shortened, as on the Messages page
    assert any(row["what"] == "claim.made" and row["by"] == "Sam Carter" for row in sheet(zipped, "activity.csv"))
    [exported] = events("circle.exported")
    assert (exported.circle_id, exported.actor_id) == (circle.id, team["coordinator"].id)


def test_the_circle_export_holds_no_secrets_and_nothing_of_another_circle(app, team):
    zipped = download(signed_in(app, team["coordinator"]), f"/circles/{team['circle'].id}/export")
    text = everything(zipped)
    for secret in db.session.scalars(select(UserSession.token_hash)):
        assert secret not in text
    for person in (team["sam"], team["coordinator"], team["patient"]):
        assert person.password_hash not in text
    assert "password" not in header(zipped, "members.csv")
    for other in ("Olga Other", "Team Olga", "Walk the dog", "99 Far Road", "+12025550199", "olga@example.org"):
        assert other not in text


def test_the_patient_gets_the_log_as_her_messages_page_shows_it(app, team):
    zipped = download(signed_in(app, team["patient"]), f"/circles/{team['circle'].id}/export")
    assert "message" not in header(zipped, "messages.csv")
    assert "Can you cook Friday?" not in everything(zipped)
    assert {row["to"] for row in sheet(zipped, "messages.csv")} >= {"Priya Natarajan", "Sam Carter"}


def test_a_supporter_or_a_stranger_gets_the_404_page_for_the_circle_export(app, team):
    url = f"/circles/{team['circle'].id}/export"
    for person in (team["sam"], make_user(name="Stranger Danger")):
        browser = signed_in(app, person)
        assert browser.get(url).status_code == 404
        assert browser.post(url, form_url="/account").status_code == 404
    assert events("circle.exported") == []


def test_a_name_that_would_run_as_a_formula_stays_plain_text(app, team):
    sneaky = make_user(name='=HYPERLINK("http://evil")', phone="+12025550150")
    add_member(team["circle"], sneaky)
    zipped = download(signed_in(app, team["coordinator"]), f"/circles/{team['circle'].id}/export")
    names = [row["name"] for row in sheet(zipped, "members.csv")]
    assert '\'=HYPERLINK("http://evil")' in names
    assert "+12025550150" in [row["mobile"] for row in sheet(zipped, "members.csv")]  # a number stays a number


def test_a_long_log_is_read_a_batch_at_a_time(app, team, monkeypatch):
    circle, priya = team["circle"], team["priya"]
    for n in range(230):
        message_queue(
            channel="sms", to_address=priya.phone, kind="ask", key=f"many:{n}", body=f"Ask number {n}",
            user_id=priya.id, circle_id=circle.id,
        )  # fmt: skip
    db.session.commit()
    monkeypatch.setattr(archive, "BATCH", 50)
    out = io.BytesIO()
    with counting(db.engine) as statements:
        circle_export(circle=circle, exporter=None, out=out)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM messages" in s]
    assert len(reads) == 5  # 232 rows (230 and the fixture's two): four full batches of 50 and one of 32
    assert all("LIMIT" in s.upper() for s in reads)
    log = sheet(zipfile.ZipFile(out), "messages.csv")
    assert len(log) == 232 and len({row["message"] for row in log}) == 232
    assert log[-1]["address"] == "+1••••••••11"  # a shortened number is left as it is


def test_the_circle_export_carries_each_updates_photos_named_by_update_and_never_anothers(app, team):
    """Maria posts an update with two photos and one without; Olga's circle next door has a photo too. The
    ZIP holds Maria's two full-size photos, byte for byte what the update shows, named in updates.csv."""
    from PIL import Image

    from coordinator.models import Circle, UpdatePhoto, User
    from coordinator.services.updates.photos import photo_path

    def picture(colour: str) -> tuple[io.BytesIO, str]:
        out = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(out, "JPEG")
        out.seek(0)
        return out, f"{colour}.jpg"

    circle = team["circle"]
    maria = signed_in(app, team["patient"])
    for data in (
        {
            "body": "Scan day. Two pictures from the garden.",
            "audience": "circle",
            "photos": [picture("red"), picture("blue")],
        },
        {"body": "No pictures today.", "audience": "circle"},
    ):
        posted = maria.post(f"/circles/{circle.id}/updates/new", data, content_type="multipart/form-data")
        assert posted.status_code == 302, posted.status_code
    olga = db.session.scalar(select(User).where(User.name == "Olga Other"))  # the patient of Team Olga next door
    other = db.session.scalar(select(Circle).where(Circle.name == "Team Olga"))
    next_door = signed_in(app, olga).post(
        f"/circles/{other.id}/updates/new",
        {"body": "Olga's garden.", "audience": "circle", "photos": [picture("green")]},
        content_type="multipart/form-data",
    )
    assert next_door.status_code == 302
    assert db.session.scalar(select(func.count()).where(UpdatePhoto.circle_id == other.id)) == 1

    zipped = download(signed_in(app, team["coordinator"]), f"/circles/{circle.id}/export")

    updates = {row["words"]: row for row in sheet(zipped, "updates.csv")}
    with_photos = updates["Scan day. Two pictures from the garden."]
    names = with_photos["photo_files"].split(";")
    assert len(names) == 2 and with_photos["photos"] == "2"
    assert updates["No pictures today."]["photo_files"] == ""
    assert sorted(n for n in zipped.namelist() if n.startswith("photos/")) == sorted(names)
    stored = db.session.scalars(
        select(UpdatePhoto).where(UpdatePhoto.circle_id == circle.id).order_by(UpdatePhoto.position)
    ).all()
    for name, photo in zip(names, stored, strict=True):
        assert zipped.read(name) == photo_path(circle_id=circle.id, token=photo.token, size="full").read_bytes()
        assert photo.token not in name
    colours = [Image.open(io.BytesIO(zipped.read(name))).convert("RGB").getpixel((32, 24)) for name in names]
    assert colours[0][0] > 200 > colours[0][2] and colours[1][2] > 200 > colours[1][0]  # red, then blue
    assert "photos/ (2 files)" in zipped.read("README.txt").decode()
    assert "Olga" not in everything(zipped)
