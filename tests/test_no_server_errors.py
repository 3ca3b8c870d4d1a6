"""No input makes the server answer 5xx: hypothesis throws dates, times, numbers and junk at every page.

It walks the app's url_map (so a new page is covered the day it is added), fills each route's path with
the ids of a small circle (or, now and then, a huge number), and for each signed-in role (supporter,
patient, coordinator) sends every GET with the query parameters views read and every POST with the
fields of the form on that page, each value drawn from dates (0001-01-01, 9999-12-31, 2026-02-30),
times (24:00, 09:30:00.000), numbers (huge, negative, 1e309) and text (NUL and other control characters,
very long strings). Any 5xx fails the test with the request that caused it. CSRF and rate limits are off
so every request reaches its view.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from coordinator.categories import CATEGORIES
from coordinator.clock import today_in
from coordinator.extensions import db
from coordinator.models.circles import COORDINATOR
from coordinator.services.care.claims import claim_make
from coordinator.services.care.recurrence import Repeat
from coordinator.services.people.invitation_links import shared_link_create
from tests.factories import PASSWORD, add_member, make_circle, make_need, make_user
from tests.web import WebClient

EXAMPLES_PER_ROLE = 2  # after the 3 explicit plans; each plan sends one request to every route (about 100)
QUERY_NAMES = (
    "week", "from", "to", "category", "open", "status", "next", "show", "anyway", "back", "page", "before", "skip", "v",
    "following", "title", "decision",
)  # fmt: skip
POST_NAMES = ("next", "note", "user_id", "fold", "decision", "answer", "inside", "message", "post_anyway", "anyway")
SKIP = {"static", "accounts.sign_out", "home.healthz"}  # signing out would end the walk early
LAST = ("members.remove", "members.role", "accounts.account")  # changes that could lock the walker out

EDGE_DATES = st.sampled_from(
    ["0001-01-01", "9999-12-31", "9999-12-20", "2026-02-30", "275760-01-01", "12/31/9999", "today"]
)
DATES = st.one_of(EDGE_DATES, EDGE_DATES, st.dates().map(date.isoformat))
TIMES = st.one_of(
    st.times().map(lambda t: t.isoformat()),
    st.sampled_from(["24:00", "99:99", "09:30:00.000", "12:00am", "noon", "-1:00"]),
)
NUMBERS = st.one_of(
    st.integers().map(str),
    st.sampled_from(["-1", "0", "1e309", "NaN", "9" * 400, "²", "٣", "0x10", " 7 "]),
)
JUNK = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\x1b[31m", "\u202e", "x" * 5000, "<script>", "%00", "../../etc/passwd"]),
)
VALUES = st.one_of(DATES, TIMES, NUMBERS, JUNK)
# Mostly the real id; one time in eight a number no row has, up to far past what the database stores.
PATH_NUMBERS = st.integers(0, 7).flatmap(
    lambda n: st.integers(min_value=0, max_value=10**30) if n == 7 else st.just(None)
)


def _world():
    """A circle with a patient, a coordinator, a supporter holding a task, a one-off need and a series."""
    patient, coordinator, supporter = make_user(name="Maria"), make_user(name="Dan"), make_user(name="Sam")
    circle = make_circle(patient=patient)
    add_member(circle, coordinator, role=COORDINATOR)
    supporter_membership = add_member(circle, supporter)
    one_off = make_need(circle, coordinator)
    series = make_need(
        circle,
        coordinator,
        category="meal",
        start_date=today_in(circle.timezone) + timedelta(days=2),
        repeat=Repeat("weekly", (), "weeks", weeks=4),
    )
    claim = claim_make(membership=supporter_membership, task_id=one_off.tasks[0].id)
    token = shared_link_create(circle=circle, inviter=coordinator)  # the join form behind /i/<token>
    db.session.commit()
    ids = {
        "circle_id": circle.id,
        "need_id": series.id,
        "task_id": one_off.tasks[0].id,
        "member_id": supporter_membership.id,
        "user_id": supporter.id,
        "claim_id": getattr(claim, "id", 1),
        "token": token,
    }
    return {"supporter": supporter, "patient": patient, "coordinator": coordinator}, ids


def _routes(app) -> list[tuple[str, str, object, str]]:
    """(endpoint, method, rule, query) for every route, the ones that could lock the walker out last.

    The need form is one route per kind of help (its fields differ), so each is filled in.
    """
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((rule.endpoint, method, rule, ""))
            if rule.endpoint == "needs.new" and method == "POST":
                found.extend((rule.endpoint, method, rule, f"?category={key}") for key in CATEGORIES)
    return sorted(found, key=lambda r: (r[0] in LAST, r[0], r[1], r[3]))


def _path(rule, ids: dict, numbers: dict) -> str:
    def fill(match: re.Match) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip(" )'\"")
        if converter == "int":
            return str(numbers.get(name) if numbers.get(name) is not None else ids.get(name, 1))
        return ids.get(name, "not-a-real-token")

    return re.sub(r"<(?:([^:<>]+):)?([a-z_]+)>", fill, rule.rule)


def _field_names(client, url: str) -> tuple[str, ...]:
    """The names of the fields a page's forms send (the POST goes to the page it is on)."""
    html = client.get(url).get_data(as_text=True)
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))
    return tuple(sorted(names - {"csrf_token"}))


