"""What each role's circle navigation offers: a few primary places, the rest under "More".

A phone screen fits five tabs, so every role gets at most four places plus
"More", chosen for what that role does most: supporters look for ways to help
and their own tasks; the patient and coordinators ask for help and look after
the people. Nobody is shown a place that holds nothing for them (a supporter
sees "People" only when the patient lets supporters see each other's names;
the patient, who is never asked to take her own tasks, has no "My tasks").
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

from coordinator.models.circles import PATIENT, Membership

PRIMARY_MAX = 4  # plus "More": five tabs across a 390px screen


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    # Other pages that belong to this place (the tab stays lit on them).
    also: tuple[str, ...] = ()

    def url(self, circle_id: int) -> str:
        return url_for(self.endpoint, circle_id=circle_id)

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint or request.endpoint in self.also


HOME = NavItem("Home", "circles.show")
TASKS = NavItem("Tasks", "tasks.index", also=("tasks.show", "tasks.edit", "outreach.task", "needs.show", "needs.edit"))
WAYS = NavItem("Ways to help", "tasks.index", also=("tasks.show", "outreach.task"))
MINE = NavItem("My tasks", "tasks.mine")
CALENDAR = NavItem("Calendar", "tasks.week")
ASK = NavItem("Ask for help", "needs.new", also=("drafts.index",))
PEOPLE = NavItem(
    "People",
    "members.index",
    also=(
        "invitations.index",
        "invitations.revoke",
        "imports.upload",
        "imports.show",
        "reopen.start",
        "reopen.review",
        "members.remove",
        "members.role",
        "circles.inner_circle",
    ),
)
MESSAGES = NavItem("Messages", "sms.log")
UPDATES = NavItem(
    "Updates",
    "updates.index",
    also=("updates.show", "updates.new", "updates.edit", "updates.delete", "updates.notes", "updates.settings"),
)
PLAN = NavItem(
    "Treatment plan",
    "plans.show",
    also=(
        "plans.new",
        "plans.add_treatment",
        "plans.rule",
        "plans.move",
        "plans.cancel",
        "plans.again",
        "plans.quiet",
        "plans.quiet_new",
        "plans.quiet_remove",
    ),
)
HEALTH = NavItem("How it's going", "health.index", also=("health.settings",))
PREFERENCES = NavItem("My preferences", "members.preferences")
PHONE_CALENDAR = NavItem("Add to my phone's calendar", "feeds.show")
CLOSE = NavItem("Close this circle", "leaving.close")  # the patient's; leaving is on My preferences


def circle_nav(membership: Membership) -> tuple[list[NavItem], list[NavItem]]:
    """(primary, more) for this member; primary has at most PRIMARY_MAX places."""
    if membership.role == PATIENT:
        primary = [HOME, TASKS, ASK, PEOPLE]
        more = [UPDATES, CALENDAR, PLAN, HEALTH, MESSAGES, PREFERENCES, PHONE_CALENDAR]
        if membership.circle.closed_at is None:
            more.append(CLOSE)
    elif membership.manages:
        primary = [HOME, TASKS, ASK, PEOPLE]
        more = [UPDATES, MINE, CALENDAR, PLAN, HEALTH, MESSAGES, PREFERENCES, PHONE_CALENDAR]
    else:
        primary = [HOME, WAYS, MINE, CALENDAR]
        more = [UPDATES, PREFERENCES, PHONE_CALENDAR]
        if membership.circle.names_visible:
            more.insert(0, PEOPLE)
    assert len(primary) <= PRIMARY_MAX
    return primary, more


def more_is_current(more: list[NavItem]) -> bool:
    return any(item.current for item in more)
