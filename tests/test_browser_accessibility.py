"""Accessibility is checked, not hoped: axe-core on every page kind, for every role, on a phone and a desktop.

A realistic circle (the demo circle, plus a pending join request, an invitation, an import with a
rejected row, a draft from the patient, a finished task to thank, a reopening) is served live; each
role (signed out, patient, coordinator, supporter) visits every page it can reach at 390x844 (a
phone, touch) and 1280x900, plus failed form submits and the open "More" menu, and axe-core (the
pinned axe-playwright-python package, with WCAG 2.2's target-size rule switched on) runs on each;
on the phone nothing may be wider than the screen. Any serious or critical finding fails the test,
listed by rule, page and element. The pages come from the app's url_map: every GET endpoint that
renders HTML must be visited (PAGES below says by whom), so a new page cannot escape the check;
the few that are not pages are listed in NOT_PAGES with the reason.

Run it alone (about two and a half minutes per database on two busy cores; the crawl is two of them):

    .venv/bin/python -m pytest -q -p no:cacheprovider -m browser tests/test_browser_accessibility.py
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m pytest -q \
        -p no:cacheprovider -m browser tests/test_browser_accessibility.py

Add `-k every_page` for the crawl alone; when a new page appears, the failure says which endpoint to add to PAGES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from flask import url_for

from coordinator.cli_demo import DEMO_PASSWORD
from tests.a11y import (
    BACKGROUND_JS,
    Seed,
    axe_findings,
    contrast,
    css_rgb,
    findings_report,
    reflow_findings,
    seed_circle,
)
from tests.browser import browser_context, chromium_browser, sign_in_by_form
from tests.live import LiveServer

pytestmark = pytest.mark.browser

ANON, PATIENT, COORDINATOR, SUPPORTER = "signed out", "patient", "coordinator", "supporter"
SIGN_INS = {PATIENT: "maria@example.org", COORDINATOR: "daniel@example.org", SUPPORTER: "sam@example.org"}
MANAGERS = (PATIENT, COORDINATOR)
MEMBERS = (PATIENT, COORDINATOR, SUPPORTER)

# GET endpoints that are not pages a person reads, so axe has nothing to check.
NOT_PAGES = {
    "static",  # CSS, JavaScript
    "home.healthz",  # JSON for load balancers
    "home.readyz",  # JSON for load balancers
    "metrics.metrics",  # Prometheus text
    "feeds.ics",  # a calendar file for phones' calendar apps
    "updates.photo",  # a JPEG
}


@dataclass(frozen=True)
class Page:
    """One page to look at: who looks, with which URL values (from the seed unless given), what status."""

    endpoint: str
    roles: tuple[str, ...]
    values: dict = field(default_factory=dict)  # seed attribute names or literals, per URL argument
    query: dict = field(default_factory=dict)
    status: int = 200
    label: str = ""


PAGES = [
    # Signed out
    Page("home.index", (ANON,)),
    Page("accounts.sign_in", (ANON,)),
    Page("accounts.register", (ANON,)),
    Page("accounts.register_sent", (ANON,)),
    Page("accounts.register_finish", (ANON,), {"token": "register_token"}),
    Page("accounts.register_finish", (ANON,), {"token": "=made-up-token"}, status=410, label="expired"),
    Page("accounts.forgot_password", (ANON,)),
    Page("accounts.reset_password", (ANON,), {"token": "reset_token"}),
    Page("accounts.reset_password", (ANON,), {"token": "=used-or-made-up"}, status=410, label="expired"),
    Page("codes.request_code", (ANON,)),
    Page("codes.verify", (ANON,)),  # after asking for a code (prepare_code)
    Page("codes.link", (ANON,), {"token": "link_token"}),
    Page("invitations.open_link", (ANON,), {"token": "invitation_token"}),
    Page("invitations.open_link", (ANON,), {"token": "=made-up-token"}, status=410, label="expired"),
    Page("invitations.join", (ANON,)),  # after "Sign in first" on the invitation (prepare_join)
    Page("reopen.answer", (ANON,), {"token": "reopen_token"}),
    Page("updates.link", (ANON,), {"token": "update_link_token"}),
    Page("updates.link", (ANON,), {"token": "=made-up-token"}, status=410, label="expired"),
    # Anyone signed in
    Page("accounts.account", MEMBERS),
    Page("exports.account", MEMBERS),
    Page("circles.index", (COORDINATOR,)),  # Daniel helps two circles, so he gets the list
    Page("circles.new", (COORDINATOR,)),
    # Members of the circle
    Page("circles.show", MEMBERS),
    Page("tasks.index", MEMBERS),
    Page("tasks.week", MEMBERS),
    Page("tasks.mine", (COORDINATOR, SUPPORTER)),
    Page("tasks.show", MEMBERS, {"task_id": "open_task"}, label="open"),
    Page("tasks.show", MEMBERS, {"task_id": "taken_task"}, label="taken by Sam"),
    Page("tasks.show", (COORDINATOR,), {"task_id": "inner_task"}, label="inner circle"),
    Page("tasks.show", (PATIENT, COORDINATOR), {"task_id": "done_task"}, label="done"),
    Page("members.index", MEMBERS),
    Page("members.preferences", MEMBERS),
    Page("feeds.show", MEMBERS),
    Page("updates.index", MEMBERS),
    Page("updates.show", MEMBERS, {"update_id": "update"}),
    # The patient and coordinators
    Page("needs.new", MANAGERS, label="choose a kind"),
    Page("needs.new", (COORDINATOR,), query={"category": "ride"}, label="ride"),
    Page("needs.new", (PATIENT,), query={"category": "meal"}, label="meal"),
    Page("needs.show", MANAGERS, {"need_id": "series_need"}),
    Page("needs.edit", (COORDINATOR,), {"need_id": "series_need"}),
    Page("tasks.edit", (COORDINATOR,), {"task_id": "open_task"}),
    Page("outreach.task", (COORDINATOR,), {"task_id": "open_task"}),
    Page("invitations.index", MANAGERS),
    Page("imports.upload", (COORDINATOR,)),
    Page("imports.show", (COORDINATOR,), {"batch_id": "batch"}),
    Page("sms.log", (COORDINATOR,)),
    Page("health.index", MANAGERS),
    Page("health.settings", (COORDINATOR,)),
    Page("security_record.index", MANAGERS),
    Page("exports.circle", MANAGERS),
    Page("drafts.index", (COORDINATOR,)),
    Page("updates.new", MANAGERS),
    Page("updates.edit", (PATIENT,), {"update_id": "update"}),
    Page("updates.notes", MANAGERS),
    Page("updates.settings", (PATIENT,)),
    Page("reopen.start", (COORDINATOR,), label="waiting for the patient"),
    Page("reopen.start", (COORDINATOR,), {"circle_id": "second_circle"}, label="choose who to ask"),
    Page("reopen.review", (PATIENT,)),
    Page("plans.show", MANAGERS),
    Page("plans.new", (PATIENT,)),
    Page("plans.add_treatment", (COORDINATOR,)),
    Page("plans.rule", (PATIENT,), {"rule_id": "plan_rule"}),
    Page("plans.quiet_new", (PATIENT,)),
    Page("plans.quiet", (COORDINATOR,), {"quiet_id": "plan_quiet"}),
    Page("plans.move", (COORDINATOR,), {"day_id": "plan_day"}),
    Page("plans.again", (PATIENT,)),
    # Confirmation pages (asked once before a change): visited when their route answers GET.
    Page("circles.inner_circle", (COORDINATOR,), {"member_id": "removable_member"}),
    Page("members.role", (PATIENT,), {"member_id": "sam_member", "role": "=coordinator"}),  # only she may
    Page("members.remove", (COORDINATOR,), {"member_id": "removable_member"}),
    Page("needs.cancel", (COORDINATOR,), {"need_id": "series_need"}),
    Page("tasks.cancel", (COORDINATOR,), {"task_id": "open_task"}),
    Page("claims.release", (SUPPORTER,), {"task_id": "taken_task"}),
    Page("claims.unassign", (COORDINATOR,), {"task_id": "taken_task", "user_id": "sam"}),
    Page("invitations.revoke", (COORDINATOR,), {"invitation_id": "invitation"}),
    Page("invitations.decide", (COORDINATOR,), {"request_id": "join_request", "decision": "=decline"}),
    Page("updates.delete", (PATIENT,), {"update_id": "update"}),
    Page("plans.cancel", (COORDINATOR,), {"day_id": "plan_day"}),
    Page("plans.quiet_remove", (PATIENT,), {"quiet_id": "plan_quiet"}),
    Page("leaving.leave", (SUPPORTER,)),
    Page("leaving.close", (PATIENT,)),
    Page("leaving.delete_account", (SUPPORTER,)),
]


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": False}  # a hundred sign-ins and links from one address in a minute


@pytest.mark.timeout(600)  # the crawl takes about 100 s per database on two busy cores; the default is 120 s
def test_every_page_for_every_role_at_both_widths_has_no_serious_accessibility_violation(app):
    seed = seed_circle(app)
    visitable = [p for p in PAGES if "GET" in methods_of(app, p.endpoint)]
    findings, problems, visited = [], [], set()
    with LiveServer(app) as server, chromium_browser() as browser:
        for role in (ANON, PATIENT, COORDINATOR, SUPPORTER):
            for phone in (True, False):
                context = browser_context(browser, phone=phone)
                page = context.new_page()
                look = Looker(page, server.url, role, phone, findings, problems)
                if role != ANON:
                    sign_in_by_form(page, server.url, SIGN_INS[role], DEMO_PASSWORD)
                for target in (p for p in visitable if role in p.roles):
                    PREPARE.get(target.endpoint, lambda *_: None)(page, server.url, seed)
                    if look.at(url_of(app, target, seed), status=target.status, label=target.label):
                        visited.add(target.endpoint)
                for scenario in SCENARIOS.get(role, ()):
                    scenario(look, seed)
                context.close()

    unvisited = sorted(html_get_endpoints(app) - visited)
    report = []
    if problems:
        report.append("Pages that did not open as expected:\n" + "\n".join(problems))
    if unvisited:
        report.append(f"GET pages nobody looked at (add them to PAGES, or to NOT_PAGES saying why): {unvisited}")
    if findings:
        report.append(findings_report(findings))
    assert not report, "\n\n".join(report)


class Looker:
    """Opens a URL in one role's page, checks it opened as expected, and runs axe on it."""

    def __init__(self, page, base_url: str, role: str, phone: bool, findings: list, problems: list):
        self.page, self.base_url, self.phone, self.findings, self.problems = page, base_url, phone, findings, problems
        self.who = f"{role} {'phone' if phone else 'desktop'}"

    def at(self, path: str, *, status: int = 200, label: str = "") -> bool:
        response = self.page.goto(self.base_url + path)
        landed = self.page.url.removeprefix(self.base_url)
        if response is None or response.status != status or landed.split("?")[0] != path.split("?")[0]:
            got = response.status if response else "nothing"
            self.problems.append(f"  {self.who} {path}: expected {status}, got {got} at {landed}")
            return False
        self.check(f"{path}{f' ({label})' if label else ''}")
        return True

    def check(self, what: str) -> None:
        # After a form's submit the new page's DOM can be there before its stylesheet is (a busy machine): axe would
        # then judge the unstyled page (the skip link beside the brand, small links). Wait for the whole page.
        self.page.wait_for_load_state("load")
        where = f"{self.who} {what}"
        self.findings.extend(axe_findings(self.page, where))
        if self.phone:
            self.findings.extend(reflow_findings(self.page, where))


