"""Acting on the thinning: the right few first, then wider, then coordinators; caps, re-engagement, archiving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Membership, Message, Task
from coordinator.services.care.claims import claim_make
from coordinator.services.health.activity import activity_record
from coordinator.services.health.outreach import outreach_run
from tests.factories import PASSWORD, add_member, make_circle, make_need, make_user
from tests.web import WebClient

START = datetime(2026, 6, 1, 14, tzinfo=UTC)  # Monday 10:00 in New York
TASK_DAY = date(2026, 6, 11)  # Thursday, ten days on


def person(circle, name, phone, **prefs):
    user = make_user(name=name, phone=phone)
    member = add_member(circle, user)
    for key, value in prefs.items():
        setattr(member, key, value)
    db.session.commit()
    return member


def asked(kind="ask") -> list[str]:
    db.session.expire_all()
    return [m.user.name for m in db.session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id))]


def asked_about(task) -> list[str]:
    """Who was texted about `task`, in the order the texts were written."""
    db.session.expire_all()
    query = select(Message).where(Message.task_id == task.id).order_by(Message.id)
    return [m.user.name for m in db.session.scalars(query)]


@pytest.fixture
def circle_setup(app):
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        aisha = make_user(name="Aisha", phone="+12025550102")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        circle.health_settings = {"best_few": 3}  # three at a time, so the ranking shows (the default is one)
        add_member(circle, aisha, role="coordinator")
        people = {
            "Ana": person(circle, "Ana", "+12025550110", last_asked_at=START - timedelta(days=30)),
            "Ben": person(circle, "Ben", "+12025550111"),  # never answered anything
            "Cat": person(circle, "Cat", "+12025550112", help_categories=["meal"]),  # rides aren't her thing
            "Dev": person(circle, "Dev", "+12025550113", availability={"TH": ["evening"]}),  # not free mornings
            "Eli": person(circle, "Eli", "+12025550114", asks_per_week=0),  # asked not to be asked
            "Fay": person(circle, "Fay", "+12025550115", last_asked_at=START - timedelta(days=2)),
            "Gus": person(circle, "Gus", "+12025550116"),
        }
        for name in ("Ana", "Fay", "Gus"):
            activity_record(kind="claim.made", circle_id=circle.id, subject_id=people[name].user_id)
        db.session.commit()
        task = make_need(
            circle, daniel, title="Ride to chemo", start_date=TASK_DAY, start_time=time(9), end_time=time(11)
        ).tasks[0]
    return circle, daniel, aisha, people, task


def outreach_page(app, circle, daniel, task):
    """Daniel signed in; (the outreach page's words, as one line; a tap on its "ask everyone" button)."""
    url = f"/circles/{circle.id}/tasks/{task.id}/help"
    browser = WebClient(app.test_client())
    browser.sign_in(daniel.email, PASSWORD)

    def words() -> str:
        return " ".join(browser.get(url).get_data(as_text=True).split())

    def tap() -> None:
        browser.post(url + "/everyone", form_url=url)

    return words, tap


def run_at(moment: datetime):
    with time_machine.travel(moment, tick=False):
        outcome = outreach_run()
        db.session.commit()
    return outcome


def test_nothing_happens_while_the_task_is_far_off(circle_setup):
    run_at(START + timedelta(days=2))
    assert asked() == []


def test_the_best_few_are_those_who_suit_it_answered_before_and_were_asked_least_recently(circle_setup):
    *_, task = circle_setup
    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))  # seven days before
    assert asked() == ["Gus", "Ana", "Fay"]  # answered before; never asked, then asked longest ago
    assert db.session.get(Task, task.id).ask_stage == 1
    run_at(datetime(2026, 6, 4, 18, tzinfo=UTC))
    assert asked() == ["Gus", "Ana", "Fay"]  # nobody asked twice
    body = db.session.scalars(select(Message.body).where(Message.kind == "ask")).first()
    assert (
        body
        == f"Could you do a ride for Maria Thu 11 Jun at 9am? Reply TAKE {task.id} if you can. No need to reply if not."
    )


