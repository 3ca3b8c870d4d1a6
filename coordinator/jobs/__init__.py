"""Scheduled jobs, as data: a stable id, how often, and a thin function.

Each job opens nothing itself: the runner gives it an app context; the job
calls one service and commits once (delivery commits per message, by design;
see services/texting/dispatch.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coordinator.extensions import db


@dataclass(frozen=True)
class Job:
    id: str
    seconds: int
    run: Callable[[], object]
    about: str


def deliver() -> object:
    from coordinator.services.texting.dispatch import dispatch_due

    return dispatch_due()


def plan_reminders() -> object:
    from coordinator.services.texting.reminders import reminders_plan

    planned = reminders_plan()
    db.session.commit()
    return planned


def send_digests() -> object:
    from coordinator.services.texting.digests import digests_send

    queued = digests_send()
    db.session.commit()
    return queued


def send_patient_checkins() -> object:
    from coordinator.services.health.patient_checkins import patient_checkins_send

    queued = patient_checkins_send()
    db.session.commit()
    return queued


def outreach() -> object:
    from coordinator.services.health.outreach import outreach_run

    outcome = outreach_run()
    db.session.commit()
    return outcome


def extend_needs() -> object:
    from coordinator.services.care.needs import needs_extend

    created = needs_extend()
    db.session.commit()
    return created


def expire_invitations() -> object:
    from coordinator.services.people.invitation_links import invitations_expire

    expired = invitations_expire()
    db.session.commit()
    return expired


JOBS = [  # in the order `scheduler tick` runs them: plan first, deliver last
    Job("extend_needs", 6 * 3600, extend_needs, "keep recurring needs generated eight weeks ahead"),
    Job("expire_invitations", 3600, expire_invitations, "mark invitations past their date as expired"),
    Job("plan_reminders", 300, plan_reminders, "check-ins and reminders for tasks in the next two days"),
    Job("send_digests", 1800, send_digests, "the weekly digest, on Sunday afternoon in each person's zone"),
    Job("outreach", 900, outreach, "ask the right few, escalate, alert coordinators, re-engage the drifting"),
    Job(
        "patient_checkins",
        1800,
        send_patient_checkins,
        "the patient's weekly check-in, Monday morning in their zone",
    ),
    Job("deliver", 5, deliver, "send due texts and emails; settle unknown ones"),
]