def _kind(name: str) -> str:
    if "date" in name or name in {"until", "from", "to", "week"}:
        return "date"
    if "time" in name or name.startswith("quiet"):
        return "time"
    if name in {"capacity", "count", "weeks", "user_id", "fold", "page"} or "servings" in name or "children" in name:
        return "number"
    return "text"


KINDS = {"date": DATES, "time": TIMES, "number": NUMBERS, "text": JUNK}
# Run first, every time: each kind of field at both ends of what it can hold, every id far too large.
EXPLICIT = [
    {"date": "9999-12-31", "time": "23:59:59.999", "number": "9" * 400, "text": "a\x00b", "path": None},
    {"date": "9999-12-20", "time": "24:00", "number": "-1", "text": "x" * 5000, "path": None},
    {"date": "0001-01-01", "time": "09:30:00.000", "number": "1e309", "text": "\x1b[31m\u202e", "path": 10**30},
]


@pytest.mark.parametrize("role", ["supporter", "patient", "coordinator"])
def test_no_input_makes_the_server_fail(make_app, role):
    app = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    with app.app_context():
        people, ids = _world()
        client = WebClient(app.test_client())
        signed_in = client.raw.post("/sign-in", data={"email": people[role].email, "password": PASSWORD})
        assert signed_in.status_code == 302
        routes = _routes(app)
        fields = {
            (endpoint, query): _field_names(client, _path(rule, ids, {}) + query) if "GET" in rule.methods else ()
            for endpoint, method, rule, query in routes
            if method == "POST"
        }
        names = sorted(set(QUERY_NAMES) | set(POST_NAMES) | {n for found in fields.values() for n in found})
        arguments = sorted({arg for _, _, rule, _ in routes for arg in rule.arguments})
        failures: list[str] = []

        def walk(plan: dict, numbers: dict) -> None:
            """One request to every route, each field and parameter taking its value from `plan`."""
            for endpoint, method, rule, query in routes:
                url = _path(rule, ids, numbers) + query
                if method == "GET":
                    sent = {n: plan[n] for n in QUERY_NAMES if plan.get(n) is not None}
                    response = client.get(url, query_string=sent)
                else:
                    sent = {n: plan[n] for n in fields.get((endpoint, query)) or POST_NAMES if plan.get(n) is not None}
                    response = client.raw.post(url, data=sent)
                # /readyz says 503 on purpose when no scheduler runs (tests/test_readiness.py); that isn't a failure
                if response.status_code >= 500 and not (endpoint == "home.readyz" and response.status_code == 503):
                    failures.append(f"{response.status_code} {method} {url} {sent!r}"[:300])

        for edge in EXPLICIT:
            walk({n: edge[_kind(n)] for n in names}, {arg: edge["path"] for arg in arguments})
        assert not failures, "\n".join(failures[:10])

        @settings(
            max_examples=EXAMPLES_PER_ROLE,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # no shrinking: the failures list already names each request
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            plan=st.fixed_dictionaries({n: st.one_of(st.none(), KINDS[_kind(n)], VALUES) for n in names}),
            numbers=st.fixed_dictionaries({arg: PATH_NUMBERS for arg in arguments}),
        )
        def explore(plan, numbers):
            walk(plan, numbers)
            assert not failures, "\n".join(failures[:10])

        explore()