def test_then_the_wider_circle_then_a_coordinator_then_the_backup(circle_setup, client):
    circle, daniel, aisha, people, task = circle_setup
    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))
    run_at(datetime(2026, 6, 8, 14, tzinfo=UTC))  # three days before: everyone else who suits it
    assert asked() == ["Gus", "Ana", "Fay", "Ben"]  # never Cat (meals), Dev (evenings), Eli (no asks)
    run_at(datetime(2026, 6, 10, 14, tzinfo=UTC))  # one day before: the first coordinator
    assert asked("alert") == ["Daniel"]
    alert = db.session.scalar(select(Message.body).where(Message.kind == "alert"))
    assert f"/circles/{circle.id}/tasks/{task.id}/help" in alert
    run_at(datetime(2026, 6, 10, 20, tzinfo=UTC))
    assert asked("alert_backup") == []  # not yet: twelve hours
    run_at(datetime(2026, 6, 11, 2, 30, tzinfo=UTC))
    assert asked("alert_backup") == ["Aisha"]
    assert db.session.get(Task, task.id).ask_stage == 4


def test_acting_on_the_alert_stops_the_backup(app, circle_setup):
    circle, daniel, aisha, people, task = circle_setup
    run_at(datetime(2026, 6, 10, 14, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 10, 15, tzinfo=UTC), tick=True):
        browser = WebClient(app.test_client())
        browser.sign_in(daniel.email, PASSWORD)
        page = browser.get(f"/circles/{circle.id}/tasks/{task.id}/help")
        assert "Ask everyone who offers this help" in page.get_data(as_text=True)
        browser.post(
            f"/circles/{circle.id}/tasks/{task.id}/help/covered", form_url=f"/circles/{circle.id}/tasks/{task.id}/help"
        )
    run_at(datetime(2026, 6, 11, 4, tzinfo=UTC))
    assert asked("alert_backup") == []
    assert db.session.get(Task, task.id).covered_elsewhere_at is not None


def test_ask_everyone_reaches_people_not_yet_asked_those_who_ticked_other_help_last(app, circle_setup):
    circle, daniel, aisha, people, task = circle_setup
    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 5, 15, tzinfo=UTC), tick=True):
        words, tap = outreach_page(app, circle, daniel, task)
        page = words()
        assert "Ask everyone who offers this help" in page
        assert "1 more person ticked other kinds of help: they are asked only after everyone who offers this." in page
        tap()
        assert sorted(asked()) == ["Ana", "Ben", "Dev", "Fay", "Gus"]  # all but Eli (never) and Cat (meals)
        assert "Ask the one person who offered other kinds of help" in words()  # the last resort is everyone
        tap()
    assert sorted(asked()) == ["Ana", "Ben", "Cat", "Dev", "Fay", "Gus"]


def test_ask_everyone_never_texts_an_inner_circle_need_to_the_rest_of_the_circle(app, circle_setup):
    circle, daniel, aisha, people, task = circle_setup
    people["Ana"].inner_circle = True
    task.need.visibility = "inner"
    db.session.commit()
    with time_machine.travel(datetime(2026, 6, 5, 15, tzinfo=UTC), tick=True):
        words, tap = outreach_page(app, circle, daniel, task)
        assert "(1 more)" in words()
        tap()
    assert asked() == ["Ana"]  # the inner circle only: nobody else learns of it by text


