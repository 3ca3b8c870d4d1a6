"""Security events: sign-ins and failed tries, password and role changes, removals, go in the activity record,
and the right people see them: a person their own on the account page, a circle's managers the circle's own.

Everything is done the way people do it (the sign-in forms, the People page's buttons), and read back the
way they would (the pages), at a fixed moment so the times shown can be checked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Event, Message
from coordinator.services.health.activity import activity_record
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.queries import counting
from tests.web import WebClient

NOON = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # Tue 1 Dec, 12:00 PM in New York
ANDROID_FIREFOX = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"


@pytest.fixture(autouse=True)
def noon():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def circle(app):
    daniel = make_user(name="Daniel Lopez")
    maria = make_user(name="Maria Lopez")
    circle = make_circle(coordinator=daniel, patient=maria)
    circle.daniel, circle.maria = daniel, maria
    circle.sam = make_user(name="Sam Carter", phone="+12025550110", email="sam@example.org")
    circle.sam_member = add_member(circle, circle.sam)
    return circle


def browser(app, user_agent: str = "") -> WebClient:
    client = WebClient(app.test_client())
    if user_agent:
        client.raw.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def signed_in(app, user, **kwargs) -> WebClient:
    client = browser(app, **kwargs)
    assert client.sign_in(user.email, PASSWORD).status_code == 302
    return client


def words(html: str, list_class: str) -> list[str]:
    """Each line of one list on a page, as its words."""
    found = re.search(rf'<ul class="{list_class}">(.*?)</ul>', html, re.S)
    if not found:
        return []
    items = re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def history(client) -> list[str]:
    return words(client.get("/account").get_data(as_text=True), "security-history")


def events(kind: str) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def test_signing_in_with_a_password_is_in_your_history_without_where_from(app, circle):
    client = signed_in(app, circle.daniel, user_agent=ANDROID_FIREFOX)
    [signed] = events("account.signed_in")
    assert (signed.subject_id, signed.actor_id, signed.data) == (
        circle.daniel.id,
        circle.daniel.id,
        {"method": "password"},
    )
    assert history(client) == ["Signed in with a password · Tue 1 Dec, 12:00 PM"]


def test_signing_in_with_a_texted_code_says_code(app, circle):
    client = browser(app)
    client.post("/sign-in/code", {"contact": "202-555-0110"})
    code = re.search(r"\d{6}", db.session.scalar(select(Message.body).where(Message.kind == "sign_in_code")))[0]
    assert client.post("/sign-in/code/verify", {"code": code}).status_code == 302
    assert history(client)[0] == "Signed in with a code · Tue 1 Dec, 12:00 PM"


def test_a_wrong_password_is_recorded_for_the_account_and_nothing_for_an_unknown_email(app, circle):
    stranger = browser(app)
    assert stranger.sign_in(circle.daniel.email, "not the password").status_code == 422
    assert stranger.sign_in("nobody@example.org", "not the password").status_code == 422
    [failed] = events("account.sign_in_failed")
    assert (failed.subject_id, failed.actor_id, failed.data) == (circle.daniel.id, None, {"method": "password"})
    daniel = signed_in(app, circle.daniel)
    assert history(daniel) == [
        "Signed in with a password · Tue 1 Dec, 12:00 PM",
        "Someone tried a wrong password · Tue 1 Dec, 12:00 PM",
    ]


def test_a_wrong_password_runs_the_same_statements_for_a_known_and_an_unknown_email(app, circle):
    stranger, email = browser(app), circle.daniel.email
    with counting(db.engine) as known:
        assert stranger.sign_in(email, "not it").status_code == 422
    with counting(db.engine) as unknown:
        assert stranger.sign_in("nobody@example.org", "not it").status_code == 422
    assert known == unknown and any("INSERT INTO events" in statement for statement in known)
    assert len(events("account.sign_in_failed")) == 1


def test_a_wrong_texted_code_is_recorded_for_that_number(app, circle):
    client = browser(app)
    client.post("/sign-in/code", {"contact": "202-555-0110"})
    assert client.post("/sign-in/code/verify", {"code": "000000"}).status_code == 422
    assert client.post("/sign-in/code/verify", {"code": "12"}).status_code == 422
    assert [e.data for e in events("account.sign_in_failed")] == [{"method": "code"}] * 2
    assert {e.subject_id for e in events("account.sign_in_failed")} == {circle.sam.id}
    sam = signed_in(app, circle.sam)
    assert "A wrong sign-in code was tried · Tue 1 Dec, 12:00 PM" in history(sam)


def test_changing_your_password_is_in_your_history(app, circle):
    client = signed_in(app, circle.daniel)
    changed = client.post("/account", {"current_password": PASSWORD, "password": "a brand new phrase"})
    assert changed.status_code == 302
    assert history(client)[0] == "Password changed · Tue 1 Dec, 12:00 PM"


def test_you_see_your_ten_latest_events_newest_first_and_nobody_elses(app, circle):
    for minutes in range(12):
        with time_machine.travel(NOON - timedelta(hours=1) + timedelta(minutes=minutes), tick=False):
            activity_record(
                kind="account.signed_in",
                actor_id=circle.daniel.id,
                subject_id=circle.daniel.id,
                data={"method": "code"},
            )
            db.session.flush()  # its time is taken when it is written
    db.session.commit()
    signed_in(app, circle.sam)  # Sam's sign-in is Sam's alone
    lines = history(signed_in(app, circle.daniel))
    assert len(lines) == 10
    assert lines[0] == "Signed in with a password · Tue 1 Dec, 12:00 PM"
    assert lines[1] == "Signed in with a code · Tue 1 Dec, 11:11 AM"
    assert lines[-1] == "Signed in with a code · Tue 1 Dec, 11:03 AM"


def test_your_open_sessions_are_listed_and_this_device_is_marked(app, circle):
    signed_in(app, circle.daniel, user_agent=ANDROID_FIREFOX)
    laptop = signed_in(
        app, circle.daniel, user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"
    )
    sessions = words(laptop.get("/account").get_data(as_text=True), "security-sessions")
    assert sessions == [
        "This device (Chrome on Windows) · signed in with a password · Tue 1 Dec, 12:00 PM",
        "Firefox on Android · signed in with a password · Tue 1 Dec, 12:00 PM",
    ]


def test_a_role_change_shows_on_both_the_persons_page_and_the_circles_record(app, circle):
    maria = signed_in(app, circle.maria)
    url = f"/circles/{circle.id}/people/{circle.sam_member.id}/role/coordinator"
    assert maria.post(url, form_url=url).status_code == 302
    [changed] = events("member.role_changed")
    assert (changed.actor_id, changed.subject_id, changed.circle_id) == (circle.maria.id, circle.sam.id, circle.id)
    sam = signed_in(app, circle.sam)
    assert "Maria Lopez made you a coordinator in Team Test · Tue 1 Dec, 12:00 PM" in history(sam)
    record = words(maria.get(f"/circles/{circle.id}/security").get_data(as_text=True), "security-record")
    assert record == ["Maria Lopez made Sam Carter a coordinator · Tue 1 Dec, 12:00 PM"]


def test_a_removal_is_on_the_circles_record_for_coordinators_and_supporters_get_404(app, circle):
    priya = make_user(name="Priya Natarajan", phone="+12025550111")
    add_member(circle, priya)
    supporter = signed_in(app, circle.sam)
    daniel = signed_in(app, circle.daniel)
    assert supporter.get(f"/circles/{circle.id}/security").status_code == 404
    remove = f"/circles/{circle.id}/people/{circle.sam_member.id}/remove"
    assert daniel.post(remove, form_url=remove).status_code == 302
    page = daniel.get(f"/circles/{circle.id}/security")
    assert page.status_code == 200
    assert words(page.get_data(as_text=True), "security-record") == [
        "Daniel Lopez took Sam Carter out of the circle · Tue 1 Dec, 12:00 PM"
    ]
    stranger = signed_in(app, make_user(name="Someone Else"))
    assert stranger.get(f"/circles/{circle.id}/security").status_code == 404
    assert "Security record" in daniel.get(f"/circles/{circle.id}/health").get_data(as_text=True)


def test_the_circles_record_leaves_out_personal_events_and_other_circles(app, circle):
    other = make_circle(coordinator=make_user(name="Other Coordinator"), name="Team Other")
    activity_record(kind="member.left", circle_id=other.id, actor_id=circle.sam.id, subject_id=circle.sam.id)
    activity_record(kind="member.left", circle_id=circle.id, actor_id=circle.sam.id, subject_id=circle.sam.id)
    activity_record(kind="claim.made", circle_id=circle.id, actor_id=circle.sam.id, subject_id=circle.sam.id)
    db.session.commit()
    daniel = signed_in(app, circle.daniel)  # his own sign-in is his, not the circle's
    record = words(daniel.get(f"/circles/{circle.id}/security").get_data(as_text=True), "security-record")
    assert record == ["Sam Carter left the circle · Tue 1 Dec, 12:00 PM"]


def test_a_deleted_account_is_a_former_member_on_the_record(app, circle):
    activity_record(kind="account.deleted", circle_id=circle.id, actor_id=circle.sam.id, subject_id=circle.sam.id)
    sam = circle.sam
    sam.deleted_at, sam.name, sam.email, sam.phone = NOON, "", None, None
    db.session.commit()
    daniel = signed_in(app, circle.daniel)
    record = words(daniel.get(f"/circles/{circle.id}/security").get_data(as_text=True), "security-record")
    assert record == ["A former member deleted their account · Tue 1 Dec, 12:00 PM"]


def many_removals(circle, count: int) -> None:
    for n in range(count):
        person = make_user(name=f"Helper {n}")
        activity_record(kind="member.removed", circle_id=circle.id, actor_id=circle.daniel.id, subject_id=person.id)
    db.session.commit()


def test_the_circles_record_pages_fifty_at_a_time_with_the_same_queries_however_long(app, circle):
    daniel = signed_in(app, circle.daniel)
    url = f"/circles/{circle.id}/security"
    many_removals(circle, 3)
    with counting(db.engine) as few:
        daniel.get(url)
    many_removals(circle, 60)
    with counting(db.engine) as lots:
        first = daniel.get(url).get_data(as_text=True)
    assert len(few) == len(lots)
    assert len(words(first, "security-record")) == 50
    assert words(first, "security-record")[0].startswith("Daniel Lopez took Helper 59 out")
    older = re.search(r'href="([^"]+before=\d+)"', first)[1]
    second = words(daniel.get(unescape(older)).get_data(as_text=True), "security-record")
    assert len(second) == 13 and second[-1].startswith("Daniel Lopez took Helper 0 out")


def test_the_account_page_runs_the_same_queries_however_long_the_history(app, circle):
    daniel = signed_in(app, circle.daniel)
    with counting(db.engine) as few:
        daniel.get("/account")
    for _ in range(30):
        activity_record(
            kind="account.signed_in", actor_id=circle.daniel.id, subject_id=circle.daniel.id, data={"method": "link"}
        )
        activity_record(
            kind="member.role_changed",
            circle_id=circle.id,
            actor_id=circle.maria.id,
            subject_id=circle.daniel.id,
            data={"inner_circle": True},
        )
    db.session.commit()
    with counting(db.engine) as lots:
        daniel.get("/account")
    assert len(few) == len(lots)
    assert db.session.scalar(select(func.count(Event.id))) > 60
