"""Issue 18's asking rules in the service, each tested directly: single, enough, and the digest's fair share.

- single: the ladder asks the best one first (HealthSettings.best_few = 1) and the
  next one after 12 hours of silence (outreach.NEXT_FEW_AFTER);
- enough: the wider rung asks the likeliest people only until their expected
  yeses reach 1.5 per open spot (nudges.likely_enough), the next batch a day
  later; the Sunday digest likewise goes only to enough people for the week (one
  expected yes per open spot);
- the digest counts the asks still out to a person, as the ladder does, so our
  own texts never push anyone past their fair share.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.care.claims import claim_make
from coordinator.services.health.activity import activity_record
from coordinator.services.health.outreach import outreach_run
from coordinator.services.texting.digests import digests_send
from coordinator.sms.segments import segments
from tests.factories import add_member, make_circle, make_need, make_user

START = datetime(2026, 6, 1, 14, tzinfo=UTC)  # Monday 10:00 in New York
SUNDAY_5PM = datetime(2026, 6, 7, 21, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def circle_of(count: int, **prefs):
    """Maria's circle in New York with `count` supporters nobody knows much about yet."""
    with at(START):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        people = []
        for n in range(count):
            member = add_member(circle, make_user(name=f"P{n}", phone=f"+120255502{n:02d}"))
            for key, value in prefs.items():
                setattr(member, key, value)
            people.append(member)
        db.session.commit()
    return circle, daniel, people


def said_yes(circle, member, times: int) -> None:
    """`member` was asked about rides `times` times and took each one (their record in the circle)."""
    with at(START - timedelta(weeks=3)):
        for n in range(times):
            past = make_need(circle, circle.memberships[0].user, title=f"Past ride {n}").tasks[0]
            for kind in ("ask.sent", "claim.made"):
                activity_record(
                    kind=kind, circle_id=circle.id, subject_id=member.user_id, object_type="task", object_id=past.id
                )
        db.session.commit()


def ride(circle, author, day: date):
    with at(START):
        return make_need(circle, author, start_date=day, start_time=time(9), end_time=time(11)).tasks[0]


def run(moment: datetime):
    with at(moment):
        outreach_run()
        db.session.commit()


def asked(task=None) -> list[str]:
    db.session.expire_all()
    query = select(Message).where(Message.kind == "ask").order_by(Message.id)
    if task is not None:
        query = query.where(Message.task_id == task.id)
    return [m.user.name for m in db.session.scalars(query)]


def test_the_best_one_is_asked_first_and_the_next_after_twelve_quiet_hours(app):
    circle, daniel, people = circle_of(3)
    said_yes(circle, people[2], 1)  # P2 has said yes before: the best one
    task = ride(circle, daniel, date(2026, 6, 11))  # Thursday, ten days on
    run(datetime(2026, 6, 4, 14, tzinfo=UTC))  # a week before
    assert asked(task) == ["P2"]
    run(datetime(2026, 6, 5, 1, tzinfo=UTC))  # eleven hours of silence: still waiting
    assert asked(task) == ["P2"]
    run(datetime(2026, 6, 5, 3, tzinfo=UTC))  # thirteen: the next one
    assert asked(task) == ["P2", "P0"]


def test_the_wider_rung_asks_only_enough_people_for_one_spot_then_the_next_batch_a_day_later(app):
    circle, daniel, people = circle_of(8)
    said_yes(circle, people[7], 3)  # P7 took the last three rides she was asked about
    task = ride(circle, daniel, date(2026, 6, 4))  # Thursday: three days off, straight to the wider rung
    run(START)
    # P7 is likeliest (about 86%), then three people the circle knows little about (30% each): 1.76 >= 1.5
    assert asked(task) == ["P7", "P0", "P1", "P2"]
    run(START + timedelta(hours=12))
    assert len(asked(task)) == 4  # half a day: still waiting on them
    run(START + timedelta(hours=25))
    assert asked(task) == ["P7", "P0", "P1", "P2", "P3", "P4", "P5", "P6"]  # a day of silence: the next batch


def test_a_task_needing_two_people_asks_enough_for_two(app):
    circle, daniel, people = circle_of(12)
    with at(START):
        task = make_need(
            circle, daniel, start_date=date(2026, 6, 4), start_time=time(9), end_time=time(11), capacity=2
        ).tasks[0]
    run(START)
    assert len(asked(task)) == 10  # 3 expected yeses at 30% each


def digests() -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.kind == "digest").order_by(Message.id)))


def test_the_digest_goes_only_to_enough_people_for_the_weeks_open_spots_likeliest_first(app):
    circle, daniel, people = circle_of(8, help_categories=["meal"])
    said_yes(circle, people[5], 2)
    with at(datetime(2026, 6, 6, 12, tzinfo=UTC)):
        make_need(circle, daniel, category="meal", start_date=date(2026, 6, 10), start_time=time(17), end_time=time(18))
    with at(SUNDAY_5PM):
        sent = digests_send()
        db.session.commit()
    names = [m.user.name for m in digests()]
    # one meal to fill: P5 first (she took rides: about 58% for a meal too), then two at 30% (1.18 >= 1.0)
    assert sent == len(names) == 3 and names[0] == "P5"
    with at(SUNDAY_5PM + timedelta(hours=1)):
        assert digests_send() == 0  # an hour later the others are not texted after all
        db.session.commit()


def test_the_digest_lists_three_tasks_when_they_fit_one_text(app):
    circle, daniel, people = circle_of(1)
    with at(datetime(2026, 6, 6, 12, tzinfo=UTC)):
        for day, category in ((9, "ride"), (10, "meal"), (11, "errands"), (12, "meal")):
            make_need(
                circle,
                daniel,
                category=category,
                start_date=date(2026, 6, day),
                start_time=time(10),
                end_time=time(11),
            )
    with at(SUNDAY_5PM):
        digests_send()
        db.session.commit()
    [digest] = digests()
    assert digest.body.startswith("This week for Maria: Tue 10am ride (TAKE ")
    assert digest.body.count("TAKE ") == 4  # three tasks, and "Reply TAKE and the number"
    assert segments(digest.body).count == 1


def test_the_digest_counts_the_asks_still_out_so_nobody_is_pushed_past_their_share(app):
    """Ana holds one task and has an ask out: a yes to both and to a digest would be three, past the cap of 2."""
    circle, daniel, (ana, ben) = circle_of(2)
    with at(START):
        for n in range(5):  # they help with meals only
            add_member(circle, make_user(name=f"Cook {n}", phone=f"+1202555030{n}")).help_categories = ["meal"]
        db.session.commit()
        for member, count in ((ana, 1), (ben, 1), (circle.memberships[3], 1)):  # five spots among eight: cap 2
            claim_make(membership=member, task_id=make_need(circle, daniel, category="meal", title="Meal").tasks[0].id)
        for n in range(2):
            make_need(circle, daniel, category="meal", title=f"Meal {n}", start_date=date(2026, 6, 5))
        db.session.commit()
    thursday = ride(circle, daniel, date(2026, 6, 11))
    with at(datetime(2026, 6, 6, 22, tzinfo=UTC)):  # Saturday: Ana is asked about Thursday's ride
        outreach_run()
        db.session.commit()
    assert asked(thursday) == ["P0"]
    with at(SUNDAY_5PM):
        digests_send()
        db.session.commit()
    assert [m.user.name for m in digests()] == ["P1"]  # Ben, with room; not Ana, whose ask is still out
