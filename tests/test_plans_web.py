"""The plan pages: start a plan, see the suggestions and the preview, post, move and cancel a cycle, and who may look."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Message, Need, Plan, Task
from coordinator.models.circles import SUPPORTER
from coordinator.services.care.claims import claim_make
from coordinator.services.care.plan_posting import plan_post
from coordinator.services.care.plans import TreatmentInput, plan_create
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.queries import counting
from tests.web import WebClient

START = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
FORM = {
    "name": "Second round",
    "audience": "managers",
    "kind": "repeating",
    "label": "Chemo infusion",
    "first_date": "2026-10-12",
    "start_time": "09:00",
    "end_time": "13:00",
    "place": "Mercy Cancer Center",
    "every_days": "21",
    "times": "6",
    "weekdays": ["MO", "TU", "WE", "TH", "FR"],
    "weeks": "",
}


@pytest.fixture
def team(app):
    coordinator, patient = make_user(name="Daniel Lopez"), make_user(name="Maria Lopez")
    circle = make_circle(patient=patient, coordinator=coordinator)
    sam = make_user(name="Sam Carter", phone="+12025550110")
    member = add_member(circle, sam, SUPPORTER)
    return {"circle": circle, "coordinator": coordinator, "patient": patient, "sam": sam, "member": member}


def browser(app, user) -> WebClient:
    client = WebClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@time_machine.travel(START, tick=False)
def test_the_patient_starts_a_plan_sees_the_preview_and_posts_it_in_one_step(app, team):
    maria = browser(app, team["patient"])
    base = f"/circles/{team['circle'].id}/plan"
    assert maria.get(base).headers["Location"].endswith(f"{base}/new")  # no plan yet: start one
    assert "Treatment plan" in text(maria.get(f"/circles/{team['circle'].id}"))  # under "More"
    response = maria.post(f"{base}/new", FORM)
    assert response.status_code == 302, text(response)[:2000]
    page = text(maria.get(base))
    assert page.count("Cycle ") >= 6 and "Mon 23 Nov" in page  # cycle 3
    assert "Ready to post: 46 tasks" in page and "October 2026" in page and "January 2027" in page
    assert db.session.scalar(select(func.count(Task.id))) == 0  # nothing posted before saying so
    response = maria.post(f"{base}/post", {}, form_url=base)
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Task.id))) == 46
    page = text(maria.get(base))
    assert "Posted: 46 tasks, 0 taken" in page and "Nothing new to post" in page and "0 of 5 tasks taken" in page


@time_machine.travel(START, tick=False)
def test_post_with_ticks_changed_and_not_saved_saves_them_and_shows_the_preview_first(app, team):
    """The Post button sends the ticks above it: unticked help is never posted, and nothing is posted unseen."""
    maria = browser(app, team["patient"])
    base = f"/circles/{team['circle'].id}/plan"
    assert maria.post(f"{base}/new", FORM).status_code == 302
    plan = db.session.scalar(select(Plan))
    page = maria.get(base).get_data(as_text=True)
    assert 'form="plan-choices"' in page and f'formaction="{base}/post"' in page  # the button goes with the ticks
    ticked = [str(r.id) for r in plan.rules if r.enabled and r.category != "errands"]  # she unticks the errands
    response = maria.post(f"{base}/post", {"choosing": "1", "rule": ticked}, form_url=base)
    assert response.status_code == 302 and response.headers["Location"].endswith("#preview")
    assert db.session.scalar(select(func.count(Task.id))) == 0
    page = text(maria.get(base))
    assert "nothing is posted yet" in page and "Ready to post: 30 tasks" in page  # 46 less 16 errand runs
    response = maria.post(f"{base}/post", {"choosing": "1", "rule": ticked}, form_url=base)  # Post again, as seen
    assert db.session.scalar(select(func.count(Task.id))) == 30
    assert db.session.scalar(select(func.count(Need.id)).where(Need.category == "errands")) == 0


@time_machine.travel(START, tick=False)
def test_a_plan_form_with_mistakes_says_each_by_its_field_and_writes_nothing(app, team):
    maria = browser(app, team["patient"])
    bad = FORM | {"name": "", "label": "", "first_date": "31 Feb", "start_time": "25:00", "times": "0"}
    response = maria.post(f"/circles/{team['circle'].id}/plan/new", bad)
    assert response.status_code == 422
    page = text(response)
    assert "There is a problem" in page
    for message in ("Enter a name for the plan.", "Enter what it is.", "Say how many times, from 1 to 60."):
        assert message in page
    assert 'id="first_date-error"' in page and 'id="start_time-error"' in page
    assert db.session.scalar(select(func.count(Plan.id))) == 0


def make_posted(team, *, times: int = 6, course_weeks: int | None = None) -> Plan:
    treatment = (
        TreatmentInput(kind="course", label="Radiation", first_date=date(2026, 10, 12), start_time=time(10), weeks=course_weeks)
        if course_weeks
        else TreatmentInput(
            kind="repeating", label="Chemo infusion", first_date=date(2026, 10, 12), start_time=time(9),
            place="Mercy Cancer Center", every_days=21, times=times,
        )
    )  # fmt: skip
    plan = plan_create(circle=team["circle"], author=team["patient"], name="Round two", audience="managers",
                       treatment=treatment)  # fmt: skip
    plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    return plan


@time_machine.travel(START, tick=False)
def test_supporters_never_see_the_plan_or_its_words(app, team):
    make_posted(team)
    sam = browser(app, team["sam"])
    circle_id = team["circle"].id
    assert sam.get(f"/circles/{circle_id}/plan").status_code == 404
    tasks = text(sam.get(f"/circles/{circle_id}/tasks"))
    assert "Ride to an appointment and back" in tasks
    assert not re.search(r"chemo|infusion|cancer|mercy|round two|treatment plan", tasks, re.IGNORECASE)
    ride = db.session.scalar(select(Task).join(Need).where(Need.category == "ride").order_by(Task.starts_at))
    page = text(sam.get(f"/circles/{circle_id}/tasks/{ride.id}"))
    assert "Mercy" not in page  # the destination is only for whoever drives
    claim_make(membership=team["member"], task_id=ride.id)
    db.session.commit()
    assert "Mercy Cancer Center" in text(sam.get(f"/circles/{circle_id}/tasks/{ride.id}"))


@time_machine.travel(START, tick=False)
def test_the_inner_circle_reads_the_plan_only_if_the_patient_says_so(app, team):
    plan = make_posted(team)
    team["member"].inner_circle = True
    db.session.commit()
    sam = browser(app, team["sam"])
    url = f"/circles/{team['circle'].id}/plan"
    assert sam.get(url).status_code == 404
    plan.audience = "inner"
    db.session.commit()
    page = text(sam.get(url))
    assert "Round two" in page and "Cycle 6" in page
    assert "/move" not in page and "Post " not in page and "Save my choices" not in page


@time_machine.travel(START, tick=False)
def test_delaying_cycle_3_a_week_asks_first_then_moves_and_tells_holders_once(app, team):
    plan = make_posted(team)
    third = plan.treatments[0].days[2]
    held = db.session.scalars(select(Task).join(Need).where(Need.plan_day_id == third.id)).all()
    for task in held[:3]:
        claim_make(membership=team["member"], task_id=task.id)
    db.session.commit()
    daniel = browser(app, team["coordinator"])
    url = f"/circles/{team['circle'].id}/plan/days/{third.id}/move"
    question = daniel.post(url, {"to": "2026-11-30", "scope": "following"})
    assert question.status_code == 200
    page = text(question)
    assert "Move Cycle 3 (Mon 23 Nov) to Mon 30 Nov?" in page and "4 treatment days move 7 days later" in page
    assert "1 person who has one of them will get one text" in page
    db.session.expire_all()
    assert db.session.get(type(third), third.id).local_date == date(2026, 11, 23)  # asking moved nothing
    done = daniel.post(url, {"to": "2026-11-30", "scope": "following", "confirmed": "y"}, form_url=url)
    assert done.status_code == 302
    db.session.expire_all()
    days = [d.local_date for d in db.session.get(Plan, plan.id).treatments[0].days]
    assert days[2:] == [date(2026, 11, 30), date(2026, 12, 21), date(2027, 1, 11), date(2027, 2, 1)]
    texts = db.session.scalars(select(Message).where(Message.kind == "plan_moved")).all()
    assert len(texts) == 1 and texts[0].to_address == "+12025550110"
    assert "moved from Mon 23 Nov" in text(daniel.get(f"/circles/{team['circle'].id}/plan"))


@time_machine.travel(START, tick=False)
def test_moving_cycle_3_to_the_afternoon_moves_its_ride_not_its_meals_and_tells_the_driver(app, team):
    """The time picker sends 14:00; the date stays. The ride (45 minutes before, four hours) follows the
    appointment; the evening meals after it stay where they were, and whoever cooks hears nothing."""
    plan = make_posted(team)
    third = plan.treatments[0].days[2]
    on_day = db.session.scalars(select(Task).join(Need).where(Need.plan_day_id == third.id)).all()
    ride = next(t for t in on_day if t.need.category == "ride")
    meal = next(t for t in on_day if t.need.category == "meal")
    meal_start = meal.starts_at
    claim_make(membership=team["member"], task_id=ride.id)
    cook = add_member(team["circle"], make_user(name="Kim Park", phone="+12025550111"), SUPPORTER)
    claim_make(membership=cook, task_id=meal.id)
    db.session.commit()
    daniel = browser(app, team["coordinator"])
    url = f"/circles/{team['circle'].id}/plan/days/{third.id}/move"
    form = text(daniel.get(url))
    assert "Now Mon 23 Nov at 9:00am" in form and "New time" in form
    question = daniel.post(url, {"to": "2026-11-23", "at": "14:00", "scope": "one"})
    assert question.status_code == 200
    page = text(question)
    assert "Move Cycle 3 (Mon 23 Nov) to Mon 23 Nov at 2:00pm?" in page
    assert "1 treatment day moves to 2:00pm, with 1 task of help" in page
    done = daniel.post(url, {"to": "2026-11-23", "at": "14:00", "scope": "one", "confirmed": "y"}, form_url=url)
    assert done.status_code == 302
    db.session.expire_all()
    ride, meal = db.session.get(Task, ride.id), db.session.get(Task, meal.id)
    assert (ride.local_date, ride.start_time, ride.end_time) == (date(2026, 11, 23), time(13, 15), time(17, 15))
    assert ride.need.details["appointment_time"] == "14:00"
    assert meal.starts_at == meal_start
    assert db.session.get(type(third), third.id).start_time == time(14)
    moved = db.session.scalars(select(Message).where(Message.kind == "plan_moved")).all()
    assert [m.to_address for m in moved] == ["+12025550110"]  # the driver, not the cook
    assert "Mon 23 Nov at 1:15pm" in moved[0].body


@pytest.mark.parametrize(
    ("cycle", "sent", "says"),
    [
        (3, {"to": "2026-11-23", "at": "09:00"}, "the date and time it already has"),  # asked before the question
        (2, {"to": "2026-10-01", "confirmed": "y"}, "That date has passed"),
    ],
    ids=["same date and time", "past date"],
)
@time_machine.travel(START, tick=False)
def test_a_move_that_cannot_be_made_is_shown_by_the_field_and_moves_nothing(app, team, cycle, sent, says):
    plan = make_posted(team, times=3)
    day = plan.treatments[0].days[cycle - 1]
    was = day.local_date
    daniel = browser(app, team["coordinator"])
    url = f"/circles/{team['circle'].id}/plan/days/{day.id}/move"
    response = daniel.post(url, {"scope": "one", **sent})
    assert response.status_code == 422
    page = text(response)
    assert says in page and "There is a problem" in page and "Yes, move it" not in page
    db.session.expire_all()
    assert db.session.get(type(day), day.id).local_date == was


@time_machine.travel(START, tick=False)
def test_cancelling_a_cycle_asks_first(app, team):
    plan = make_posted(team, times=3)
    second = plan.treatments[0].days[1]
    maria = browser(app, team["patient"])
    url = f"/circles/{team['circle'].id}/plan/days/{second.id}/cancel"
    page = text(maria.get(url))
    assert "Cancel Cycle 2 (Mon 2 Nov)?" in page and "Nobody has taken any of it yet" in page
    assert "1 treatment day and 5 tasks of help will be cancelled" in page
    assert "Cancel this one and every one after it instead" in page
    later = text(maria.get(url + "?following=1"))
    assert "Cancel Cycle 2 (Mon 2 Nov) and every one after it?" in later and "2 treatment days and 10 tasks" in later
    assert maria.post(url, {"following": "0"}).status_code == 302
    db.session.expire_all()
    cancelled = db.session.scalar(
        select(func.count(Task.id)).join(Need).where(Need.plan_day_id == second.id, Task.status == "cancelled")
    )
    assert cancelled == 5
    db.session.expire_all()
    third = db.session.get(Plan, plan.id).treatments[0].days[2]
    assert third.status == "planned"  # only cycle 2
    maria.post(f"/circles/{team['circle'].id}/plan/days/{third.id}/cancel", {"following": "1"})
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).treatments[0].days[2].status == "cancelled"


def plan_page_queries(app, user, circle_id: int, page: str = "plan") -> int:
    client = browser(app, user)
    client.get(f"/circles/{circle_id}/{page}")  # warm: the session row, the first-visit work
    with counting(db.engine) as statements:
        assert client.get(f"/circles/{circle_id}/{page}").status_code == 200
    return len(statements)


@time_machine.travel(START, tick=False)
def test_the_plan_page_runs_the_same_queries_for_a_short_plan_a_6_cycle_plan_and_a_30_day_course(app, team):
    make_posted(team, times=1)
    short = plan_page_queries(app, team["coordinator"], team["circle"].id)
    for times, weeks in ((6, None), (None, 6)):
        person = make_user(name=f"Coordinator {times}-{weeks}")
        circle = make_circle(patient=make_user(name="P"), coordinator=person, name=f"Team {times}{weeks}")
        make_posted({"circle": circle, "patient": person}, times=times or 1, course_weeks=weeks)
        assert plan_page_queries(app, person, circle.id) == short, (times, weeks)


@time_machine.travel(START, tick=False)
def test_the_health_page_runs_the_same_queries_for_a_6_cycle_plan_and_a_30_day_course(app, team):
    counts = []
    for times, weeks in ((6, None), (None, 6)):
        person = make_user(name=f"Coordinator {times}-{weeks}")
        circle = make_circle(patient=make_user(name="P"), coordinator=person, name=f"Team {times}{weeks}")
        make_posted({"circle": circle, "patient": person}, times=times or 1, course_weeks=weeks)
        page = text(browser(app, person).get(f"/circles/{circle.id}/health"))
        assert "Coverage, the whole treatment plan" in page
        counts.append(plan_page_queries(app, person, circle.id, page="health"))
    assert counts[0] == counts[1]


@time_machine.travel(START, tick=False)
def test_the_patient_edits_the_suggestions_before_posting(app, team):
    plan = plan_create(
        circle=team["circle"],
        author=team["patient"],
        name="Round two",
        audience="managers",
        treatment=TreatmentInput(
            kind="repeating",
            label="Infusion",
            first_date=date(2026, 10, 12),
            start_time=time(9),
            every_days=21,
            times=6,
        ),
    )
    db.session.commit()
    maria = browser(app, team["patient"])
    base = f"/circles/{team['circle'].id}/plan"
    assert "Ready to post: 46 tasks" in text(maria.get(base))
    wanted = [str(r.id) for r in plan.rules if r.category != "errands"]  # childcare on, errands off
    assert maria.post(f"{base}/suggestions", {"rule": wanted}, form_url=base).status_code == 302
    assert "Ready to post: 36 tasks" in text(maria.get(base))  # 46 - 16 errands + 6 childcare
    meal = next(r for r in plan.rules if r.category == "meal")
    url = f"{base}/suggestions/{meal.id}"
    bad = maria.post(url, {"enabled": "y", "title": "A meal", "offset_first": "3", "offset_last": "1", "capacity": "0"})
    assert bad.status_code == 422
    assert "the first no later than the last" in text(bad) and "Ask for between 1 and 50 people." in text(bad)
    good = {"enabled": "y", "title": "Dinner", "offset_first": "1", "offset_last": "2", "start_time": "18:00"}
    assert maria.post(url, good | {"capacity": "1"}).status_code == 302
    assert "Ready to post: 30 tasks" in text(maria.get(base))  # two meals a cycle, not three


@time_machine.travel(START, tick=False)
def test_the_calendar_marks_treatment_days_only_for_those_who_may_see_the_plan(app, team):
    plan = make_posted(team, times=2)
    week = f"/circles/{team['circle'].id}/calendar?week=2026-10-12"
    page = text(browser(app, team["coordinator"]).get(week))
    assert "Treatment this week" in page and re.search(r"Mon 12 Oct</a>, 9(:00)?am: Chemo infusion, cycle 1", page)
    sam = browser(app, team["sam"])
    assert "Treatment this week" not in text(sam.get(week)) and "Chemo" not in text(sam.get(week))
    team["member"].inner_circle = True
    plan.audience = "inner"
    db.session.commit()
    assert "Chemo infusion, cycle 1" in text(sam.get(week)) and "The whole treatment plan" in text(sam.get(week))


@time_machine.travel(START, tick=False)
def test_a_daily_course_reads_in_words(app, team):
    make_posted(team, course_weeks=6)
    page = text(browser(app, team["patient"]).get(f"/circles/{team['circle'].id}/plan"))
    assert "Mon, Tue, Wed, Thu, Fri for 6 weeks from Mon 12 Oct" in page and "Day 30" in page


@time_machine.travel(START, tick=False)
def test_the_health_page_shows_coverage_per_cycle_for_the_whole_plan(app, team):
    plan = make_posted(team)
    fourth = plan.treatments[0].days[3]
    ride = db.session.scalar(select(Task).join(Need).where(Need.plan_day_id == fourth.id, Need.category == "ride"))
    claim_make(membership=team["member"], task_id=ride.id)
    db.session.commit()
    page = text(browser(app, team["coordinator"]).get(f"/circles/{team['circle'].id}/health"))
    assert "Coverage, the whole treatment plan" in page
    assert "Chemo infusion, cycle 6: 0 of 5 taken" in page  # four months out, well past the next 14 days
    assert "Chemo infusion, cycle 4: 1 of 5 taken" in page


def test_a_finished_plan_is_offered_as_the_start_of_a_new_round_with_its_dates_moved(app, team):
    with time_machine.travel(START, tick=False):
        plan = make_posted(team, times=3)
        meal = next(r for r in plan.rules if r.category == "meal")
        meal.offset_last = 2  # what was learned: two days of meals were enough
        db.session.commit()
    with time_machine.travel(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), tick=False):  # months after the last cycle
        maria = browser(app, team["patient"])
        base = f"/circles/{team['circle'].id}/plan"
        assert "Start a new round from this plan" in text(maria.get(base))
        assert f'href="{base}"' in text(maria.get(f"/circles/{team['circle'].id}/reopen"))
        bad = maria.post(f"{base}/again", {"first_date": "2027-01-04"})
        assert bad.status_code == 422 and "That date has passed" in text(bad)
        assert maria.post(f"{base}/again", {"first_date": "2027-04-05"}).status_code == 302
        db.session.expire_all()
        plans = db.session.scalars(select(Plan).order_by(Plan.id)).all()
        assert len(plans) == 2 and plans[1].name == "Round two" and plans[1].posted_at is None
        assert [d.local_date for d in plans[1].treatments[0].days] == [
            date(2027, 4, 5),
            date(2027, 4, 26),
            date(2027, 5, 17),
        ]
        assert [r.offset_last for r in plans[1].rules if r.category == "meal"] == [2]
        page = text(maria.get(base))
        assert "Ready to post: " in page and "Mon 5 Apr" in page and "Start a new round" not in page


@time_machine.travel(START, tick=False)
def test_quiet_days_marked_after_posting_withdraw_the_visits_then_and_tell_their_holder_once(app, team):
    plan = make_posted(team, times=2)
    visits = db.session.scalars(select(Task).join(Need).where(Need.category == "visit").order_by(Task.starts_at)).all()
    claim_make(membership=team["member"], task_id=visits[0].id)
    db.session.commit()
    maria = browser(app, team["patient"])
    base = f"/circles/{team['circle'].id}/plan"
    bad = maria.post(f"{base}/quiet/new", {"offset_first": "3", "offset_last": "1", "quiet_start": "14:00"})
    assert bad.status_code == 422
    assert "the first no later than the last" in text(bad) and "Give both times" in text(bad)
    form = {"offset_first": "3", "offset_last": "3", "no_visitors": "y", "note": "Leave it on the porch"}
    response = maria.post(f"{base}/quiet/new", form)
    assert response.status_code == 302
    page = text(maria.get(base))
    assert "2 visits on those days were withdrawn" in page and "Day +3 after each treatment: no visitors" in page
    db.session.expire_all()
    assert all(db.session.get(Task, v.id).status == "cancelled" for v in visits)
    told = db.session.scalars(select(Message).where(Message.kind == "plan_cancelled")).all()
    assert len(told) == 1 and told[0].to_address == "+12025550110" and "a visit" in told[0].body
    meals = db.session.scalars(select(Need).where(Need.category == "meal", Need.plan_id == plan.id)).all()
    assert sum(n.details.get("dropoff") == "Leave it on the porch" for n in meals) == 2  # day +3's meal each cycle
    quiet = plan.quiet_days[-1]
    assert "Take these quiet days away?" in text(maria.get(f"{base}/quiet/{quiet.id}/remove"))
    assert maria.post(f"{base}/quiet/{quiet.id}/remove", {}).status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Plan, plan.id).quiet_days) == 1


@time_machine.travel(START, tick=False)
def test_a_second_plan_while_one_is_running_is_refused_with_a_pointer_to_it(app, team):
    make_posted(team, times=2)
    maria = browser(app, team["patient"])
    url = f"/circles/{team['circle'].id}/plan/new"
    assert "There is a plan already" in text(maria.get(url))
    response = maria.post(url, FORM)
    assert response.status_code == 422 and "Add this treatment to it instead" in text(response)
    assert db.session.scalar(select(func.count(Plan.id))) == 1


@time_machine.travel(START, tick=False)
def test_a_new_circle_is_offered_the_plan_its_patient_had_in_another(app, team):
    make_posted(team, times=3)
    fresh = make_circle(patient=team["patient"], name="Team Maria again")
    maria = browser(app, team["patient"])
    page = text(maria.get(f"/circles/{fresh.id}/plan/new"))
    assert "You've done this before" in page and "Start from “Round two”" in page
    url = f"/circles/{fresh.id}/plan/again?from=elsewhere"
    assert "Start a new round from “Round two”" in text(maria.get(url))
    assert maria.post(url, {"first_date": "2026-11-02"}).status_code == 302
    db.session.expire_all()
    copy = db.session.scalar(select(Plan).where(Plan.circle_id == fresh.id))
    assert [d.local_date for d in copy.treatments[0].days] == [
        date(2026, 11, 2),
        date(2026, 11, 23),
        date(2026, 12, 14),
    ]
    sam = make_user(name="Sam Coordinator Elsewhere")
    add_member(team["circle"], sam)  # a supporter there, so nothing of it is offered to him
    own = make_circle(coordinator=sam, name="Team Sam")
    assert "You've done this before" not in text(browser(app, sam).get(f"/circles/{own.id}/plan/new"))
    assert browser(app, sam).get(f"/circles/{own.id}/plan/again?from=elsewhere").status_code == 404


@time_machine.travel(START, tick=False)
def test_a_coordinator_of_two_peoples_circles_is_never_offered_one_patients_plan_for_the_other(app, team):
    make_posted(team, times=3)
    grandpa = make_circle(patient=make_user(name="Grandpa Joe"), coordinator=team["coordinator"], name="Team Joe")
    daniel = browser(app, team["coordinator"])
    assert "You've done this before" not in text(daniel.get(f"/circles/{grandpa.id}/plan/new"))
    assert daniel.get(f"/circles/{grandpa.id}/plan/again?from=elsewhere").status_code == 404


@time_machine.travel(START, tick=False)
def test_only_the_patient_lets_the_inner_circle_see_the_plan(app, team):
    plan = make_posted(team)
    team["member"].inner_circle = True
    db.session.commit()
    base = f"/circles/{team['circle'].id}/plan"
    daniel = browser(app, team["coordinator"])
    assert "Save who can see it" not in text(daniel.get(base))
    daniel.post(f"{base}/audience", {"audience": "inner"}, form_url=base)
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).audience == "managers"
    refused = daniel.post(f"{base}/new", FORM | {"audience": "inner"})
    assert "Only Maria can share the plan with the inner circle." in text(refused)
    maria = browser(app, team["patient"])
    assert maria.post(f"{base}/audience", {"audience": "inner"}, form_url=base).status_code == 302
    assert "your inner circle can see the plan too" in text(maria.get(base))
    assert browser(app, team["sam"]).get(base).status_code == 200


@time_machine.travel(START, tick=False)
def test_the_circle_export_carries_the_plan_days(app, team):
    import io
    import zipfile

    from coordinator.services.privacy.circle_export import circle_export

    make_posted(team, times=2)
    buffer = io.BytesIO()
    circle_export(circle=team["circle"], exporter=None, out=buffer)
    sheet = zipfile.ZipFile(buffer).read("treatment_plan.csv").decode("utf-8-sig")
    lines = sheet.strip().splitlines()
    assert lines[0].startswith("plan,who_sees_it,treatment") and len(lines) == 3
    assert "Round two,managers,Chemo infusion,repeating,Mercy Cancer Center,2,2026-11-02" in lines[2]
