"""Scheduled jobs, as data: a stable id, how often, the one service it calls, and whether to commit after.

The runner (jobs/runner.py) gives each job an app context and calls `Job.run`,
which calls the service and commits once. Delivery is the exception: it commits
per message as it goes, by design (see services/texting/dispatch.py), so its
job does not commit again. The ids are a contract: the README, `scheduler tick`'s
output and the tests name them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from config import BaseConfig
from coordinator.extensions import db
from coordinator.services.care.needs import needs_extend
from coordinator.services.health.outreach import outreach_run
from coordinator.services.health.patient_checkins import patient_checkins_send
from coordinator.services.people.invitation_links import invitations_expire
from coordinator.services.people.purging import circles_purge
from coordinator.services.people.retention import people_retention_purge
from coordinator.services.texting.digests import digests_send
from coordinator.services.texting.dispatch import dispatch_due
from coordinator.services.texting.reminders import reminders_plan
from coordinator.services.texting.retention import texting_retention_purge
from coordinator.services.updates.delivery import weekly_news_send
from coordinator.services.updates.notes import notes_summaries_send
from coordinator.services.updates.upkeep import photos_sweep


@dataclass(frozen=True)
class Job:
    id: str
    seconds: int
    service: Callable[[], object]
    about: str
    commits: bool = True
    every_setting: str | None = None  # a setting (default in config.py) that can change `seconds` on a host

    def run(self) -> object:
        """Call the service; commit what it did, unless it commits as it goes."""
        outcome = self.service()
        if self.commits:
            db.session.commit()
        return outcome


JOBS = [  # in the order `scheduler tick` runs them: plan first, deliver last
    Job("extend_needs", 6 * 3600, needs_extend, "keep recurring needs generated eight weeks ahead"),
    Job("expire_invitations", 3600, invitations_expire, "mark invitations past their date as expired"),
    Job("purge_circles", 3600, circles_purge, "delete closed circles whose grace period is over, every row"),
    Job("plan_reminders", 300, reminders_plan, "check-ins and reminders for tasks in the next two days"),
    Job("send_digests", 1800, digests_send, "the weekly digest, on Sunday afternoon in each person's zone"),
    Job("send_update_news", 1800, weekly_news_send, "the week's updates, for those who chose weekly and got no digest"),
    Job("send_notes_summaries", 1800, notes_summaries_send, "new notes for the patient and coordinators, once a day"),
    Job("outreach", 900, outreach_run, "ask the right few, escalate, alert coordinators, re-engage the drifting"),
    Job("patient_checkins", 1800, patient_checkins_send, "the patient's weekly check-in, Monday morning in their zone"),
    Job(
        "retention_texts",
        BaseConfig.RETENTION_EVERY_SECONDS,
        partial(texting_retention_purge, batch_done=db.session.commit),  # commits each batch of 1000 as it goes
        "blank old message bodies; delete old texts from members and from unknown numbers",
        every_setting="RETENTION_EVERY_SECONDS",
    ),
    Job(
        "retention_people",
        BaseConfig.RETENTION_EVERY_SECONDS,
        partial(people_retention_purge, batch_done=db.session.commit),
        "delete old sign-in codes, reset links, sessions, finished invitations and contact lists",
        every_setting="RETENTION_EVERY_SECONDS",
    ),
    Job("sweep_photos", 6 * 3600, photos_sweep, "remove photo files no update names (a post that never committed)"),
    Job(
        "deliver",
        BaseConfig.DELIVER_EVERY_SECONDS,
        dispatch_due,
        "send due texts and emails; settle unknown ones",
        commits=False,
        every_setting="DELIVER_EVERY_SECONDS",
    ),
]
JOBS_BY_ID = {job.id: job for job in JOBS}
