"""Closing a circle: the patient asks for it, everything about it goes quiet, and after the grace period all of it goes.

The promise to a family is strong: after the date they chose, nothing of the
circle is left in any table, no other circle loses a row, and no text or email
about it ever goes out again, whatever was queued before.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.clock import now, today_in
from coordinator.extensions import db
from coordinator.jobs import JOBS, JOBS_BY_ID
from coordinator.models import (
    Base,
    Circle,
    Claim,
    Event,
    ImportBatch,
    InboundMessage,
    Invitation,
    JoinRequest,
    Message,
    Need,
    NeedDraft,
    PasswordReset,
    ReopenAnswer,
    Reopening,
    SignInCode,
    User,
    UserSession,
)
from coordinator.models.circles import Membership
from coordinator.models.plans import Plan, PlanDay, PlanQuiet, PlanRule, PlanTreatment
from coordinator.models.updates import Update, UpdateHeart, UpdateLink, UpdateNote, UpdatePhoto
from coordinator.services.care.claims import claim_make
from coordinator.services.texting.messages import notify
from coordinator.services.texting.reminders import reminders_plan
from coordinator.web.templating import format_local
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.web import WebClient

START = today_in("America/New_York")


def build(name: str, first: str, n: int) -> dict:
    """A circle with a row in every table that holds circle data: the patient, a coordinator, two supporters."""
    patient = make_user(name=f"{first} Lopez", phone=f"+1202555{n}100")
    coordinator = make_user(name=f"Dan {first}", phone=f"+1202555{n}101")
    circle = make_circle(patient=patient, coordinator=coordinator, name=name)
    sam = make_user(name=f"Sam {first}", phone=f"+1202555{n}110", email=f"sam{n}@example.org")
    priya = make_user(name=f"Priya {first}", phone=f"+1202555{n}111", email=None, password=None)
    members = {"sam": add_member(circle, sam), "priya": add_member(circle, priya)}
    ride = first_task(make_need(circle, coordinator, title="Ride to chemo", start_date=START + timedelta(days=1)))
    meal = first_task(
        make_need(circle, coordinator, category="meal", title="Dinner", start_date=START + timedelta(days=4))
    )
    claim_make(membership=members["sam"], task_id=ride.id)
    link = Invitation(circle_id=circle.id, kind="link", token_hash=f"{n}l" * 32, expires_at=now() + timedelta(days=9))
    db.session.add_all([
        link,
        Invitation(circle_id=circle.id, phone=f"+1202555{n}120", token_hash=f"{n}p" * 32, expires_at=now() + timedelta(days=9)),
        NeedDraft(circle_id=circle.id, from_user_id=patient.id, text="RIDE TUE 9"),
        ImportBatch(circle_id=circle.id, created_by_id=coordinator.id, rows=[{"name": "Ola", "phone": "+12025550199"}]),
        # Priya's own traces: a text she sent, a sign-in, a code and a reset link
        InboundMessage(provider_id=f"SM{n}", from_number=priya.phone, body="MINE", user_id=priya.id),
        UserSession(user_id=priya.id, token_hash=f"{n}s" * 32, method="code", expires_at=now() + timedelta(days=9)),
        SignInCode(user_id=priya.id, channel="sms", secret_hash=f"{n}c" * 32, expires_at=now() + timedelta(minutes=9)),
        PasswordReset(user_id=priya.id, token_hash=f"{n}w" * 32, expires_at=now() + timedelta(hours=1)),
    ])  # fmt: skip
    db.session.flush()
    db.session.add(JoinRequest(circle_id=circle.id, invitation_id=link.id, user_id=priya.id))
    reopening = Reopening(circle_id=circle.id, requested_by_id=coordinator.id, message="Back?", status="sent")
    db.session.add(reopening)
    db.session.flush()
    db.session.add(ReopenAnswer(reopening_id=reopening.id, membership_id=members["priya"].id, token_hash=f"{n}r" * 32))
    plan = Plan(circle_id=circle.id, name="Spring treatment")
    db.session.add(plan)
    db.session.flush()
    treatment = PlanTreatment(plan_id=plan.id, kind="repeating", label="Infusion", first_date=START,
                              start_time=time(9), every_days=21, times=2)  # fmt: skip
    db.session.add(treatment)
    db.session.flush()
    db.session.add_all([
        PlanDay(plan_id=plan.id, treatment_id=treatment.id, number=1, series_date=START, local_date=START,
                start_time=time(9)),
        PlanRule(plan_id=plan.id, category="ride", title="Ride to an appointment"),
        PlanQuiet(plan_id=plan.id, offset_first=1, offset_last=2),
    ])  # fmt: skip
    news = Update(circle_id=circle.id, author_id=patient.id, body="Scan was clear", published_at=now())
    db.session.add(news)
    db.session.flush()
    db.session.add_all([
        UpdatePhoto(update_id=news.id, circle_id=circle.id, token=f"{n}t" * 12, width=10, height=10),
        UpdateHeart(update_id=news.id, user_id=sam.id),
        UpdateNote(circle_id=circle.id, update_id=news.id, author_id=priya.id, body="Thinking of you"),
        UpdateLink(membership_id=members["priya"].id, token_hash=f"{n}u" * 32, expires_at=now() + timedelta(days=9)),
    ])  # fmt: skip
    notify(user=priya, kind="welcome", key=f"welcome-{n}", context={"circle_name": name, "first_name": first},
           circle_id=circle.id)  # fmt: skip
    db.session.commit()
    return {"circle": circle, "patient": patient, "coordinator": coordinator, "sam": sam, "priya": priya,
            "members": members, "tasks": (ride, meal)}  # fmt: skip


@pytest.fixture
def team():
    return build("Team Maria", "Maria", 0)


def signed_in(app, user) -> WebClient:
    browser = WebClient(app.test_client())
    assert browser.sign_in(user.email, PASSWORD).status_code == 302
    return browser


def close(app, team, days="30"):
    maria = signed_in(app, team["patient"])
    answer = maria.post(f"/circles/{team['circle'].id}/close", {"grace_days": days})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return maria


def rows_of(circle_id: int, people: list[int]) -> dict[str, int]:
    """Every table's rows that belong to the circle (by circle id, or through the people only ever in it)."""
    counts = {}
    for table in Base.metadata.sorted_tables:
        query = select(func.count()).select_from(table)
        if table.name == "circles":
            query = query.where(table.c.id == circle_id)
        elif "circle_id" in table.c:
            query = query.where(table.c.circle_id == circle_id)
        elif table.name == "update_hearts":
            updates = select(Update.id).where(Update.circle_id == circle_id)
            query = query.where(table.c.update_id.in_(updates))
        elif "plan_id" in table.c:  # a treatment plan's parts
            query = query.where(table.c.plan_id.in_(select(Plan.id).where(Plan.circle_id == circle_id)))
        elif table.name == "update_links":
            members = select(Membership.id).where(Membership.circle_id == circle_id)
            query = query.where(table.c.membership_id.in_(members))
        elif table.name == "reopen_answers":
            reopenings = select(Reopening.id).where(Reopening.circle_id == circle_id)
            query = query.where(table.c.reopening_id.in_(reopenings))
        elif table.name == "users":  # still someone who can be named or reached
            query = query.where(table.c.id.in_(people), table.c.deleted_at.is_(None))
        elif "user_id" in table.c:
            query = query.where(table.c.user_id.in_(people))
        elif table.name == "phone_opt_outs":
            continue  # holds only numbers that said STOP, kept on purpose to protect them
        elif table.name == "scheduler_heartbeats":
            continue  # the scheduler processes' own rows (host and pid), about no circle or person
        elif table.name == "early_receipts":
            continue  # Twilio's word on a text id no row holds yet: a status and a code, gone within a day
        else:
            pytest.fail(f"the purge test doesn't know how {table.name} belongs to a circle")
        counts[table.name] = db.session.scalar(query)
    return counts


