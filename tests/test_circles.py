"""Starting circles, roles, and the one gate that keeps circles private."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coordinator.extensions import db
from coordinator.models import Circle, Event, Membership
from coordinator.models.circles import PATIENT
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.web import WebClient


def new_circle(client, **fields):
    data = {"for_whom": "self", "patient_name": "", "name": "", "timezone": "Europe/London", "phone_region": "GB"}
    data.update(fields)
    return client.post("/circles/new", data)


def test_a_patient_starts_a_circle_for_themselves(client):
    user = make_user(name="Maria Lopez")
    client.sign_in(user.email, PASSWORD)
    response = new_circle(client)
    assert response.status_code == 302
    circle = db.session.scalar(select(Circle))
    assert (circle.name, circle.patient_name, circle.timezone, circle.phone_region) == (
        "Helping Maria",
        "Maria Lopez",
        "Europe/London",
        "GB",
    )
    membership = db.session.scalar(select(Membership))
    assert (membership.user_id, membership.role) == (user.id, "patient")
    page = client.get(response.headers["Location"])
    home = page.get_data(as_text=True)
    assert "Your circle" in home and "Nothing is planned for the next 7 days." in home
    kinds = db.session.scalars(select(Event.kind).where(Event.circle_id == circle.id)).all()
    assert sorted(kinds) == ["circle.created", "member.joined"]


def test_a_coordinator_starts_a_circle_for_someone_else(client):
    user = make_user(name="Daniel Lopez")
    client.sign_in(user.email, PASSWORD)
    response = new_circle(client, for_whom="other", patient_name="  Rosa   María Díaz ", name="Team Rosa")
    assert response.status_code == 302
    circle = db.session.scalar(select(Circle))
    assert (circle.name, circle.patient_name) == ("Team Rosa", "Rosa María Díaz")
    assert db.session.scalar(select(Membership.role)) == "coordinator"
    home = client.get("/circles/", follow_redirects=True)  # one circle: straight into it
    assert home.request.path == f"/circles/{circle.id}"
    html = home.get_data(as_text=True)
    assert "Team Rosa" in html and "Supporting Rosa María Díaz" in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"for_whom": "other", "patient_name": ""}, "Enter their name."),
        ({"timezone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"phone_region": "ZZ"}, "Choose a country from the list."),
        ({"name": "x" * 121}, "Keep the name under 120 characters."),
    ],
)
def test_bad_circle_details_get_a_message_and_keep_what_was_typed(client, fields, message):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    response = new_circle(
        client,
        name="Team Maria" if "name" not in fields else fields["name"],
        **{k: v for k, v in fields.items() if k != "name"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if "name" not in fields:
        assert 'value="Team Maria"' in html
    assert db.session.scalar(select(func.count(Circle.id))) == 0


def test_control_and_direction_characters_typed_in_a_name_are_dropped_not_kept(client):
    """The input edge cleans them (plain_text.py): a bell or a right-to-left override never reaches a text."""
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    response = new_circle(client, name="Team\u202e Maria", for_whom="other", patient_name="Ro\x07sa Díaz")
    assert response.status_code == 302
    circle = db.session.scalar(select(Circle))
    assert (circle.name, circle.patient_name) == ("Team Maria", "Rosa Díaz")


def test_html_in_a_circle_name_is_shown_as_text(client):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    response = new_circle(client, name="<script>alert(1)</script>")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_circle_has_at_most_one_patient(app):
    circle = make_circle(patient=make_user())
    db.session.add(Membership(circle=circle, user=make_user(), role=PATIENT))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_person_is_in_a_circle_once(app):
    user = make_user()
    circle = make_circle(patient=user)
    db.session.add(Membership(circle=circle, user=user, role="supporter"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_roles_are_only_the_known_three(app):
    circle = make_circle()
    db.session.add(Membership(circle=circle, user=make_user(), role="admin"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_supporter_sees_the_circle_but_not_the_people_list(client):
    patient, supporter = make_user(name="Maria Lopez"), make_user(name="Sam Carter")
    circle = make_circle(patient=patient)
    add_member(circle, supporter)
    client.sign_in(supporter.email, PASSWORD)
    page = client.get(f"/circles/{circle.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Thank you for being here" in html and "Nothing needs someone right now" in html
    assert patient.email not in html and "People (" not in html and "/people" not in html


def test_a_stranger_gets_the_same_404_as_for_a_missing_circle(client):
    circle = make_circle(patient=make_user())
    stranger = make_user()
    client.sign_in(stranger.email, PASSWORD)
    theirs = client.get(f"/circles/{circle.id}")
    missing = client.get("/circles/999999")
    assert theirs.status_code == missing.status_code == 404
    # The CSRF token carries a timestamp, so two pages a second apart differ
    # there and nowhere else a stranger could learn from.
    assert _without_csrf(theirs) == _without_csrf(missing)


def _without_csrf(response):
    return re.sub(r'(name="csrf[-_]token" (?:value|content)=)"[^"]*"', r"\1", response.get_data(as_text=True))


def test_a_removed_member_loses_access(client):
    supporter = make_user()
    circle = make_circle(patient=make_user())
    membership = add_member(circle, supporter)
    client.sign_in(supporter.email, PASSWORD)
    assert client.get(f"/circles/{circle.id}").status_code == 200
    membership.status = "removed"
    db.session.commit()
    assert client.get(f"/circles/{circle.id}").status_code == 404


def _fill(rule, circle_id: int) -> str:
    values = {name: (circle_id if name == "circle_id" else 1) for name in rule.arguments}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_no_circle_scoped_route_answers_a_member_of_another_circle(app, make_app):
    """Walk every route that takes a circle id, as a member of a different circle."""
    app_without_csrf = make_app(WTF_CSRF_ENABLED=False)
    client = WebClient(app_without_csrf.test_client())
    mine = make_circle(patient=make_user())
    theirs = make_circle(patient=make_user())
    outsider = make_user()
    add_member(mine, outsider, role="coordinator")
    client.sign_in(outsider.email, PASSWORD)
    scoped = [rule for rule in app.url_map.iter_rules() if "circle_id" in rule.arguments]
    assert scoped, "expected circle-scoped routes"
    for rule in scoped:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "circle_scoped", False), f"{rule.rule} is not wrapped in circle_view"
        url = _fill(rule, theirs.id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.raw.open(url, method=method, data={})
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
        own = client.raw.open(_fill(rule, mine.id), method="GET") if "GET" in rule.methods else None
        assert own is None or own.status_code < 500
