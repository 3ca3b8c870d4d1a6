"""Accessibility checks for browser tests: axe-core findings, colour contrast, and a circle with everything in it.

axe-core comes from the pinned axe-playwright-python package (requirements-dev.txt), so the rules
are the published ones, not a hand-copied script. Only serious and critical findings fail a test:
those stop someone using a page (no name on a button, text too faint to read, a form field nobody
can identify); moderate ones are advice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from coordinator.cli_demo import demo_seed
from coordinator.extensions import db
from coordinator.models import Circle, Claim, Membership, Message, NeedDraft, Task, User
from coordinator.services.care.claims import claim_done, claim_make
from coordinator.services.health.reopen import reopen_request
from coordinator.services.people.accounts import password_reset_request
from coordinator.services.people.imports import import_stage
from coordinator.services.people.invitation_links import invitation_by_token, shared_link_create
from coordinator.services.people.invitations import contact_parse, invitation_send
from coordinator.services.people.joining import JoinInput, join_accept
from coordinator.services.people.registration import registration_start
from coordinator.services.people.sign_in_codes import code_request
from coordinator.services.updates.posting import update_post
from tests.factories import add_member, first_task, make_circle, make_need, make_user

FAILING_IMPACTS = ("serious", "critical")
# Every rule axe runs by default, plus WCAG 2.2's target size (24px; off by default in axe): people tap with a thumb.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
TARGETS_SHOWN = 3


@dataclass(frozen=True)
class Finding:
    rule: str
    impact: str
    page: str  # what was looked at, e.g. "coordinator phone /circles/1/tasks"
    targets: tuple[str, ...]
    help: str


def axe_findings(page, where: str) -> list[Finding]:
    """Run axe-core on the page as it is now; the serious and critical violations, one per rule."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        Finding(
            rule=violation["id"],
            impact=violation["impact"],
            page=where,
            targets=tuple(" ".join(map(str, node["target"])) for node in violation["nodes"]),
            help=violation["help"],
        )
        for violation in results.response["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


def reflow_findings(page, where: str) -> list[Finding]:
    """WCAG 1.4.10 (reflow): nothing wider than the screen, so nobody scrolls sideways to read a line."""
    wide = page.evaluate(
        """() => {
          const limit = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= limit) return [];
          const scrolls = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
            if (getComputedStyle(p).overflowX !== 'visible') return true; return false; };
          const wide = [...document.querySelectorAll('body *')].filter(el =>
            el.getClientRects().length && el.getBoundingClientRect().right > limit + 1 && !scrolls(el));
          // The outermost ones: the culprit, not everything inside it.
          const names = wide.filter(el => !wide.includes(el.parentElement)).map(el => el.tagName.toLowerCase() +
            (el.id ? '#' + el.id : '') + (el.classList.length ? '.' + [...el.classList].join('.') : ''));
          return names.length ? names : ['html'];
        }"""
    )
    if not wide:
        return []
    return [Finding("reflow", "serious", where, tuple(wide), "Nothing may be wider than the screen (WCAG 1.4.10)")]


def findings_report(findings: list[Finding]) -> str:
    """Readable: one block per rule, then each page it fails on with its first few elements."""
    by_rule: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_rule[(finding.rule, finding.impact, finding.help)].append(finding)
    lines = [f"{len(findings)} serious or critical accessibility violations:"]
    for (rule, impact, help_text), found in sorted(by_rule.items()):
        lines.append(f"\n{rule} ({impact}): {help_text}")
        for finding in found:
            shown = ", ".join(finding.targets[:TARGETS_SHOWN])
            more = f" (+{len(finding.targets) - TARGETS_SHOWN} more)" if len(finding.targets) > TARGETS_SHOWN else ""
            lines.append(f"  {finding.page}: {shown}{more}")
    return "\n".join(lines)


# Colour contrast (WCAG 2.x relative luminance), for what axe cannot see: focus rings and hover states.

_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")


def css_rgb(value: str) -> tuple[int, int, int] | None:
    """The first colour in a computed style value ("rgb(29, 35, 48) 0px 0px 0px 5px" included); None if clear."""
    if value.startswith("#"):
        hex_digits = value[1:]
        return tuple(int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    match = _RGB.search(value)
    if match is None:
        return None
    alpha = match.group(4)
    if alpha is not None and float(alpha.rstrip("%")) == 0:
        return None
    return int(float(match.group(1))), int(float(match.group(2))), int(float(match.group(3)))


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# The colour actually painted behind an element: the first ancestor with an opaque background.
BACKGROUND_JS = """
element => {
  for (let node = element; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(colour)) return colour;
  }
  return 'rgb(255, 255, 255)';
}
"""


# The circle every page is looked at in


@dataclass
class Seed:
    """Ids and secret links of the circle every page is looked at in."""

    circle_id: int = 0
    second_circle: int = 0
    open_task: int = 0
    taken_task: int = 0
    inner_task: int = 0
    done_task: int = 0
    series_need: int = 0
    removable_member: int = 0
    sam: int = 0
    sam_member: int = 0
    invitation: int = 0
    invitation_token: str = ""
    join_request: int = 0
    batch: int = 0
    reset_token: str = ""
    link_token: str = ""
    register_token: str = ""
    reopen_token: str = ""
    update: int = 0
    update_link_token: str = ""
    plan_day: int = 0
    plan_rule: int = 0
    plan_quiet: int = 0


def seed_circle(app) -> Seed:
    """The demo circle with one of everything a page can show, made through the services."""
    seed = Seed()
    with app.test_request_context():
        demo_seed()
        db.session.commit()
        circle = db.session.scalar(select(Circle).where(Circle.name == "Team Maria"))
        circle.names_visible = True  # so supporters have a People page too
        people = {u.email or u.name: u for u in db.session.scalars(select(User))}
        maria, daniel, sam = people["maria@example.org"], people["daniel@example.org"], people["sam@example.org"]
        members = {
            m.user_id: m for m in db.session.scalars(select(Membership).where(Membership.circle_id == circle.id))
        }
        # A second circle (the circles list), named with one long unbroken word: nothing may push the page wider.
        grandpa = make_circle(coordinator=daniel, name="Team " + "Grandpa" * 16)
        for name, phone in (("Ana Silva", "+12025550150"), ("Joe Brown", "+12025550151")):
            add_member(grandpa, make_user(name=name, phone=phone, email=None, password=None))  # to ask back

        # A task Sam did three days ago, waiting for the patient's thanks.
        with time_machine.travel(datetime.now(UTC) - timedelta(days=3), tick=False):
            done = first_task(make_need(circle, daniel, title="Ride to the pharmacy", address="12 Elm St"))
            claim_make(membership=members[sam.id], task_id=done.id)
            db.session.commit()
        claim_done(membership=members[sam.id], task_id=done.id)

        invited = invitation_send(
            circle=circle,
            inviter=daniel,
            contact=contact_parse(name="Rita Moreno", phone="202-555-0130", email="", region="US"),
            message="Maria would love your help again.",
        )
        shared = invitation_by_token(shared_link_create(circle=circle, inviter=daniel))
        nadia = join_accept(invitation=shared, data=JoinInput(name="Nadia Farah", phone="202-555-0131", consent=True))
        batch = import_stage(
            circle=circle,
            creator=daniel,
            filename="contacts.csv",
            data=b"name,phone\nJo Park,202-555-0140\nOld Landline,\nSam Again,202-555-0110\n",
            message="We're gathering again.",
        )
        db.session.add(NeedDraft(circle_id=circle.id, from_user_id=maria.id, text="Ride Tue 9", category="ride"))
        former = [m.id for m in members.values() if m.role == "supporter" and m.user_id != sam.id]
        reopen_request(actor=members[maria.id], member_ids=former[:2], message="Treatment starts again in May.")
        reopen_request(actor=members[daniel.id], member_ids=former[2:4], message="Could you help again?")
        reset = password_reset_request(email="maria@example.org")
        code_request(channel="email", contact="sam@example.org")
        registration_start(name="Rosa Diaz", email="rosa@example.org")
        db.session.commit()

        tasks = db.session.scalars(select(Task).where(Task.circle_id == circle.id).order_by(Task.starts_at)).all()
        claimed = set(db.session.scalars(select(Claim.task_id)))
        upcoming = [t for t in tasks if t.id != done.id]
        open_tasks = [t.id for t in upcoming if t.id not in claimed and t.need.visibility != "inner"]
        claim_make(membership=members[sam.id], task_id=open_tasks[0])  # Sam's own, to give back
        db.session.commit()
        seed.circle_id, seed.second_circle = circle.id, grandpa.id
        seed.taken_task, seed.open_task = open_tasks[:2]
        seed.inner_task = next(t.id for t in upcoming if t.need.visibility == "inner")
        seed.done_task = done.id
        seed.series_need = next(t.need_id for t in upcoming if t.need.recurring)
        seed.removable_member = members[people["Priya Natarajan"].id].id
        seed.sam, seed.sam_member = sam.id, members[sam.id].id
        seed.invitation, seed.invitation_token = invited.invitation.id, invited.token
        seed.join_request = nadia.request.id
        seed.batch = batch.id
        seed.reset_token = reset.token
        seed.link_token = _link(r"/sign-in/link/([\w-]+)", "sign_in_code")
        seed.register_token = _link(r"/register/finish/([\w.-]+)", "registration")
        seed.reopen_token = _link(r"/r/([\w-]+)", "reopen_ask")
        news = update_post(member=members[maria.id], body="Scan next week.", audience="circle", uploads=[])
        db.session.commit()
        seed.update = news.id
        seed.update_link_token = _link(r"/u/([\w-]+)", "update_news")
        seed.plan_day, seed.plan_rule, seed.plan_quiet = _plan(circle, maria)
    return seed


def _plan(circle, patient) -> tuple[int, int, int]:
    """A treatment plan, posted: its page, its day to move, a suggestion and quiet days to change."""
    from datetime import time

    from coordinator.clock import today_in
    from coordinator.services.care.plan_posting import plan_post
    from coordinator.services.care.plans import TreatmentInput, plan_create

    first = today_in(circle.timezone) + timedelta(days=3)
    plan = plan_create(
        circle=circle,
        author=patient,
        name="Second round",
        audience="managers",
        treatment=TreatmentInput(
            kind="repeating", label="Infusion", first_date=first, start_time=time(9), every_days=21, times=3
        ),
    )
    plan_post(plan=plan, circle=circle, author=patient)
    db.session.commit()
    return plan.treatments[0].days[1].id, plan.rules[0].id, plan.quiet_days[0].id


def _link(pattern: str, kind: str) -> str:
    body = db.session.scalar(select(Message.body).where(Message.kind == kind).order_by(Message.id))
    return re.search(pattern, body).group(1)