def errands_held(circle, daniel, people, names) -> None:
    """Each of `names` takes one errand in the first week of June (a name given four times carries four)."""
    with time_machine.travel(START, tick=False):
        for n, name in enumerate(names):
            other = make_need(
                circle,
                daniel,
                title=f"Errand {n}",
                category="errands",
                start_date=date(2026, 6, 2 + n % 5),
                start_time=time(13 + n // 5),
                end_time=time(14 + n // 5),
            ).tasks[0]
            claim_make(membership=people[name], task_id=other.id)
        db.session.commit()


def test_ask_everyone_still_spares_whoever_carries_too_much(app, circle_setup):
    circle, daniel, aisha, people, task = circle_setup
    errands_held(circle, daniel, people, ("Gus", "Gus", "Gus", "Gus", "Ana", "Ben", "Fay"))
    with time_machine.travel(datetime(2026, 6, 10, 15, tzinfo=UTC), tick=True):
        words, tap = outreach_page(app, circle, daniel, task)
        page = words()
        assert "Nobody has been asked by text yet." in page
        assert "Ask everyone who offers this help (4 more)" in page  # not Eli (never), Gus (past his share), Cat
        assert "1 person is left out because they already carry more than a fair share" in page
        tap()
        page = words()
    assert "Gus" not in asked() and "Ana" in asked()  # four tasks against a cap of two: not asked even now
    assert "4 people have been asked by text" in page and "Ask the one person who offered other kinds of help" in page
    assert "Cat" not in asked()  # she ticked meals: asked only if the coordinator taps again


def test_a_taken_task_stops_climbing_and_pending_asks_are_dropped(circle_setup):
    from coordinator.services.texting.dispatch import Pacer, dispatch_due
    from coordinator.sms.console import ConsoleGateway

    circle, daniel, aisha, people, task = circle_setup
    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 4, 14, 5, tzinfo=UTC), tick=False):
        claim_make(membership=people["Ben"], task_id=task.id)
        db.session.commit()
        with open("/dev/null", "w") as sink:
            stats = dispatch_due(gateway=ConsoleGateway(stream=sink), pacer=Pacer(0))
    assert stats.cancelled == 3 and stats.sent == 0  # the three asks: somebody already took it
    run_at(datetime(2026, 6, 10, 14, tzinfo=UTC))
    assert asked("alert") == []


def test_the_fair_share_cap_and_weekly_limits_keep_people_from_being_overloaded(circle_setup):
    from coordinator.services.texting.messages import notify

    circle, daniel, aisha, people, task = circle_setup
    with time_machine.travel(START, tick=False):

        def errand(n):
            return make_need(
                circle,
                daniel,
                title=f"Errand {n}",
                category="errands",
                start_date=date(2026, 6, 2 + n % 5),
                start_time=time(13 + n // 5),
                end_time=time(14 + n // 5),
            ).tasks[0]

        for n in range(6):  # Gus already carries six tasks; most others carry one
            claim_make(membership=people["Gus"], task_id=errand(n).id)
        for n, name in enumerate(("Ana", "Ben", "Fay"), start=6):
            claim_make(membership=people[name], task_id=errand(n).id)
        people["Fay"].asks_per_week = 1  # and she already had her one ask this week
        notify(
            user=people["Fay"].user,
            kind="digest",
            key="fay-digest",
            context={"first_name": "Maria", "lines": []},
            circle_id=circle.id,
        )
        db.session.commit()
    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))
    assert asked() == ["Ben", "Ana"]  # not Gus (over twice an even split), not Fay (at her limit); Ben never asked yet


def test_an_unanswered_ask_counts_toward_the_cap_until_it_goes_stale(app):
    """Two asks out to someone with room for one more: a yes to both would take them past their share."""
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        ana = person(circle, "Ana", "+12025550110")
        ben = person(circle, "Ben", "+12025550111")
        for n in range(5):  # they help with meals only, so the rides are never theirs to be asked about
            person(circle, f"Cook {n}", f"+1202555012{n}", help_categories=["meal"])
        for member, count in ((ana, 1), (ben, 2)):  # five spots in all among eight helpers: the cap is 2
            for n in range(count):
                claim_make(
                    membership=member, task_id=make_need(circle, daniel, category="meal", title=f"Meal {n}").tasks[0].id
                )
        db.session.commit()
        thursday = make_need(circle, daniel, start_date=TASK_DAY, start_time=time(9), end_time=time(11)).tasks[0]

    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))  # a week before Thursday
    assert asked_about(thursday) == ["Ana"]  # Ben is at his share already
    with time_machine.travel(datetime(2026, 6, 4, 15, tzinfo=UTC), tick=False):
        # posted after that text went, so it was not offered in it (tests/test_offers.py has offers)
        friday = make_need(circle, daniel, start_date=TASK_DAY + timedelta(days=1), start_time=time(9)).tasks[0]
    run_at(datetime(2026, 6, 5, 14, tzinfo=UTC))  # a week before Friday; Ana has not answered yet
    assert asked_about(friday) == []
    run_at(datetime(2026, 6, 9, 14, tzinfo=UTC))  # three days before Friday; the Thursday ask has gone stale
    assert asked_about(friday) == ["Ana"]


