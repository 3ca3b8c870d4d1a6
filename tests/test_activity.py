"""The activity record only ever grows: the database refuses edits and deletions."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError

from coordinator.extensions import db
from coordinator.models import Event
from coordinator.services.health.activity import activity_record
from tests.factories import make_circle, make_user


def test_events_are_recorded_with_who_what_and_when(app):
    user = make_user()
    circle = make_circle(patient=user)
    activity_record(
        kind="member.joined", circle_id=circle.id, actor_id=user.id, subject_id=user.id, data={"role": "patient"}
    )
    db.session.commit()
    event = db.session.scalar(select(Event))
    assert (event.kind, event.circle_id, event.actor_id, event.subject_id, event.data) == (
        "member.joined",
        circle.id,
        user.id,
        user.id,
        {"role": "patient"},
    )
    assert event.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    "change",
    [
        lambda: update(Event).values(kind="claim.made"),
        lambda: delete(Event),
    ],
    ids=["update", "delete"],
)
def test_events_cannot_be_changed_or_deleted(app, change):
    user = make_user()
    activity_record(kind="account.registered", actor_id=user.id, subject_id=user.id)
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(change())
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(Event.kind)) == "account.registered"


def test_an_unknown_kind_is_a_programming_error(app):
    with pytest.raises(ValueError, match="Unknown activity kind"):
        activity_record(kind="claim.maed")