# Steps some pages need first: they are reached after a form, not by a link alone.


def prepare_code(page, base_url: str, seed: Seed) -> None:
    page.goto(base_url + "/sign-in/code")
    page.locator("input[name=contact]").fill("(202) 555-0110")
    page.locator("input[name=contact]").press("Enter")
    page.wait_for_url(re.compile(r"/sign-in/code/verify"))


def prepare_join(page, base_url: str, seed: Seed) -> None:
    """The invitation's "sign in first" route: the token goes into the session, /join takes over."""
    link = f"{base_url}/i/{seed.invitation_token}"
    page.goto(link)
    token = page.locator("input[name=csrf_token]").first.input_value()
    page.request.post(link, form={"csrf_token": token}, max_redirects=0)


PREPARE = {"codes.verify": prepare_code, "invitations.join": prepare_join}


# Failed submits (the error summary and the field errors) and the open "More" menu.


def failed_register(look: Looker, seed: Seed) -> None:
    look.page.goto(look.base_url + "/register")
    look.page.locator("main form [type=submit]").first.click()
    look.page.locator(".error-summary").wait_for()
    look.check("/register (failed submit)")


def failed_join(look: Looker, seed: Seed) -> None:
    path = f"/i/{seed.invitation_token}"
    look.page.goto(look.base_url + path)
    look.page.locator("input[name=name]").fill("")
    look.page.locator("input[name=phone]").fill("12")
    look.page.locator("input[name=phone]").press("Enter")
    look.page.locator(".error-summary").wait_for()
    look.check(f"{path} (failed join)")