def test_only_the_patient_closes_and_only_after_saying_how_long_to_keep_it(app, team):
    circle = team["circle"]
    url = f"/circles/{circle.id}/close"
    assert signed_in(app, team["coordinator"]).get(url).status_code == 404
    maria = signed_in(app, team["patient"])
    assert f'href="{url}"' in maria.get(f"/circles/{circle.id}").get_data(as_text=True)
    for _ in range(2):  # looking at the question closes nothing
        page = maria.get(url).get_data(as_text=True)
    assert "Close Team Maria?" in page and "A week" in page and "Three months" in page
    assert re.search(r'<input checked[^>]*value="30"', page)  # the host's default, ticked
    assert db.session.get(Circle, circle.id).closed_at is None
    refused = maria.post(url, {"grace_days": "3"})
    assert refused.status_code == 422 and "Choose how long to keep it from the list." in refused.get_data(as_text=True)
    assert db.session.get(Circle, circle.id).closed_at is None


def test_closing_cancels_what_waits_tells_each_member_once_and_shows_the_date(app, team):
    circle, priya = team["circle"], team["priya"]
    reminders_plan()
    db.session.commit()
    assert db.session.scalar(select(func.count(Message.id)).where(Message.kind.in_(("reminder", "checkin")))) > 0
    maria = close(app, team, days="7")
    closed = db.session.get(Circle, circle.id)
    assert closed.closed_by_id == team["patient"].id
    assert timedelta(days=6, hours=23) < closed.purge_after - closed.closed_at <= timedelta(days=7)
    waiting = db.session.execute(
        select(Message.kind, Message.user_id).where(Message.circle_id == circle.id, Message.status == "pending")
    ).all()
    told = {team[k].id for k in ("coordinator", "sam", "priya")}
    assert sorted(waiting) == sorted(("circle_closed", user_id) for user_id in told)
    body = db.session.scalar(select(Message.body).where(Message.user_id == priya.id, Message.kind == "circle_closed"))
    assert (
        body
        == "Team Maria is closing. Maria thanks you for all your help. Nothing more is needed, and no more texts will come from it."
    )
    home = maria.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert f"It will be deleted on {format_local(closed.purge_after, circle.timezone, '%a %-d %b')}" in home
    assert "Keep the circle" in home
    assert "circle.closed" in db.session.scalars(select(Event.kind).where(Event.circle_id == circle.id)).all()


