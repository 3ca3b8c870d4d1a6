"""Quiet hours nobody chose follow the host's SMS_DEFAULT_QUIET_START/END; chosen ones stay the person's.

The issue: with a 03:00-03:05 default, texts were still held until 8:00, because everyone's quiet hours were
stored as 21:00-08:00 from the start. Now they are empty until a person chooses (the preferences page keeps
them empty when saved as shown), and the dispatcher holds a text only inside the window that applies.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from config import BASE_DIR
from coordinator.extensions import db
from coordinator.models import Message, User
from coordinator.services.care.claims import claim_make
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import notify
from coordinator.services.texting.reminders import reminders_plan
from coordinator.sms.console import ConsoleGateway
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.web import WebClient

SAM = "+12025550110"
NY = "America/New_York"


@pytest.fixture
def config_overrides():
    return {"SMS_DEFAULT_QUIET_START": "03:00", "SMS_DEFAULT_QUIET_END": "03:05"}


def dispatch() -> list[str]:
    """The real dispatcher, once, through the console gateway; the numbers texted."""
    with open("/dev/null", "w") as stream:
        gateway = ConsoleGateway(stream=stream)
        dispatch_due(gateway=gateway, pacer=Pacer(0))
    return [sent.to for sent in gateway.sent]


def sam_with_a_nine_oclock_ride(claimed_at: datetime):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator, timezone=NY)
    sam = make_user(name="Sam Carter", phone=SAM)
    member = add_member(circle, sam)
    with time_machine.travel(claimed_at, tick=False):
        need = make_need(circle, coordinator, start_date=date(2026, 6, 10), start_time=time(9), end_time=time(10))
        claim_make(membership=member, task_id=first_task(need).id)
        db.session.commit()
    return circle, sam


def reminder() -> Message:
    db.session.expire_all()
    return db.session.scalar(select(Message).where(Message.kind == "reminder"))


def test_a_reminder_to_someone_who_never_chose_goes_at_seven_under_a_three_oclock_default(app):
    _, sam = sam_with_a_nine_oclock_ride(datetime(2026, 6, 1, 15, tzinfo=UTC))
    assert (sam.quiet_start, sam.quiet_end) == (None, None)
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        reminders_plan()
        db.session.commit()
    assert reminder().due_at == datetime(2026, 6, 10, 11, tzinfo=UTC)  # 7:00 EDT: not moved to 8:00 any more
    with time_machine.travel(datetime(2026, 6, 10, 11, 0, 30, tzinfo=UTC), tick=False):
        assert SAM in dispatch()
    assert reminder().status == "sent"


def test_someone_who_chose_the_old_hours_keeps_them_whatever_the_default(app):
    _, sam = sam_with_a_nine_oclock_ride(datetime(2026, 6, 1, 15, tzinfo=UTC))
    sam.quiet_start, sam.quiet_end = time(21), time(8)
    db.session.commit()
    with time_machine.travel(datetime(2026, 6, 9, 12, tzinfo=UTC), tick=False):
        reminders_plan()
        db.session.commit()
    assert reminder().due_at == datetime(2026, 6, 10, 12, tzinfo=UTC)  # 7:00 is quiet for Sam: 8:00 EDT


def test_a_text_due_inside_the_default_window_is_held_only_until_its_end(app):
    sam = make_user(name="Sam Carter", phone=SAM, email=None)
    circle = make_circle(coordinator=sam, timezone=NY)
    with time_machine.travel(datetime(2026, 6, 2, 7, 2, tzinfo=UTC), tick=False):  # 03:02 EDT
        notify(
            user=sam, kind="welcome", key="w", circle_id=circle.id, context={"circle_name": "Team", "first_name": "M"}
        )
        db.session.commit()
        assert dispatch() == []
    db.session.expire_all()
    assert db.session.scalar(select(Message.due_at)) == datetime(2026, 6, 2, 7, 5, tzinfo=UTC)  # 03:05 EDT
    with time_machine.travel(datetime(2026, 6, 2, 7, 4, tzinfo=UTC), tick=False):
        assert dispatch() == []
    with time_machine.travel(datetime(2026, 6, 2, 7, 5, 1, tzinfo=UTC), tick=False):
        assert dispatch() == [SAM]


def test_a_text_at_four_in_the_morning_is_not_held_under_a_three_oclock_default(app):
    sam = make_user(name="Sam Carter", phone=SAM, email=None)
    circle = make_circle(coordinator=sam, timezone=NY)
    with time_machine.travel(datetime(2026, 6, 2, 8, 0, tzinfo=UTC), tick=False):  # 04:00 EDT
        notify(
            user=sam, kind="welcome", key="w", circle_id=circle.id, context={"circle_name": "Team", "first_name": "M"}
        )
        db.session.commit()
        assert dispatch() == [SAM]


class _FormReader(HTMLParser):
    """What a browser would submit from each form of a page, as shown (ticked boxes, filled fields)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, list[str]]] = []
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
        if tag == "select":
            self.select = attrs.get("name")
        if tag == "option" and "selected" in attrs and self.select:
            self.forms[-1].setdefault(self.select, []).append(attrs.get("value", ""))
        if tag != "input" or not self.forms or not attrs.get("name"):
            return
        if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
            return
        checkbox = attrs.get("type") in ("checkbox", "radio")
        self.forms[-1].setdefault(attrs["name"], []).append(attrs.get("value") or ("on" if checkbox else ""))


