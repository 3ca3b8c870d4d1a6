"""The People page a coordinator acts from: ask before taking anything away, call or text in one tap, see who waits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator.clock import now, today_in
from coordinator.extensions import db
from coordinator.models import Claim, Invitation, JoinRequest, Membership, Message
from coordinator.services.care.claims import claim_make
from coordinator.services.people.members import people_waiting
from coordinator.web.templating import day
from tests.factories import PASSWORD, add_member, first_task, make_circle, make_need, make_user
from tests.queries import counting
from tests.web import WebClient

WEEK = timedelta(days=7)


@pytest.fixture
def team():
    """Team Maria: the patient, a coordinator, Sam (holding two upcoming tasks) and Priya."""
    patient = make_user(name="Maria Lopez", phone="+12025550100")
    coordinator = make_user(name="Daniel Lopez", phone="+12025550101")
    circle = make_circle(patient=patient, coordinator=coordinator, name="Team Maria")
    sam = make_user(name="Sam Carter", phone="+12025550110", email="sam@example.org")
    priya = make_user(name="Priya Natarajan", phone="+12025550111", email="priya@example.org")
    members = {u.first_name: add_member(circle, u) for u in (sam, priya)}
    soon = today_in(circle.timezone)
    ride = first_task(make_need(circle, coordinator, title="Ride to chemo", start_date=soon + timedelta(days=2)))
    meal = first_task(
        make_need(circle, coordinator, category="meal", title="Dinner", start_date=soon + timedelta(days=5))
    )
    for task in (ride, meal):
        claim_make(membership=members["Sam"], task_id=task.id)
    db.session.commit()
    return {
        "circle": circle,
        "patient": patient,
        "coordinator": coordinator,
        "sam": sam,
        "priya": priya,
        "members": members,
        "tasks": (ride, meal),
    }


def signed_in(app, user) -> WebClient:
    browser = WebClient(app.test_client())
    assert browser.sign_in(user.email, PASSWORD).status_code == 302
    return browser


def people_url(circle) -> str:
    return f"/circles/{circle.id}/people"


def held_by(user) -> int:
    return db.session.scalar(select(func.count(Claim.id)).where(Claim.user_id == user.id, Claim.status == "held"))


def test_remove_asks_first_naming_the_tasks_that_reopen_and_only_the_post_removes(app, team):
    circle, sam, ride, meal = team["circle"], team["sam"], *team["tasks"]
    daniel = signed_in(app, team["coordinator"])
    url = f"{people_url(circle)}/{team['members']['Sam'].id}/remove"

    people = daniel.get(people_url(circle)).get_data(as_text=True)
    assert f'href="{url}"' in people and f'action="{url}"' not in people  # a link to the question, not a button

    for _ in range(2):  # opening the question (or a link preview) never removes
        asked = daniel.get(url)
        assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Remove Sam Carter from Team Maria?" in page
    assert (
        f"Sam&#39;s 2 upcoming tasks ({day(ride.local_date)}: Ride to chemo, {day(meal.local_date)}: Dinner) "
        "will need someone again" in page
    )
    assert "won&#39;t get texts or emails from this circle" in page
    assert f'action="{url}"' in page and "Keep Sam" in page
    assert db.session.get(Membership, team["members"]["Sam"].id).status == "active" and held_by(sam) == 2

    done = daniel.post(url, form_url=url)
    assert done.status_code == 302 and done.headers["Location"] == people_url(circle)
    after = daniel.get(people_url(circle)).get_data(as_text=True)
    assert "Sam Carter is no longer in the circle" in after
    assert db.session.get(Membership, team["members"]["Sam"].id).status == "removed" and held_by(sam) == 0


def test_removing_someone_with_nothing_ahead_says_so(app, team):
    daniel = signed_in(app, team["coordinator"])
    page = daniel.get(f"{people_url(team['circle'])}/{team['members']['Priya'].id}/remove").get_data(as_text=True)
    assert "Priya hasn&#39;t said yes to any upcoming task, so no task loses its helper." in page


def test_a_refused_removal_says_why_instead_of_asking(app, team):
    circle = team["circle"]
    patient_member = db.session.scalar(select(Membership).where(Membership.user_id == team["patient"].id))
    daniel = signed_in(app, team["coordinator"])
    answer = daniel.get(f"{people_url(circle)}/{patient_member.id}/remove")
    assert answer.status_code == 302
    assert "The patient can&#39;t be removed" in daniel.get(people_url(circle)).get_data(as_text=True)


def test_making_a_coordinator_a_supporter_asks_first_and_keeps_them_in_the_inner_circle(app, team):
    circle = team["circle"]
    aisha = make_user(name="Aisha Khan", phone="+12025550102")
    member = add_member(circle, aisha, role="coordinator")
    maria = signed_in(app, team["patient"])
    url = f"{people_url(circle)}/{member.id}/role/supporter"

    people = maria.get(people_url(circle)).get_data(as_text=True)
    assert f'href="{url}"' in people and "Make Aisha a supporter" in people
    page = maria.get(url).get_data(as_text=True)
    assert "Make Aisha Khan a supporter?" in page
    assert "no longer post needs, invite people, or see everyone&#39;s phone numbers" in page
    assert db.session.get(Membership, member.id).role == "coordinator"

    maria.post(url, form_url=url)
    member = db.session.get(Membership, member.id)
    assert (member.role, member.inner_circle) == ("supporter", True)


def test_only_the_patient_is_offered_role_changes(app, team):
    circle = team["circle"]
    daniel_page = signed_in(app, team["coordinator"]).get(people_url(circle)).get_data(as_text=True)
    maria_page = signed_in(app, team["patient"]).get(people_url(circle)).get_data(as_text=True)
    assert "Make Sam a coordinator" not in daniel_page and "Remove Sam from the circle" in daniel_page
    assert "Make Sam a coordinator" in maria_page


def test_out_of_the_inner_circle_asks_first_and_reopens_the_inner_tasks_they_held(app, team):
    circle, sam, coordinator = team["circle"], team["sam"], team["coordinator"]
    member = team["members"]["Sam"]
    member.inner_circle = True
    db.session.commit()
    visit = first_task(make_need(circle, coordinator, category="visit", title="Quiet visit", visibility="inner"))
    claim_make(membership=member, task_id=visit.id)
    db.session.commit()
    daniel = signed_in(app, coordinator)
    url = f"/circles/{circle.id}/members/{member.id}/inner-circle"

    assert f'href="{url}"' in daniel.get(people_url(circle)).get_data(as_text=True)
    page = daniel.get(url).get_data(as_text=True)
    assert "Take Sam Carter out of the inner circle?" in page
    assert f"Sam&#39;s inner-circle task ({day(visit.local_date)}: Quiet visit) will need someone again" in page
    assert db.session.get(Membership, member.id).inner_circle is True

    daniel.post(url, {"inside": "no"}, form_url=url)
    daniel.post(url, {"inside": "no"}, form_url=url)  # a second tap doesn't put Sam back in
    assert db.session.get(Membership, member.id).inner_circle is False
    assert held_by(sam) == 2  # the two ordinary tasks stay Sam's; the inner-circle visit is open again


def test_into_the_inner_circle_is_one_tap(app, team):
    circle, member = team["circle"], team["members"]["Priya"]
    daniel = signed_in(app, team["coordinator"])
    answer = daniel.post(
        f"/circles/{circle.id}/members/{member.id}/inner-circle", {"inside": "yes"}, form_url=people_url(circle)
    )
    assert answer.status_code == 302 and answer.headers["Location"] == people_url(circle)
    assert db.session.get(Membership, member.id).inner_circle is True
    assert "Priya Natarajan is now in the inner circle." in daniel.get(people_url(circle)).get_data(as_text=True)


def test_a_member_of_another_circle_answers_404_on_every_member_action(app, team):
    circle = team["circle"]
    other = make_circle(coordinator=make_user(), name="Team Other")
    stranger = add_member(other, make_user(name="Olga Stranger"))
    daniel = signed_in(app, team["patient"])
    paths = [
        f"{people_url(circle)}/{{id}}/remove",
        f"{people_url(circle)}/{{id}}/role/coordinator",
        f"{people_url(circle)}/{{id}}/role/supporter",
        f"/circles/{circle.id}/members/{{id}}/inner-circle",
    ]
    for member_id in (stranger.id, 999_999):
        for path in paths:
            url = path.format(id=member_id)
            assert daniel.get(url).status_code == 404, url
            assert daniel.post(url, {"inside": "yes"}, form_url=people_url(circle)).status_code == 404, url
    stranger = db.session.get(Membership, stranger.id)
    assert (stranger.status, stranger.role, stranger.inner_circle) == ("active", "supporter", False)


def test_coordinators_and_the_patient_call_text_or_email_in_one_tap(app, team):
    circle = team["circle"]
    for user in (team["coordinator"], team["patient"]):
        page = signed_in(app, user).get(people_url(circle)).get_data(as_text=True)
        assert 'href="tel:+12025550110"' in page and 'aria-label="Call Sam Carter"' in page
        assert 'href="sms:+12025550110"' in page and 'aria-label="Text Sam Carter"' in page
        assert 'href="mailto:sam@example.org"' in page and 'aria-label="Email Sam Carter"' in page
        assert "+1 202-555-0110" in page


def test_supporters_see_names_only_and_no_list_when_names_are_private(app, team):
    circle = team["circle"]
    sam = signed_in(app, team["sam"])
    circle.names_visible = True
    db.session.commit()
    page = sam.get(people_url(circle)).get_data(as_text=True)
    assert "Priya Natarajan" in page and "Daniel Lopez" in page
    for secret in ("tel:", "sms:", "mailto:", "202-555-0111", "+12025550111", "priya@example.org", "Manage"):
        assert secret not in page

    circle.names_visible = False
    db.session.commit()
    page = sam.get(people_url(circle)).get_data(as_text=True)
    assert "keeps the list of helpers private" in page
    for name in ("Priya Natarajan", "Daniel Lopez", "Maria Lopez"):
        assert name not in page


def shared_link_request(circle, name: str, phone: str) -> JoinRequest:
    """Someone who used a shared link and waits for a coordinator's yes."""
    invitation = Invitation(circle_id=circle.id, kind="link", token_hash=phone[-8:] * 8, expires_at=now() + WEEK)
    user = make_user(name=name, phone=phone, email=None, password=None)
    db.session.add(invitation)
    db.session.flush()
    request = JoinRequest(circle_id=circle.id, invitation_id=invitation.id, user_id=user.id)
    db.session.add(request)
    db.session.commit()
    return request


