"""One outreach pass's picture of a circle: who may be asked about which task, and what the pass did.

Loaded once per circle per pass in a fixed number of queries (the ask budget,
asks still out, the other tasks those texts offered, who holds what, who answered before, everyone's load), then
kept up to date as the pass asks people, so the ladder (outreach.py) and
re-engagement (reengage.py) never text one person twice in a pass or take
anyone past their fair share.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coordinator.clock import now
from coordinator.extensions import db
from coordinator.models.activity import Event
from coordinator.models.circles import COORDINATOR, SUPPORTER, Circle, Membership, MembershipStatus
from coordinator.models.claims import Claim, ClaimStatus
from coordinator.models.messages import Message, MessageStatus
from coordinator.models.needs import Task
from coordinator.services.care.matching import may_see, offers, suits
from coordinator.services.health.load import Load, answered_before, circle_load
from coordinator.services.health.settings import HealthSettings, health_settings
from coordinator.services.texting.ask_budget import CircleBudget

PENDING_FOR = timedelta(days=2)  # an ask this recent may still get a yes, so it counts toward the cap


@dataclass
class Outcome:
    """What one pass did (`flask scheduler tick` prints it; tests and the bench read it)."""

    asked: int = 0
    alerts: int = 0
    backups: int = 0
    reengaged: int = 0
    archived: int = 0
    by_task: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class EveryoneLeft:
    left: list[Membership]  # whom "ask everyone" texts
    resting: list[Membership]  # spared: they already carry their fair share
    others: bool  # these are the second wave: people who ticked other kinds of help
    later: int  # in the first wave: how many who ticked other kinds the second wave would reach


@dataclass
class CircleState:
    """What the ladder needs to know about one circle, loaded in a fixed number of queries."""

    circle: Circle
    settings: HealthSettings
    tasks: list[Task]
    supporters: list[Membership]
    coordinators: list[Membership]
    load: Load
    answered: set[int]
    budget: CircleBudget  # the week's asks and the spacing (services/texting/ask_budget.py)
    asked: set[tuple[int, int]]
    pending: Counter  # asks about still-open tasks, sent lately and not yet answered
    holders: set[tuple[int, int]]
    last_ask: dict[int, datetime]
    asked_now: set[int] = field(default_factory=set)
    history: dict | None = None  # each person's yeses and asks by kind of help, once asked for (nudges.py)

    @classmethod
    def load_for(cls, circle: Circle, tasks: list[Task]) -> CircleState:
        settings = health_settings(circle)
        members = list(
            db.session.scalars(
                select(Membership)
                .options(joinedload(Membership.user))
                .where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.ACTIVE)
                .order_by(Membership.created_at, Membership.id)
            )
        )
        task_ids = [t.id for t in tasks]
        asks: list = []
        offered: list = []
        holders: set = set()
        if task_ids:
            asks = db.session.execute(
                select(Message.task_id, Message.user_id, Message.created_at, Message.status).where(
                    Message.kind == "ask", Message.task_id.in_(task_ids)
                )
            ).all()
            offered = db.session.execute(  # offered in a text about another task (services/health/offers.py)
                select(Event.object_id, Event.subject_id, Event.occurred_at).where(
                    Event.circle_id == circle.id,
                    Event.kind == "ask.offered",
                    Event.object_type == "task",
                    Event.object_id.in_(task_ids),
                )
            ).all()
            holders = set(
                db.session.execute(
                    select(Claim.task_id, Claim.user_id).where(
                        Claim.task_id.in_(task_ids), Claim.status != ClaimStatus.RELEASED
                    )
                ).all()
            )
        last_ask: dict[int, datetime] = {}
        for task_id, _, at, *_ in (*asks, *offered):
            last_ask[task_id] = max(at, last_ask.get(task_id, at))
        lately = now() - PENDING_FOR
        return cls(
            circle=circle,
            settings=settings,
            tasks=tasks,
            supporters=[m for m in members if m.role == SUPPORTER],
            coordinators=[m for m in members if m.role == COORDINATOR],
            load=circle_load(circle_id=circle.id, factor=settings.fair_share_factor),
            answered=answered_before(circle_id=circle.id),
            budget=CircleBudget.load_for(circle.id, [m.user_id for m in members]),
            asked={(task_id, user_id) for task_id, user_id, *_ in (*asks, *offered)},
            pending=Counter(
                user_id
                for task_id, user_id, at, status in asks
                if at > lately and status != MessageStatus.CANCELLED and (task_id, user_id) not in holders
            ),
            holders=holders,
            last_ask=last_ask,
        )

    def candidates(self, task: Task, *, limit_to: int | None, stretch: bool = False) -> list[Membership]:
        """Who may be asked about `task`, best first: those with a place to spare under their fair share before
        those at their last one, then those who answered before, the least lately asked, the least loaded.

        `stretch`: a ride that must not fail (outreach.must_not_fail) on its wider rung may also go to someone who
        already carries exactly their fair share: one over it for a ride to treatment beats nobody coming.
        """
        eligible = [
            m
            for m in self.supporters
            if m.user.can_text
            and (task.id, m.user_id) not in self.asked
            and (task.id, m.user_id) not in self.holders
            and self.budget.may_ask(m)  # within their asks this week, and not too soon after the last
            and self.has_room(m.user_id, stretch=stretch)  # yes to all stays within the cap (or one over it)
            and m.user_id not in self.asked_now  # one ask per person per pass: one clear message, not three
            and suits(m, task)
        ]
        epoch = datetime.min.replace(tzinfo=now().tzinfo)
        eligible.sort(
            key=lambda m: (
                self.at_last_place(m.user_id),
                m.user_id not in self.answered,
                m.last_asked_at or epoch,
                self.load.counts[m.user_id],
                m.id,
            )
        )
        return eligible if limit_to is None else eligible[:limit_to]

    def at_last_place(self, user_id: int) -> bool:
        """Whether a yes would bring them to their whole fair share (or past it, on a stretch).

        Such a person is asked after everyone who would keep a place to spare. A yes can come hours after the ask,
        after they took something else or the weeks the share is counted over moved on; asked first, those with
        room no longer end up past it that way, and the load spreads wider (bench/README.md, the `room` rule:
        in the simulation it also covered more for fewer asks).
        """
        return not self.load.room_for(user_id, pending=self.pending[user_id] + 1)

    def has_room(self, user_id: int, *, stretch: bool = False) -> bool:
        """Whether a yes to one more ask, and to every ask still out to them, keeps them within their fair share
        (`stretch`: within one over it)."""
        return self.load.room_for(user_id, pending=self.pending[user_id] - (1 if stretch else 0))

    def everyone_left(self, task: Task, *, stretch: bool = False) -> EveryoneLeft:
        """Who "ask everyone" would text now, and whom it spares because they already carry their fair share.

        Everyone reachable who has not been asked and may see the task (an inner-circle need never goes to the
        rest of the circle), within their asks this week and the spacing (a coordinator's tap draws from the same
        budget as the ladder: the dispatcher would refuse the text anyway). In two waves: first those who offer
        this kind of help or named none; once none of them can be asked, those who ticked other kinds. A text about
        help someone said they don't give was a yes one time in fifty in the simulation, and kept to the first
        wave "ask everyone" cost 0.2 fewer asks per filled slot there; but in the real walk, whose people answer
        any kind alike, stopping at the first wave left 3 points more slots bare (bench/README.md). So a
        coordinator's last resort still reaches everyone, the people who said "meals" last.
        """
        reachable = [
            m
            for m in self.supporters
            if m.user.can_text
            and may_see(m, task.need)
            and self.budget.may_ask(m)
            and (task.id, m.user_id) not in self.asked
            and (task.id, m.user_id) not in self.holders
        ]
        first = [m for m in reachable if offers(m, task.need.category)]
        second = [m for m in reachable if m not in first]
        resting = [m for m in reachable if not self.has_room(m.user_id, stretch=stretch)]
        left = [m for m in first if m not in resting]
        others = [m for m in second if m not in resting]  # those past their share are counted once, as resting
        if left:
            return EveryoneLeft(left=left, resting=resting, others=False, later=len(others))
        return EveryoneLeft(left=others, resting=resting, others=True, later=0)