def test_someone_one_task_short_of_their_share_is_asked_after_those_with_more_room(app):
    """Ana said yes before, so she would come first; but a yes would bring her to her whole share. Ben has room."""
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        circle.health_settings = {"best_few": 1}
        ana = person(circle, "Ana", "+12025550110")
        person(circle, "Ben", "+12025550111")
        cooks = [person(circle, f"Cook {n}", f"+1202555012{n}", help_categories=["meal"]) for n in range(4)]
        for member in (ana, *cooks[:3]):  # four spots among seven helpers: the cap is 2, Ana is one short of it
            claim_make(membership=member, task_id=make_need(circle, daniel, category="meal", title="Meal").tasks[0].id)
        db.session.commit()
        thursday = make_need(circle, daniel, start_date=TASK_DAY, start_time=time(9), end_time=time(11)).tasks[0]

    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))  # a week before Thursday
    assert asked_about(thursday) == ["Ben"]  # not Ana, though she answered before and Ben never has
    run_at(datetime(2026, 6, 5, 14, tzinfo=UTC))  # a day later, no yes from Ben: nobody else has more room
    assert asked_about(thursday) == ["Ben", "Ana"]  # so Ana is asked: one short of her share is still room


def test_a_drifting_supporter_gets_one_gentle_ask_then_is_left_in_peace_and_archived(app):
    with time_machine.travel(datetime(2026, 3, 2, 15, tzinfo=UTC), tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel)
        sam = person(circle, "Sam", "+12025550110")
        steady = person(circle, "Pat", "+12025550111")
    for week in range(8):  # both helped weekly for two months
        with time_machine.travel(datetime(2026, 3, 2, 15, tzinfo=UTC) + timedelta(weeks=week), tick=False):
            for member in (sam, steady):
                activity_record(kind="claim.made", circle_id=circle.id, subject_id=member.user_id)
            db.session.commit()
    for week in range(8, 12):  # then Sam stopped; Pat carried on
        with time_machine.travel(datetime(2026, 3, 2, 15, tzinfo=UTC) + timedelta(weeks=week), tick=False):
            activity_record(kind="claim.made", circle_id=circle.id, subject_id=steady.user_id)
            db.session.commit()
    later = datetime(2026, 3, 2, 15, tzinfo=UTC) + timedelta(weeks=12)
    run_at(later)
    assert asked("reengage") == ["Sam"]
    body = db.session.scalar(select(Message.body).where(Message.kind == "reengage"))
    assert body.startswith("Hi Sam, Maria's circle is thinking of you.") and len(body) <= 160
    run_at(later + timedelta(days=3))
    assert asked("reengage") == ["Sam"]  # never nagged
    run_at(later + timedelta(weeks=7))
    db.session.expire_all()
    assert db.session.get(Membership, sam.id).status == "archived"
    assert db.session.get(Membership, steady.id).status == "active"