def test_join_requests_wait_at_the_top_of_people_with_let_in_and_decline(app, team):
    circle = team["circle"]
    grace = shared_link_request(circle, "Grace Okafor", "+12025550113")
    tom = shared_link_request(circle, "Tom Becker", "+12025550114")
    daniel = signed_in(app, team["coordinator"])

    page = daniel.get(people_url(circle)).get_data(as_text=True)
    invite, waiting, everyone = (page.index(s) for s in ("Invite people</a>", "Asking to join (2)", "Everyone ("))
    assert invite < waiting < everyone  # what to do first, then who waits, then the people
    assert "Let Grace in" in page and "Declining sends them nothing" in page

    approve = f"/circles/{circle.id}/invitations/requests/{grace.id}/approve"
    answer = daniel.post(approve, {"back": "people"}, form_url=people_url(circle))
    assert answer.headers["Location"] == people_url(circle)
    assert "Grace Okafor is in the circle." in daniel.get(people_url(circle)).get_data(as_text=True)
    assert (
        db.session.scalar(
            select(Membership.status).where(Membership.user_id == grace.user_id, Membership.circle_id == circle.id)
        )
        == "active"
    )

    decline = f"/circles/{circle.id}/invitations/requests/{tom.id}/decline"
    assert f'href="{decline}?back=people"' in daniel.get(people_url(circle)).get_data(
        as_text=True
    )  # a link: no one tap
    question = daniel.get(f"{decline}?back=people").get_data(as_text=True)
    assert "Decline Tom Becker?" in question and "We don&#39;t send Tom anything." in question
    assert db.session.get(JoinRequest, tom.id).status == "pending"  # asking changed nothing
    answer = daniel.post(decline, {"back": "people"}, form_url=f"{decline}?back=people")
    assert answer.headers["Location"] == people_url(circle)
    page = daniel.get(people_url(circle)).get_data(as_text=True)
    assert "Tom Becker wasn&#39;t added. We didn&#39;t send Tom anything." in page
    assert "Asking to join" not in page
    assert db.session.get(JoinRequest, tom.id).status == "declined"
    assert db.session.scalar(select(func.count(Message.id)).where(Message.user_id == tom.user_id)) == 0