def as_shown(html: str) -> dict:
    """The preferences form as a browser would send it untouched."""
    reader = _FormReader()
    reader.feed(html)
    (fields,) = [form for form in reader.forms if "quiet_start" in form]
    return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}


def sams_preferences(app):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator, timezone=NY)
    sam = make_user(name="Sam Carter", phone=SAM)
    add_member(circle, sam)
    browser = WebClient(app.test_client())
    assert browser.sign_in(sam.email, PASSWORD).status_code == 302
    return browser, f"/circles/{circle.id}/preferences", sam.id


def quiet_hours_of(user_id: int) -> tuple:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    return user.quiet_start, user.quiet_end


def test_the_preferences_page_shows_the_usual_hours_and_saving_it_as_shown_keeps_them_unchosen(app):
    browser, url, sam_id = sams_preferences(app)
    page = browser.get(url).get_data(as_text=True)
    assert "Use the usual quiet hours (3:00am to 3:05am)" in page
    shown = as_shown(page)
    assert (shown["quiet_usual"], shown["quiet_start"], shown["quiet_end"]) == ("y", "03:00", "03:05")
    assert browser.post(url, shown).status_code == 302
    assert quiet_hours_of(sam_id) == (None, None)


def test_changing_the_times_chooses_them_and_ticking_the_usual_hours_goes_back(app):
    browser, url, sam_id = sams_preferences(app)
    shown = as_shown(browser.get(url).get_data(as_text=True))
    assert browser.post(url, shown | {"quiet_start": "22:00", "quiet_end": "07:00"}).status_code == 302
    assert quiet_hours_of(sam_id) == (time(22), time(7))  # typed new times without unticking: chosen
    shown = as_shown(browser.get(url).get_data(as_text=True))
    assert "quiet_usual" not in shown and (shown["quiet_start"], shown["quiet_end"]) == ("22:00", "07:00")
    assert browser.post(url, shown).status_code == 302
    assert quiet_hours_of(sam_id) == (time(22), time(7))  # saved again as shown: still chosen
    assert browser.post(url, shown | {"quiet_usual": "on"}).status_code == 302
    assert quiet_hours_of(sam_id) == (None, None)


def test_choosing_the_same_hours_as_the_default_on_purpose_keeps_them(app):
    browser, url, sam_id = sams_preferences(app)
    shown = as_shown(browser.get(url).get_data(as_text=True))
    del shown["quiet_usual"]
    assert browser.post(url, shown).status_code == 302
    assert quiet_hours_of(sam_id) == (time(3), time(3, 5))  # unticked: these are Sam's now, whatever the host does


def test_the_person_export_says_which_quiet_hours_apply(app):
    from coordinator.services.privacy.person_export import _profile

    sam = make_user(name="Sam Carter", phone=SAM)
    profile = _profile(sam)
    assert (profile["quiet_hours_start"], profile["quiet_hours_end"], profile["quiet_hours_chosen"]) == (
        time(3),
        time(3, 5),
        False,
    )
    sam.quiet_start, sam.quiet_end = time(22), time(7)
    assert _profile(sam)["quiet_hours_chosen"] is True and _profile(sam)["quiet_hours_start"] == time(22)


def test_the_demo_and_new_people_start_without_chosen_quiet_hours(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    make_user(name="Someone New")
    people = db.session.scalars(select(User)).all()
    assert len(people) > 10
    assert {(user.quiet_start, user.quiet_end) for user in people} == {(None, None)}


def test_only_the_preferences_service_writes_quiet_hours():
    """Registration, invitations, joining and imports make people through services; none may choose for them."""
    writers = set()
    for path in Path(BASE_DIR, "coordinator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            targets += [node] if isinstance(node, ast.keyword) and node.arg in ("quiet_start", "quiet_end") else []
            for target in targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(
                    getattr(name, "attr", getattr(name, "arg", None)) in ("quiet_start", "quiet_end") for name in names
                ):
                    writers.add(str(path.relative_to(BASE_DIR)))
    # forms/plans.py names a treatment plan's quiet hours on its quiet days (models/plans.PlanQuiet), not a person's.
    assert writers == {
        "coordinator/services/people/members.py",
        "coordinator/web/members.py",
        "coordinator/forms/plans.py",
    }
