"""One text, a few tasks: when the ladder asks someone, it offers up to three open tasks that suit them, to pick one.

Issue 18's simulation (bench/README.md, "offers") found this the strongest
single rule: a "no" to a task is mostly "not that day, not that time", so a text
listing three suitable tasks gets a yes far more often than a text about one,
for the same one ask from the person's weekly budget. Across the grid it cut
asks per filled slot by about a quarter and raised coverage.

The ladder (outreach.ask) decides whom to ask; `offer_queue` chooses, words and
queues the one text (still an "ask": one from the person's weekly budget, checked
by the dispatcher like any ask) and records every other task it offered as an
"ask.offered" event, which CircleState loads so no later pass asks the same
person about it again. Choosing reads the pass's picture of the circle
(asking.CircleState) and costs no query.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import render_template

from coordinator.clock import now
from coordinator.models.circles import Membership
from coordinator.models.needs import Task
from coordinator.services.care.matching import suits
from coordinator.services.health.activity import activity_record
from coordinator.services.health.asking import CircleState
from coordinator.services.texting.digests import digest_line
from coordinator.services.texting.messages import notify
from coordinator.sms.segments import segments

OFFER_MAX = 3  # three short lines still fit one SMS segment (offer_fitted drops one when they don't)
OFFER_WITHIN = timedelta(days=10)  # further off, people cannot yet say whether the day works
OFFER_AFTER = timedelta(days=1)  # sooner, a text held overnight by quiet hours could list a task already begun


def offer_tasks(*, state: CircleState, member: Membership, task: Task) -> list[Task]:
    """`task` first, then up to two more of the pass's open tasks for `member`, soonest first.

    The others must suit them (kind of help, free time, who may see it), start
    between OFFER_AFTER and OFFER_WITHIN from now, still need someone, and be neither held by them nor
    asked of them before: an offer never repeats an ask.
    """
    moment = now()
    more = [
        other
        for other in state.tasks
        if other.id != task.id
        and other.claimed < other.capacity
        and moment + OFFER_AFTER < other.starts_at < moment + OFFER_WITHIN
        and (other.id, member.user_id) not in state.asked
        and (other.id, member.user_id) not in state.holders
        and suits(member, other)
    ]
    more.sort(key=lambda t: t.starts_at)
    return [task, *more[: OFFER_MAX - 1]]


def offer_context(tasks: list[Task]) -> dict:
    """What templates/sms/offer.txt says: the patient's first name and one short line per task with its code.

    Never a title or notes (people type medical details there), never an address:
    only the day, the time, the kind of help and the code, as in the weekly digest.
    """
    return {"first_name": tasks[0].need.circle.patient_first_name, "lines": [digest_line(t) for t in tasks]}


def offer_fitted(tasks: list[Task]) -> tuple[list[Task], str]:
    """The tasks the offer keeps and its body: the last lines dropped until it goes as one SMS segment.

    About 150 characters with three tasks and short codes; a long first name or
    codes in the thousands may leave two, and one task always stays (a single
    ask is better said by templates/sms/ask.txt).
    """
    kept = list(tasks)
    while True:
        body = render_template("sms/offer.txt", **offer_context(kept)).strip()
        if len(kept) == 1 or segments(body).count <= 1:
            return kept, body
        kept.pop()


def offer_marked(*, state: CircleState, member: Membership, tasks: list[Task]) -> None:
    """Count every offered task as asked of `member` in this pass, so the ladder asks nobody twice about one task."""
    for task in tasks:
        state.asked.add((task.id, member.user_id))


def offer_queue(*, state: CircleState, member: Membership, task: Task, context: dict, send_by: datetime) -> list[Task]:
    """Queue one asking text to `member` about `task` and up to two more; the tasks it offers ([] if not queued).

    One task alone is asked as before (templates/sms/ask.txt, with `context`, whose
    "tomorrow" the dispatcher rewrites for the moment it goes); several go in
    templates/sms/offer.txt, whose days are weekdays or dates and stay true. The
    text's task is `task`: its key is that ask's, so a person is asked about it once.
    """
    offered, _ = offer_fitted(offer_tasks(state=state, member=member, task=task))
    many = len(offered) > 1
    sent = notify(
        user=member.user,
        kind="ask",
        template="offer" if many else None,
        key=f"ask:{task.id}:{member.user_id}",
        context=offer_context(offered) if many else context,
        circle_id=task.circle_id,
        task_id=task.id,
        send_by=send_by,
    )
    if not sent:
        return []
    offer_marked(state=state, member=member, tasks=offered)
    for other in offered[1:]:
        state.last_ask[other.id] = now()
        activity_record(
            kind="ask.offered",
            circle_id=other.circle_id,
            subject_id=member.user_id,
            object_type="task",
            object_id=other.id,
            data={"with": task.id},
        )
    return offered