def test_a_decision_made_twice_says_it_was_already_made(app, team):
    circle = team["circle"]
    grace = shared_link_request(circle, "Grace Okafor", "+12025550113")
    daniel = signed_in(app, team["coordinator"])
    base = f"/circles/{circle.id}/invitations/requests/{grace.id}"
    daniel.post(base + "/decline", form_url=people_url(circle))
    daniel.post(base + "/approve", form_url=people_url(circle))
    assert "Someone already declined Grace Okafor." in daniel.get(people_url(circle)).get_data(as_text=True)
    assert db.session.get(JoinRequest, grace.id).status == "declined"


def test_people_waiting_names_everyone_in_one_query(app, team):
    circle = team["circle"]
    for n in range(3):
        shared_link_request(circle, f"Person{n} Waiting", f"+1202555012{n}")
    circle_id = circle.id
    db.session.expire_all()
    with counting(db.engine) as statements:
        waiting = people_waiting(circle_id=circle_id)
        names = [request.user.name for request in waiting]
    assert names == ["Person0 Waiting", "Person1 Waiting", "Person2 Waiting"]
    assert len(statements) == 1


def test_the_people_page_is_for_members_only(app, team):
    outsider = signed_in(app, make_user(name="Not Here"))
    assert outsider.get(people_url(team["circle"])).status_code == 404


def test_member_and_invitation_ids_too_big_for_the_database_are_a_404(app, team):
    circle = team["circle"]
    daniel = signed_in(app, team["patient"])
    huge = 10**20
    for url in (
        f"{people_url(circle)}/{huge}/remove",
        f"{people_url(circle)}/{huge}/role/supporter",
        f"/circles/{circle.id}/members/{huge}/inner-circle",
        f"/circles/{circle.id}/invitations/{huge}/revoke",
    ):
        assert daniel.get(url).status_code == 404, url
        assert daniel.post(url, form_url=people_url(circle)).status_code == 404, url
