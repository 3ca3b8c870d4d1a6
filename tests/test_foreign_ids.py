"""Every id in a circle page's address belongs to that circle, or the page is the 404 page.

An outside review saw a member action take a member id from another circle and
answer 302 with a message: nothing changed, but it told the caller the id was
real. Here a coordinator of one circle tries, in their own circle's addresses,
the ids of another circle's member, task, need, claim, draft, invitation, join
request and import, and ids that exist nowhere. Every route is found in the
app's url_map, so a route added tomorrow is walked too: each must answer the
same 404 page for both, GET and POST alike, and change nothing in the database.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models import Base, Claim, JoinRequest, NeedDraft
from coordinator.models.invitations import InvitationStatus
from coordinator.models.updates import Update, UpdateNote, UpdatePhoto
from coordinator.services.care.claims import claim_make
from coordinator.services.people.imports import import_stage
from coordinator.services.people.invitations import contact_parse, invitation_send
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.web import WebClient

NOWHERE = 987654  # an id no row has
FIXED = {"role": "coordinator", "decision": "approve", "size": "phone", "choice": "hide"}  # the non-id parts of a path
IGNORED_TABLES = {"user_sessions", "users"}  # signing in touches these (last seen), nothing else may change
CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')


def circle_with_one_of_everything(prefix: str):
    """A circle with a coordinator, a supporter holding a task, a draft, an invitation, a join request and an import."""
    coordinator, patient = make_user(name=f"{prefix} Coordinator"), make_user(name=f"{prefix} Patient")
    circle = make_circle(patient=patient, coordinator=coordinator, name=f"Team {prefix}")
    supporter = make_user(name=f"{prefix} Supporter")
    member = add_member(circle, supporter)
    task = first_task(make_need(circle, coordinator, title=f"{prefix} ride", capacity=2))
    claim_make(membership=member, task_id=task.id)
    draft = NeedDraft(circle_id=circle.id, from_user_id=patient.id, text="Ride Tue 9", category="ride")
    contact = contact_parse(
        name=f"{prefix} Friend", phone="", email=f"{prefix.lower()}.friend@example.org", region="US"
    )
    invitation = invitation_send(circle=circle, inviter=coordinator, contact=contact, message="").invitation
    joiner = make_user(name=f"{prefix} Joiner")
    join = JoinRequest(circle_id=circle.id, invitation_id=invitation.id, user_id=joiner.id)
    batch = import_stage(
        circle=circle,
        creator=coordinator,
        filename="people.csv",
        data=b"name,email\nRita,rita@example.org\n",
        message="",
    )
    update = Update(circle_id=circle.id, author_id=patient.id, body=f"{prefix} news", published_at=now())
    db.session.add_all([draft, join, update])
    db.session.flush()
    photo = UpdatePhoto(update_id=update.id, circle_id=circle.id, token=f"{prefix:x<24}"[:24], width=10, height=10)
    note = UpdateNote(circle_id=circle.id, update_id=update.id, author_id=supporter.id, body="Thinking of you")
    db.session.add_all([photo, note])
    db.session.commit()
    assert invitation.status == InvitationStatus.PENDING
    from datetime import time  # a treatment plan: its days and suggestions have ids too

    from coordinator.services.care.plans import TreatmentInput, plan_create

    scan = TreatmentInput(kind="oneoff", label="Scan", first_date=task.local_date, start_time=time(8))
    plan = plan_create(circle=circle, author=patient, name=f"{prefix} plan", audience="managers", treatment=scan)
    db.session.commit()
    claim = db.session.scalar(select(Claim).where(Claim.task_id == task.id))
    ids = {
        "member_id": member.id,
        "task_id": task.id,
        "need_id": task.need_id,
        "user_id": supporter.id,
        "claim_id": claim.id,
        "draft_id": draft.id,
        "invitation_id": invitation.id,
        "request_id": join.id,
        "batch_id": batch.id,
        "day_id": plan.treatments[0].days[0].id,
        "rule_id": plan.rules[0].id,
        "quiet_id": plan.quiet_days[0].id,
        "update_id": update.id,
        "photo_id": photo.id,
        "note_id": note.id,
    }
    return circle, coordinator, ids


def id_routes(app) -> list:
    """Rules whose path takes an id besides the circle's."""
    found = []
    for rule in app.url_map.iter_rules():
        ids = [name for name in rule.arguments if name != "circle_id" and f"<int:{name}>" in rule.rule]
        if "circle_id" in rule.arguments and ids:
            found.append((rule, ids))
    return found


def path(rule, values: dict) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def snapshot() -> dict:
    """Every row of every table a foreign id could touch."""
    db.session.expire_all()
    return {
        table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
        for table in Base.metadata.sorted_tables
        if table.name not in IGNORED_TABLES
    }


def test_another_circles_ids_and_missing_ids_answer_the_same_404_and_change_nothing(app, make_app):
    client = WebClient(make_app(WTF_CSRF_ENABLED=False).test_client())
    mine, me, own = circle_with_one_of_everything("Lopez")
    _, _, theirs = circle_with_one_of_everything("Okafor")
    client.sign_in(me.email, PASSWORD)
    routes = id_routes(app)
    assert {name for _, names in routes for name in names} == set(own), "a new kind of id: give the circles one"
    before, wrong = snapshot(), []
    for rule, names in routes:
        for name in names:
            base = {"circle_id": mine.id, **FIXED, **own}
            foreign, missing = path(rule, {**base, name: theirs[name]}), path(rule, {**base, name: NOWHERE})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                answers = [client.raw.open(url, method=method, data={}) for url in (foreign, missing)]
                codes = [answer.status_code for answer in answers]
                pages = [CSRF.sub("", answer.get_data(as_text=True)) for answer in answers]
                if codes != [404, 404] or pages[0] != pages[1]:
                    wrong.append(f"{method} {rule.rule} with {name}: {codes}")
    assert wrong == [], "\n".join(wrong)
    assert snapshot() == before