def test_a_drifting_supporter_asked_about_a_task_gets_no_kind_word_until_days_after_that_ask(app):
    start = datetime(2026, 3, 2, 15, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        sam = person(circle, "Sam", "+12025550110")
    for week in range(8):  # Sam helped weekly, then stopped four weeks ago
        with time_machine.travel(start + timedelta(weeks=week), tick=False):
            activity_record(kind="claim.made", circle_id=circle.id, subject_id=sam.user_id)
            db.session.commit()
    later = start + timedelta(weeks=12)
    with time_machine.travel(later, tick=False):
        call = make_need(circle, daniel, category="call", title="A call", start_date=later.date() + timedelta(days=7))
    run_at(later)
    texts = db.session.scalars(select(Message.kind).where(Message.user_id == sam.user_id)).all()
    assert texts == ["ask"]  # drifting, but just asked about the call: no second text in the same breath
    run_at(later + timedelta(days=1))
    run_at(later + timedelta(days=2, hours=23))  # REENGAGE_QUIET_DAYS (3) not yet over: no text on top of the ask
    texts = db.session.execute(select(Message.kind, Message.task_id).where(Message.user_id == sam.user_id)).all()
    assert texts == [("ask", call.tasks[0].id)]
    run_at(later + timedelta(days=3, hours=1))
    texts = db.session.execute(select(Message.kind, Message.task_id).where(Message.user_id == sam.user_id)).all()
    assert texts == [("ask", call.tasks[0].id), ("reengage", None)]  # days later, a kind word, not the same ask


def test_someone_who_answers_the_gentle_ask_is_not_archived(app):
    start = datetime(2026, 3, 2, 15, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        circle = make_circle(coordinator=make_user(phone="+12025550101"))
        sam = person(circle, "Sam", "+12025550110")
    for week in range(8):
        with time_machine.travel(start + timedelta(weeks=week), tick=False):
            activity_record(kind="claim.made", circle_id=circle.id, subject_id=sam.user_id)
            db.session.commit()
    run_at(start + timedelta(weeks=12))
    with time_machine.travel(start + timedelta(weeks=13), tick=False):
        activity_record(kind="sms.replied", circle_id=circle.id, subject_id=sam.user_id)
        db.session.commit()
    run_at(start + timedelta(weeks=19))
    db.session.expire_all()
    assert db.session.get(Membership, sam.id).status == "active"


def test_if_the_best_few_stay_quiet_the_next_few_are_asked_before_the_wider_circle(circle_setup):
    run_at(datetime(2026, 6, 4, 14, tzinfo=UTC))
    run_at(datetime(2026, 6, 4, 23, tzinfo=UTC))
    assert asked() == ["Gus", "Ana", "Fay"]  # nine hours later: still waiting on them (a yes comes within hours)
    run_at(datetime(2026, 6, 5, 3, tzinfo=UTC))
    assert asked() == ["Gus", "Ana", "Fay", "Ben"]  # 13 hours of silence: the next best (only Ben is left)


def _reads_for(supporters: int, *, job) -> int:
    """SELECTs one pass makes for a circle with `supporters` people (writes grow with whom it texts)."""
    from coordinator.services.care.recurrence import Repeat
    from tests.queries import counting

    with time_machine.travel(START, tick=False):
        daniel = make_user(phone=f"+1202555{supporters:04d}")
        circle = make_circle(coordinator=daniel, timezone="America/New_York")
        for n in range(supporters):
            person(circle, f"P{supporters}-{n}", f"+1312555{supporters:02d}{n:02d}")
        make_need(
            circle,
            daniel,
            start_date=TASK_DAY,
            start_time=time(9),
            end_time=time(11),
            repeat=Repeat("daily", (), "count", count=3),
        )
    with time_machine.travel(datetime(2026, 6, 7, 21, tzinfo=UTC), tick=False), counting(db.engine) as statements:
        job(circle.id)
        db.session.commit()
    db.session.expire_all()
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def test_outreach_and_digests_read_the_same_whatever_the_circle_size(app):
    from coordinator.services.texting.digests import digests_send

    def outreach(circle_id):
        outreach_run(circle_id=circle_id)

    def digests(circle_id):
        others = Membership.__table__.update().where(Membership.circle_id != circle_id).values(status="archived")
        db.session.execute(others)  # only this circle's people are due a digest
        digests_send()

    assert _reads_for(4, job=outreach) == _reads_for(40, job=outreach)
    assert _reads_for(5, job=digests) == _reads_for(50, job=digests)


def test_someone_who_ticked_other_help_and_carries_too_much_is_counted_once_as_resting(app, circle_setup):
    circle, daniel, aisha, people, task = circle_setup
    errands_held(circle, daniel, people, ("Gus", "Gus", "Gus", "Gus", "Cat", "Cat", "Cat", "Cat"))
    with time_machine.travel(datetime(2026, 6, 10, 15, tzinfo=UTC), tick=True):
        words, _tap = outreach_page(app, circle, daniel, task)
        page = words()
    assert "2 people are left out because they already carry more than a fair share" in page  # Gus and Cat
    assert "ticked other kinds of help: they are asked only after" not in page  # Cat, the only one, is resting
