"""The ask budget's rows of the README's Configuration table, each shown changing what a supporter's phone gets
(tests/test_settings_rows.py runs these with the other rows' checks; the budget itself: tests/test_ask_budget.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models import Message
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import message_queue
from coordinator.sms import sms_gateway
from tests.factories import add_member, make_circle, make_user

NOON_NY = datetime(2026, 6, 2, 16, tzinfo=UTC)


def _from_env(**env: str) -> dict:
    from tests.test_settings_rows import from_env

    return from_env(**env)


def two_asking_texts(make_app, setting: str, value: str, second_kind: str, apart: timedelta) -> list[str]:
    """An ask at noon and a `second_kind` `apart` later to one supporter; what became of each."""
    app = make_app(**_from_env(**{setting: value}))
    with app.app_context():
        sam = make_user(phone="+12025550110", email=None)
        circle = make_circle(coordinator=make_user(phone="+12025550101"))
        add_member(circle, sam)
        for kind, moment in (("ask", NOON_NY), (second_kind, NOON_NY + apart)):
            with time_machine.travel(moment, tick=False):
                message_queue(
                    channel="sms",
                    to_address=sam.phone,
                    kind=kind,
                    key=f"{kind}-{moment:%d%H}",
                    body="?",
                    user_id=sam.id,
                    circle_id=circle.id,
                )
                db.session.commit()
                dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
        db.session.expire_all()
        return list(db.session.scalars(select(Message.status).order_by(Message.id)))


def check_ask_min_gap_hours(make_app, **_):
    # Two asks two hours apart: the default 20-hour gap would cancel the second.
    assert two_asking_texts(make_app, "ASK_MIN_GAP_HOURS", "1", "ask", timedelta(hours=2)) == ["sent", "sent"]


def check_reengage_quiet_days(make_app, **_):
    # A re-engagement a day after an ask: the default three quiet days would cancel it.
    assert two_asking_texts(make_app, "REENGAGE_QUIET_DAYS", "0.5", "reengage", timedelta(days=1)) == [
        "sent",
        "sent",
    ]


ASK_ROWS = {
    "ASK_MIN_GAP_HOURS": check_ask_min_gap_hours,
    "REENGAGE_QUIET_DAYS": check_reengage_quiet_days,
}
