"""How far asking has got for one open task: what the coordinator's page (templates/outreach/task.html) shows.

An alert links here. The coordinator sees how many people were texted about the
task (alone, or offered with another: services/health/offers.py), how many
"ask everyone" would still reach, who is spared for carrying their fair share,
and the one person most likely to say yes, worth a call (nudges.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models.activity import Event
from coordinator.models.circles import Circle
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.needs import Task
from coordinator.services.health.asking import CircleState
from coordinator.services.health.nudges import Nudge, nudge_pick, nudge_why
from coordinator.services.health.outreach import must_not_fail


@dataclass(frozen=True)
class AskPicture:
    """How far asking has got for one open task, for the coordinator deciding what to do next."""

    asked: int  # people texted about it so far (on its own, or offered with another task)
    left: int  # people "ask everyone" would text now
    resting: int  # people who could be asked but already carry their fair share
    others: bool = False  # "ask everyone" would now reach those who ticked other kinds of help (asking.everyone_left)
    later: int = 0  # those it would reach after everyone who offers this help
    nudge: Nudge | None = None  # the one person most likely to say yes, worth a call (nudges.py)

    @property
    def nudge_why(self) -> str:
        """Why them, in words: "has said yes to this kind of help 3 times"."""
        return nudge_why(self.nudge) if self.nudge else ""


def ask_picture(*, task: Task, circle: Circle) -> AskPicture:
    state = CircleState.load_for(circle, [task])
    everyone = state.everyone_left(task, stretch=must_not_fail(task))  # as "ask everyone" will
    asked = db.session.scalar(
        select(func.count()).where(
            Message.kind == "ask", Message.task_id == task.id, Message.status != MessageStatus.CANCELLED
        )
    ) + db.session.scalar(
        select(func.count()).where(
            Event.circle_id == circle.id,
            Event.kind == "ask.offered",
            Event.object_type == "task",
            Event.object_id == task.id,
        )
    )
    return AskPicture(
        asked=asked,
        left=len(everyone.left),
        resting=len(everyone.resting),
        others=everyone.others,
        later=everyone.later,
        nudge=nudge_pick(state=state, task=task),
    )
