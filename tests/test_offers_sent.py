"""Offers in the ladder: one text asks about a task and offers up to two more, and nobody is asked about them twice.

services/health/outreach.ask queues the text through offers.offer_queue, the
dispatcher's last look (before_sending.py) keeps it while any task it offers
is still open, and its days stay true however long it waits.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Event, Message
from coordinator.services.care.claims import claim_make
from coordinator.services.health.activity import activity_record
from coordinator.services.health.outreach import outreach_run
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.sms.console import ConsoleGateway
from tests.factories import add_member, make_circle, make_need, make_user

START = datetime(2026, 6, 1, 14, tzinfo=UTC)  # Monday 10:00 in New York


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def need(circle, author, category, day, hour):
    return make_need(
        circle,
        author,
        category=category,
        title="Ride to chemo" if category == "ride" else "Help",
        start_date=date(2026, 6, day),
        start_time=time(hour),
        end_time=time(hour + 1),
    ).tasks[0]


def setup():
    """Maria's circle: Ana (has helped before) and Ben (a neighbour who only does meals); three tasks this week."""
    with at(START):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        ana = add_member(circle, make_user(name="Ana", phone="+12025550110"))
        ben = add_member(circle, make_user(name="Ben", phone="+12025550111"))
        ben.help_categories = ["meal"]
        activity_record(kind="claim.made", circle_id=circle.id, subject_id=ana.user_id)
        db.session.commit()
        ride = need(circle, daniel, "ride", 5, 9)  # Friday
        meal = need(circle, daniel, "meal", 6, 17)  # Saturday
        errand = need(circle, daniel, "errands", 7, 11)  # Sunday
    return circle, ana, ben, ride, meal, errand


def run(moment: datetime):
    with at(moment):
        outreach_run()
        db.session.commit()


def texts_to(member) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.user_id == member.user_id).order_by(Message.id)))


def dispatch(moment: datetime):
    with open("/dev/null", "w") as sink, at(moment):
        return dispatch_due(gateway=ConsoleGateway(stream=sink), pacer=Pacer(0))


def test_one_text_asks_about_the_ride_and_offers_the_meal_and_errand_and_nobody_is_asked_about_them_again(app):
    circle, ana, ben, ride, meal, errand = setup()
    run(START)

    [text] = texts_to(ana)
    assert text.kind == "ask" and text.task_id == ride.id  # one ask from her week, about the ride
    assert text.body == (
        f"For Maria: Fri 9am ride (TAKE {ride.code}); Sat 5pm meal (TAKE {meal.code}); "
        f"Sun 11am errand (TAKE {errand.code}). Can you do one? Reply TAKE and its number. No need to reply if not."
    )
    offered = db.session.execute(
        select(Event.object_id, Event.data).where(Event.kind == "ask.offered", Event.subject_id == ana.user_id)
    ).all()
    assert sorted(offered) == [(meal.id, {"with": ride.id}), (errand.id, {"with": ride.id})]
    [ben_text] = texts_to(ben)  # Ben does meals only: asked about the meal, in a text of its own
    assert ben_text.task_id == meal.id and "ride" not in ben_text.body

    run(datetime(2026, 6, 3, 14, tzinfo=UTC))  # the meal and the errand reach everyone who suits them
    assert len(texts_to(ana)) == 1  # she has them in her text already: not asked about them again


def overnight_claims(circle, *tasks):
    """The texts queued Monday 10pm in New York wait for the morning; overnight others take `tasks`."""
    run(datetime(2026, 6, 2, 2, tzinfo=UTC))
    with at(datetime(2026, 6, 2, 3, tzinfo=UTC)):
        for n, task in enumerate(tasks):
            claim_make(membership=add_member(circle, make_user(phone=f"+1202555020{n}")), task_id=task.id)
        db.session.commit()
    return dispatch(datetime(2026, 6, 2, 12, tzinfo=UTC))  # 8am


def test_an_offer_still_goes_when_its_ride_is_taken_while_its_meal_is_open(app):
    circle, ana, ben, ride, meal, errand = setup()
    stats = overnight_claims(circle, ride)
    [text] = texts_to(ana)
    assert text.status == "sent" and stats.sent == 2  # Ana's offer (the meal and errand are open) and Ben's ask
    assert text.body == (  # the ride taken overnight is no longer offered; the days are still true
        f"For Maria: Sat 5pm meal (TAKE {meal.code}); Sun 11am errand (TAKE {errand.code}). "
        "Can you do one? Reply TAKE and its number. No need to reply if not."
    )


def test_an_offer_names_only_the_tasks_still_open_when_it_goes(app):
    circle, ana, ben, ride, meal, errand = setup()
    overnight_claims(circle, meal)
    [text] = texts_to(ana)
    assert text.status == "sent"
    assert f"TAKE {ride.code}" in text.body and f"TAKE {errand.code}" in text.body
    assert f"TAKE {meal.code}" not in text.body and "meal" not in text.body
    assert text.body.startswith("For Maria: Fri 9am ride")


def test_an_offer_whose_tasks_are_all_taken_is_not_sent(app):
    circle, ana, ben, ride, meal, errand = setup()
    overnight_claims(circle, ride, meal, errand)
    [dropped] = texts_to(ana)
    assert dropped.status == "cancelled" and dropped.last_error == "somebody already took it"


def test_an_offer_whose_first_task_was_cancelled_is_not_sent_even_with_others_open(app):
    from coordinator.services.care.task_changes import task_cancel

    circle, ana, ben, ride, meal, errand = setup()
    run(datetime(2026, 6, 2, 2, tzinfo=UTC))  # queued at 10pm, waiting for the morning
    with at(datetime(2026, 6, 2, 3, tzinfo=UTC)):
        task_cancel(task=db.session.get(type(ride), ride.id), actor=db.session.get(type(ana.user), ana.user_id))
        db.session.commit()
    dispatch(datetime(2026, 6, 2, 12, tzinfo=UTC))
    [dropped] = texts_to(ana)
    assert dropped.status == "cancelled" and dropped.last_error == "the task was cancelled"


def test_a_task_a_week_or_more_off_is_dated_so_its_weekday_is_not_read_as_this_week(app):
    from coordinator.services.texting.digests import digest_line

    with at(START):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        soon, later = need(circle, daniel, "ride", 7, 9), need(circle, daniel, "ride", 8, 9)
        assert digest_line(soon).startswith("Sun 9am ride")
        assert digest_line(later).startswith("Mon 8 Jun 9am ride")  # "Mon" on a Monday would read as today