def test_a_closed_circle_takes_no_new_needs_claims_or_invitations_and_its_jobs_pass_it_by(app, team):
    circle, meal = team["circle"], team["tasks"][1]
    close(app, team)
    sam, dan = signed_in(app, team["sam"]), signed_in(app, team["coordinator"])
    claim = sam.post(f"/circles/{circle.id}/tasks/{meal.id}/claim", form_url=f"/circles/{circle.id}/tasks")
    assert "This circle is closing, so nothing new can be added to it." in sam.get(claim.headers["Location"]).get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.task_id == meal.id)) == 0
    form = {"title": "Groceries", "when": "at", "start_date": (START + timedelta(days=3)).isoformat(),
            "start_time": "09:00", "end_time": "10:00", "capacity": "1", "visibility": "circle", "frequency": "none"}  # fmt: skip
    dan.post(f"/circles/{circle.id}/needs/new?category=errands", form)
    dan.post(f"/circles/{circle.id}/invitations", {"name": "Ola", "phone": "202-555-0177"})
    assert db.session.scalar(select(func.count(Need.id)).where(Need.circle_id == circle.id)) == 2
    assert db.session.scalar(select(func.count(Invitation.id)).where(Invitation.circle_id == circle.id)) == 2
    for moment in (now() + timedelta(hours=h) for h in (6, 30, 80, 24 * 6)):  # reminders, asks, digests, check-ins
        with time_machine.travel(moment, tick=False):
            for job in JOBS:
                if job.id not in ("deliver", "purge_circles"):
                    job.run()
    queued_after = select(func.count(Message.id)).where(Message.circle_id == circle.id, Message.status == "pending")
    assert db.session.scalar(queued_after.where(Message.kind != "circle_closed")) == 0