def failed_sign_in(look: Looker, seed: Seed) -> None:
    look.page.goto(look.base_url + "/sign-in")
    look.page.locator("input[name=email]").fill("maria@example.org")
    look.page.locator("input[name=password]").fill("not her password")
    look.page.locator("input[name=password]").press("Enter")
    look.page.locator(".error-summary").wait_for()
    look.check("/sign-in (wrong password)")


def failed_need(look: Looker, seed: Seed) -> None:
    path = f"/circles/{seed.circle_id}/needs/new?category=meal"
    look.page.goto(look.base_url + path)
    look.page.locator("main form [type=submit]").last.click()
    look.page.locator(".error-summary").wait_for()
    look.check(f"{path} (failed submit)")


def failed_reopen(look: Looker, seed: Seed) -> None:
    path = f"/circles/{seed.second_circle}/reopen"
    look.page.goto(look.base_url + path)
    for box in look.page.locator("input[name=member_ids]").all():
        box.uncheck()
    look.page.locator("main form [type=submit]").last.click()
    look.page.locator(".error-summary").wait_for()
    look.check(f"{path} (nobody chosen)")


def failed_health_settings(look: Looker, seed: Seed) -> None:
    path = f"/circles/{seed.circle_id}/health/settings"
    look.page.goto(look.base_url + path)
    look.page.locator("input[name=first_ask_days]").fill("99")
    look.page.locator("input[name=best_few]").fill("0")
    look.page.locator("main form [type=submit]").last.click()
    look.page.locator(".error-summary").wait_for()
    look.check(f"{path} (failed submit)")


