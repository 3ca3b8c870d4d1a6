"""Treatment plans: dates across clock changes and month ends, the suggested help, quiet days, and posting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coordinator.clock import local
from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models import Need, Task
from coordinator.models.plans import PlanQuiet
from coordinator.services.care.plan_expansion import plan_preview, plan_proposals
from coordinator.services.care.plan_posting import plan_post, plan_unposted
from coordinator.services.care.plans import TreatmentInput, plan_create, treatment_add
from tests.factories import make_circle, make_user

# A Monday in autumn 2026, before New York's clocks go back (Sun 1 Nov 2026).
START = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)


def every_21_days(first: date, times: int = 6, **fields) -> TreatmentInput:
    values = {"kind": "repeating", "label": "Chemo infusion", "first_date": first, "start_time": time(9, 0)}
    values |= {"end_time": time(13, 0), "place": "Mercy Cancer Center, 3rd floor", "every_days": 21, "times": times}
    return TreatmentInput(**(values | fields))


@pytest.fixture
def team(app):
    coordinator, patient = make_user(name="Daniel Lopez"), make_user(name="Maria Lopez")
    circle = make_circle(patient=patient, coordinator=coordinator)
    return {"circle": circle, "coordinator": coordinator, "patient": patient}


def new_plan(team, treatment: TreatmentInput, name: str = "Second round"):
    plan = plan_create(
        circle=team["circle"], author=team["patient"], name=name, audience="managers", treatment=treatment
    )
    db.session.commit()
    return plan


@time_machine.travel(START, tick=False)
def test_a_repeating_treatment_keeps_its_wall_time_across_the_clock_change(team):
    plan = new_plan(team, every_21_days(date(2026, 10, 12), times=3))
    days = plan.treatments[0].days
    assert [d.local_date for d in days] == [date(2026, 10, 12), date(2026, 11, 2), date(2026, 11, 23)]
    plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    rides = db.session.scalars(select(Task).join(Need).where(Need.category == "ride").order_by(Task.starts_at)).all()
    # 8:15 every time on the wall clock, though UTC moves by an hour after the clocks go back.
    assert [local(t.starts_at, "America/New_York").time() for t in rides] == [time(8, 15)] * 3
    assert [t.starts_at.hour for t in rides] == [12, 13, 13]
    assert all(local(t.ends_at, "America/New_York").time() == time(13, 30) for t in rides)


@time_machine.travel(START, tick=False)
def test_dates_run_across_month_ends_and_a_leap_day(team):
    plan = new_plan(team, every_21_days(date(2027, 12, 30), times=4, every_days=30))
    assert [d.local_date for d in plan.treatments[0].days] == [
        date(2027, 12, 30),
        date(2028, 1, 29),
        date(2028, 2, 28),
        date(2028, 3, 29),
    ]
    meals = [p.day for p in plan_proposals(plan, zone_name="America/New_York") if p.category == "meal"]
    assert meals[:3] == [date(2027, 12, 31), date(2028, 1, 1), date(2028, 1, 2)]
    assert date(2028, 2, 29) in meals and date(2028, 3, 1) in meals  # +1 and +2 after 28 Feb in a leap year


@time_machine.travel(START, tick=False)
def test_a_daily_course_is_weekdays_only_and_a_ride_each_day(team):
    course = TreatmentInput(
        kind="course", label="Radiation", first_date=date(2026, 10, 26), start_time=time(10, 0), weeks=6
    )
    plan = new_plan(team, course)
    days = [d.local_date for d in plan.treatments[0].days]
    assert len(days) == 30 and all(d.weekday() < 5 for d in days)
    proposals = plan_proposals(plan, zone_name="America/New_York")
    assert sum(p.category == "ride" for p in proposals) == 30
    assert not any(p.category == "meal" for p in proposals)  # meals follow the repeating treatments only


@time_machine.travel(START, tick=False)
def test_the_suggested_plan_for_six_cycles_is_forty_odd_tasks_month_by_month(team):
    plan = new_plan(team, every_21_days(date(2026, 10, 12)))
    proposals = plan_proposals(plan, zone_name="America/New_York")
    kinds = {k: sum(p.category == k for p in proposals) for k in ("ride", "meal", "visit", "errands", "childcare")}
    assert kinds["ride"] == 6 and kinds["meal"] == 18 and kinds["visit"] == 6 and kinds["childcare"] == 0
    assert 40 <= len(proposals) <= 50
    months = plan_preview(proposals)
    assert [m.month for m in months][:2] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert sum(m.total for m in months) == len(proposals)
    posted = plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    assert posted.tasks == len(proposals) == db.session.scalar(select(func.count(Task.id)))
    assert db.session.scalar(select(func.count(Need.id)).where(Need.plan_id == plan.id)) == len(proposals)
    assert plan_unposted(plan, circle=team["circle"]) == []  # posting twice adds nothing
    with pytest.raises(Invalid):
        plan_post(plan=plan, circle=team["circle"], author=team["patient"])


@time_machine.travel(START, tick=False)
def test_quiet_days_take_visits_out_and_give_meals_the_door_note(team):
    plan = new_plan(team, every_21_days(date(2026, 10, 12), times=2))
    visit = next(r for r in plan.rules if r.category == "visit")
    visit.offset_first = visit.offset_last = 2  # a visit on day +2, which is a no-visitors day
    db.session.commit()
    proposals = plan_proposals(plan, zone_name="America/New_York")
    assert not any(p.category == "visit" for p in proposals)
    meals = [p for p in proposals if p.category == "meal"]
    at_door = [p.day for p in meals if p.details.get("dropoff") == "Meals at the door, please"]
    assert at_door == [date(2026, 10, 13), date(2026, 10, 14), date(2026, 11, 3), date(2026, 11, 4)]
    assert all("at the door" not in p.notes for p in meals if p.day not in at_door)
    # Quiet hours only: a visit outside them is still proposed.
    quiet = plan.quiet_days[0]
    quiet.quiet_start, quiet.quiet_end = time(9, 0), time(13, 0)
    db.session.commit()
    visits = [p for p in plan_proposals(plan, zone_name="America/New_York") if p.category == "visit"]
    assert len(visits) == 2 and visits[0].start == time(15, 0)
    posted = plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    meal = db.session.scalar(select(Need).where(Need.category == "meal", Need.start_date == date(2026, 10, 13)))
    assert (
        meal.details["dropoff"] == "Meals at the door, please" and posted.needs == len(proposals) + 2
    )  # and the two visits


@time_machine.travel(START, tick=False)
def test_no_visitors_all_day_means_no_visit_need_is_posted_or_asked_for(team):
    plan = new_plan(team, every_21_days(date(2026, 10, 12), times=2))
    plan.quiet_days.append(PlanQuiet(offset_first=3, offset_last=3, no_visitors=True, note=""))
    db.session.commit()
    plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    assert db.session.scalar(select(func.count(Need.id)).where(Need.category == "visit")) == 0


@time_machine.travel(START, tick=False)
def test_a_plan_refuses_what_it_cannot_keep(team):
    with pytest.raises(Invalid) as caught:
        plan_create(
            circle=team["circle"],
            author=team["patient"],
            name="",
            audience="everyone",
            treatment=every_21_days(date(2026, 9, 1), times=0, label=""),
        )
    fields = {p.field for p in caught.value.problems}
    assert {"name", "audience", "label", "times", "first_date"} <= fields
    db.session.rollback()
    with pytest.raises(Invalid) as caught:
        new_plan(team, every_21_days(date(2026, 10, 12), times=60))
    assert "18 months" in caught.value.message


@time_machine.travel(START, tick=False)
def test_a_one_off_scan_added_later_posts_only_its_own_help(team):
    plan = new_plan(team, every_21_days(date(2026, 10, 12), times=2))
    plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    before = db.session.scalar(select(func.count(Need.id)))
    scan = TreatmentInput(kind="oneoff", label="CT scan", first_date=date(2026, 12, 1), start_time=time(8, 0))
    treatment_add(plan=plan, data=scan, circle=team["circle"])
    db.session.commit()
    new = plan_unposted(plan, circle=team["circle"])
    assert ("ride", date(2026, 12, 1)) in [(p.category, p.day) for p in new]
    assert {p.category for p in new} == {"ride", "errands"}  # the weekly errands now run to the scan's week
    plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    assert db.session.scalar(select(func.count(Need.id))) == before + len(new)


@time_machine.travel(START, tick=False)
def test_a_daily_course_across_the_spring_change_keeps_9am_and_a_skipped_hour_moves_forward(team):
    course = TreatmentInput(
        kind="course", label="Radiation", first_date=date(2027, 3, 8), start_time=time(9, 0), weeks=2
    )
    plan = new_plan(team, course)
    night = TreatmentInput(kind="oneoff", label="Scan", first_date=date(2027, 3, 14), start_time=time(3, 0))
    treatment_add(plan=plan, data=night, circle=team["circle"])  # its ride at 2:15am, an hour the clocks skip
    db.session.commit()
    plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    db.session.commit()
    rides = db.session.scalars(select(Task).join(Need).where(Need.category == "ride").order_by(Task.starts_at)).all()
    weekdays = [t for t in rides if t.local_date != date(2027, 3, 14)]
    assert len(weekdays) == 10
    assert {local(t.starts_at, "America/New_York").time() for t in weekdays} == {time(8, 15)}
    assert {t.starts_at.hour for t in weekdays if t.local_date < date(2027, 3, 14)} == {13}
    assert {t.starts_at.hour for t in weekdays if t.local_date > date(2027, 3, 14)} == {12}
    sunday = next(t for t in rides if t.local_date == date(2027, 3, 14))
    assert local(sunday.starts_at, "America/New_York").time() == time(3, 15)  # 2:15 doesn't exist: an hour on


@time_machine.travel(START, tick=False)
def test_a_ride_at_an_hour_the_clocks_repeat_is_posted_at_the_first_of_the_two(team):
    plan = new_plan(team, TreatmentInput(kind="oneoff", label="Scan", first_date=date(2026, 11, 1), start_time=time(2)))
    plan_post(plan=plan, circle=team["circle"], author=team["patient"])  # the ride at 1:15am, which happens twice
    db.session.commit()
    ride = db.session.scalar(select(Task).join(Need).where(Need.category == "ride"))
    assert ride.starts_at == datetime(2026, 11, 1, 5, 15, tzinfo=UTC)  # 1:15 summer time, before the clocks go back


@time_machine.travel(START, tick=False)
def test_help_past_18_months_is_left_for_later_and_the_rest_posts(team):
    last = date(2028, 4, 5)  # 18 months from 5 Oct 2026
    plan = new_plan(team, every_21_days(last - timedelta(days=1), times=1))
    proposals = plan_proposals(plan, zone_name="America/New_York")
    assert proposals and max(p.day for p in proposals) == last  # meals on +2 and +3, and later errands, wait
    posted = plan_post(plan=plan, circle=team["circle"], author=team["patient"])
    assert posted.needs == len(proposals)