def test_the_patient_or_a_coordinator_can_keep_the_circle_until_its_date(app, team):
    circle, meal = team["circle"], team["tasks"][1]
    close(app, team)
    dan = signed_in(app, team["coordinator"])
    kept = dan.post(f"/circles/{circle.id}/close/cancel", form_url=f"/circles/{circle.id}")
    assert "Team Maria stays open. Nothing will be deleted." in dan.get(kept.headers["Location"]).get_data(as_text=True)
    again = db.session.get(Circle, circle.id)
    assert (again.closed_at, again.purge_after) == (None, None)
    notices = select(func.count(Message.id)).where(Message.kind == "circle_closed", Message.status == "pending")
    assert db.session.scalar(notices) == 0  # "it's closing" must not arrive after it was kept
    assert claim_make(membership=team["members"]["sam"], task_id=meal.id).claim.id
    db.session.commit()
    assert "circle.close_cancelled" in db.session.scalars(select(Event.kind).where(Event.circle_id == circle.id)).all()
    maria = close(app, team, days="7")
    with time_machine.travel(now() + timedelta(days=8), tick=False):
        late = maria.post(f"/circles/{circle.id}/close/cancel", form_url=f"/circles/{circle.id}")
        page = maria.get(late.headers["Location"]).get_data(as_text=True)
    assert "too late to keep this circle" in page
    assert db.session.get(Circle, circle.id).closed_at is not None


def test_the_purge_deletes_every_row_of_the_circle_and_no_other_circles(app, team):
    other = build("Team Ana", "Ana", 3)
    circle_id = team["circle"].id
    only_here = [team["priya"].id]  # no password, no other circle: erased with it
    mine, theirs = rows_of(circle_id, only_here), rows_of(other["circle"].id, [other["priya"].id])
    assert all(mine.values()), {table: n for table, n in mine.items() if not n}  # a row in every table to delete
    close(app, team, days="7")
    with time_machine.travel(now() + timedelta(days=6), tick=False):
        JOBS_BY_ID["purge_circles"].run()  # not yet
    assert db.session.get(Circle, circle_id) is not None
    with time_machine.travel(now() + timedelta(days=7, minutes=1), tick=False):
        JOBS_BY_ID["purge_circles"].run()
    db.session.expire_all()
    assert rows_of(circle_id, only_here) == dict.fromkeys(mine, 0)
    assert rows_of(other["circle"].id, [other["priya"].id]) == theirs
    for kept in ("patient", "coordinator", "sam"):  # accounts people made themselves stay
        assert db.session.get(User, team[kept].id).deleted_at is None
    purged = db.session.scalars(select(Event).where(Event.kind == "circle.purged")).one()
    assert (purged.circle_id, purged.object_type, purged.object_id) == (None, "circle", circle_id)
    assert db.session.get(User, team["priya"].id).name == "A former member"


@pytest.fixture
def sending_app(make_app, smtp_server):
    from tests.fake_twilio import FakeTwilio

    with FakeTwilio(auth_token="secret-token") as fake:
        app = make_app(
            SMS_BACKEND="twilio",
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN="secret-token",
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE_URL=fake.base_url,
            MAIL_BACKEND="smtp",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_server.port,
        )
        with app.app_context():
            yield app, fake, smtp_server


def test_nothing_queued_about_a_purged_circle_is_ever_sent(sending_app):
    app, fake, mail = sending_app
    # Noon in New York on START's own day (not today's UTC date, which is New York's tomorrow every evening there:
    # the next day's 9am ride would have passed by then): nobody's quiet hours.
    noon = datetime.combine(START, time(16, 0), tzinfo=UTC)
    with time_machine.travel(noon, tick=False):
        team = build("Team Maria", "Maria", 0)
        reminders_plan()
        notify(user=team["coordinator"], kind="welcome", key="later", context={"circle_name": "Team Maria",
               "first_name": "Maria"}, circle_id=team["circle"].id, due_at=noon + timedelta(days=2))  # fmt: skip
        db.session.commit()
        close(app, team, days="7")
        JOBS_BY_ID["deliver"].run()
    closing_notices = {team[k].phone for k in ("coordinator", "sam", "priya")}
    assert {m["to"] for m in fake.received} == closing_notices and all("is closing" in b for b in fake.bodies())
    sent_before, circle_id = len(fake.received), team["circle"].id
    for days in (1, 2, 5, 8, 9, 30):
        with time_machine.travel(noon + timedelta(days=days), tick=False):
            for job in JOBS:
                job.run()
    assert len(fake.received) == sent_before and mail.inbox.messages == []
    assert db.session.get(Circle, circle_id) is None
