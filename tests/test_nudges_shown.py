"""The nudge reaches the coordinator: the outreach page an alert links to names the one person most likely to say yes.

The alert text carries the name too only when that keeps it one SMS segment
(templates/sms/alert.txt with the page's address is already ~140 characters,
so in practice the page says it and the text stays one segment).
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.health.outreach import outreach_run
from coordinator.sms.segments import segments
from tests.factories import PASSWORD, add_member, make_circle, make_need, make_user
from tests.test_nudges import START, setup_circle, task_of
from tests.web import WebClient


def test_the_outreach_page_names_who_to_call_and_the_alert_stays_one_text(app):
    with time_machine.travel(START, tick=False):
        circle, daniel, people = setup_circle()
        ride = task_of(circle, daniel, "ride", 2)  # tomorrow at 9: straight to the coordinator
        db.session.commit()
        outreach_run()
        db.session.commit()
    alert = db.session.scalar(select(Message).where(Message.kind == "alert"))
    assert alert is not None and segments(alert.body).count == 1
    assert "Ana" not in alert.body  # the name would take it to two texts: the page says it

    with time_machine.travel(START + timedelta(minutes=10), tick=True):
        browser = WebClient(app.test_client())
        browser.sign_in(daniel.email, PASSWORD)
        page = browser.get(f"/circles/{circle.id}/tasks/{ride.id}/help").get_data(as_text=True)
    assert "Ana Smith</strong> has said yes to this kind of help 3 times" in page
    assert "worth a call?" in page


def test_the_page_names_nobody_when_nobody_has_said_yes_before(app):
    with time_machine.travel(START, tick=False):
        daniel = make_user(name="Daniel", phone="+12025550101")
        circle = make_circle(coordinator=daniel)
        add_member(circle, make_user(name="Newcomer", phone="+12025550110"))
        ride = make_need(circle, daniel).tasks[0]
    with time_machine.travel(START + timedelta(minutes=10), tick=True):
        browser = WebClient(app.test_client())
        browser.sign_in(daniel.email, PASSWORD)
        page = browser.get(f"/circles/{circle.id}/tasks/{ride.id}/help").get_data(as_text=True)
    assert "worth a call?" not in page and "Ask everyone in the circle" in page