def not_found(look: Looker, seed: Seed) -> None:
    look.at("/no-such-page", status=404, label="not found")


def more_menu_open(look: Looker, seed: Seed) -> None:
    look.page.goto(f"{look.base_url}/circles/{seed.circle_id}")
    look.page.locator("details.more > summary").click()
    look.page.locator(".more-list").wait_for()
    look.check(f"/circles/{seed.circle_id} (More menu open)")


SCENARIOS = {
    ANON: (failed_register, failed_sign_in, failed_join, not_found),
    PATIENT: (more_menu_open,),
    COORDINATOR: (failed_need, failed_reopen, failed_health_settings, more_menu_open),
    SUPPORTER: (more_menu_open, not_found),
}


# The url_map


def methods_of(app, endpoint: str) -> set[str]:
    if endpoint not in app.view_functions:
        return set()  # a page this table knows about that the app does not have (yet)
    return {method for rule in app.url_map.iter_rules(endpoint) for method in rule.methods}


def html_get_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods} - NOT_PAGES


def url_of(app, target: Page, seed: Seed) -> str:
    (rule,) = app.url_map.iter_rules(target.endpoint)
    values = {}
    for name in rule.arguments:
        given = target.values.get(name, name)
        values[name] = given[1:] if str(given).startswith("=") else getattr(seed, given)
    with app.test_request_context():
        return url_for(target.endpoint, **values, **target.query)


# Beyond axe: the "More" menu by keyboard, and the colours axe does not judge (focus ring, hover).


def test_the_more_menu_opens_closes_and_leads_somewhere_by_keyboard_alone(app):
    seed = seed_circle(app)
    with LiveServer(app) as server, chromium_browser() as browser:
        context = browser_context(browser, phone=True)
        page = context.new_page()
        sign_in_by_form(page, server.url, SIGN_INS[SUPPORTER], DEMO_PASSWORD)
        page.goto(f"{server.url}/circles/{seed.circle_id}")
        menu, summary = page.locator("details.more"), page.locator("details.more > summary")
        is_open = lambda: menu.evaluate("el => el.open")  # noqa: E731
        in_menu = "document.activeElement.closest('.more-list') !== null"
        for _ in range(30):
            page.keyboard.press("Tab")
            if summary.evaluate("el => el === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reaches the More menu")
        assert summary.evaluate("el => getComputedStyle(el).outlineStyle") != "none", "More shows no focus ring"

        page.keyboard.press("Enter")
        assert is_open()
        page.keyboard.press("Tab")
        assert page.evaluate(in_menu), "after opening More, Tab does not move into its list"
        page.keyboard.press("Escape")
        assert not is_open(), "Escape leaves the menu open"
        assert summary.evaluate("el => el === document.activeElement"), "after Escape, focus is lost (not on More)"

        page.keyboard.press("Enter")
        for _ in range(len(page.locator(".more-list a, .more-list button").all())):
            page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # one past the last item: the menu closes rather than cover what has focus
        assert not page.evaluate(in_menu) and not is_open(), "the open menu stays over the link that has focus"

        summary.focus()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href')")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(re.escape(href) + "$"))
        context.close()


def test_focus_ring_tabs_tags_and_error_summary_have_enough_contrast(app):
    seed = seed_circle(app)
    with LiveServer(app) as server, chromium_browser() as browser:
        context = browser_context(browser, phone=True)
        page = context.new_page()
        sign_in_by_form(page, server.url, SIGN_INS[COORDINATOR], DEMO_PASSWORD)
        page.goto(f"{server.url}/circles/{seed.circle_id}/tasks")
        tab = page.locator(".tab-list a.tab").first
        tab.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
        ring = tab.evaluate("el => [getComputedStyle(el).outlineColor, getComputedStyle(el).boxShadow]")
        behind = css_rgb(tab.evaluate(BACKGROUND_JS))
        ring = [css_rgb(value) for value in ring]
        best = max(contrast(colour, behind) for colour in ring if colour)
        assert best >= 3, f"the focus ring's best contrast with what is behind it is {best:.2f} (WCAG 1.4.11 asks 3)"

        tab.hover()
        hovered = tab.evaluate("el => getComputedStyle(el).color")
        assert contrast(css_rgb(hovered), css_rgb(tab.evaluate(BACKGROUND_JS))) >= 4.5, "a hovered tab is too faint"
        tags = page.locator(".tag").all()
        assert tags, "no tags on the tasks page to check"
        for tag in tags[:20]:
            text = css_rgb(tag.evaluate("el => getComputedStyle(el).color"))
            assert contrast(text, css_rgb(tag.evaluate(BACKGROUND_JS))) >= 4.5, tag.inner_text()

        page.goto(f"{server.url}/circles/{seed.circle_id}/needs/new?category=meal")
        page.locator("main form [type=submit]").last.click()
        summary = page.locator(".error-summary")
        summary.wait_for()
        assert summary.evaluate("el => el === document.activeElement"), "the error summary does not take focus"
        border = css_rgb(summary.evaluate("el => getComputedStyle(el).borderTopColor"))
        assert contrast(border, css_rgb(page.locator("main").evaluate(BACKGROUND_JS))) >= 3
        context.close()
