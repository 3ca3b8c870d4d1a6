"""The People page (who is in the circle, how to reach them, who waits to be let in) and my preferences.

The patient and coordinators see each person's number and email with one-tap
call, text and email links; supporters see names only, and only when the
patient shares them. Anything that takes something away from a person (removing
them, making a coordinator a supporter, taking someone out of the inner circle)
is a link to a GET of the action's own address, which says in words what will
happen; only the POST from that page acts.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.members import InnerCircleForm, PreferencesForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.care.recurrence import WEEKDAY_NAMES, WEEKDAYS
from coordinator.services.people.circles import circle_members_screen
from coordinator.services.people.members import (
    PARTS_OF_DAY,
    Preferences,
    can_grant_roles,
    circle_names_visible,
    member_get,
    member_inner_circle_check,
    member_remove,
    member_remove_check,
    member_role_check,
    member_set_inner_circle,
    member_set_role,
    people_waiting,
    preferences_update,
)
from coordinator.services.people.phones import phone_display
from coordinator.services.texting.quiet_hours import default_window, window_for
from coordinator.services.updates.delivery import updates_by
from coordinator.services.updates.notes import notes_by
from coordinator.web.access import circle_view, managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals
from coordinator.web.members_confirm import inner_circle_confirmation, removal_confirmation, role_confirmation

bp = Blueprint("members", __name__, url_prefix="/circles/<int:circle_id>")

PEOPLE_CARDS = 15  # people on one screen of a coordinator's People page (each card has contacts and actions)
PEOPLE_NAMES = 100  # names on one screen of a supporter's


@bp.get("/people")
@circle_view()
def index(*, membership: Membership, circle: Circle):
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    size = PEOPLE_CARDS if membership.manages else PEOPLE_NAMES
    members, total = [], 0
    if membership.manages or circle.names_visible:
        members, total = circle_members_screen(circle_id=circle.id, offset=(page - 1) * size, limit=size)
        if not members and page > 1:
            return redirect(url_for("members.index", circle_id=circle.id))  # past the last screen
    return render_template(
        "members/index.html",
        circle=circle,
        membership=membership,
        members=members,
        total=total,
        next_page=page + 1 if page * size < total else None,
        shown_before=(page - 1) * size,
        waiting=people_waiting(circle_id=circle.id) if membership.manages else [],
        grant=membership.manages and can_grant_roles(membership),
        phone_display=phone_display,
        confirm=ConfirmForm(),
    )


def ask_first(circle: Circle, check: Callable[[], None], confirmation: Callable[[], Confirmation]):
    """The GET of a member action: the confirmation page, or back to People saying why it can't be done."""
    with refusals(flash=True, commit=False) as attempt:
        check()
    if not attempt.ok:
        return redirect(url_for("members.index", circle_id=circle.id))
    return confirmation_page(confirmation())


def change_member(
    circle: Circle,
    member: Membership,
    change: Callable[[Membership], object],
    success: str,
    form: FlaskForm | None = None,
):
    """The POST of a member action: run the service, commit, say what happened (or why not)."""
    if (form or ConfirmForm()).validate_on_submit():
        name, first = member.user.name, member.user.first_name
        with refusals(flash=True) as attempt:
            change(member)
        if attempt.ok:
            flash(success.format(name=name, first=first), "success")
    return redirect(url_for("members.index", circle_id=circle.id))


@bp.route("/people/<int:member_id>/role/<any(coordinator, supporter):role>", methods=["GET", "POST"])
@managing_view()
def role(*, membership: Membership, circle: Circle, member_id: int, role: str):
    member = member_get(circle_id=circle.id, member_id=member_id)  # another circle's is the 404 page
    if request.method == "POST":
        change = lambda member: member_set_role(actor=membership, member=member, role=role)  # noqa: E731
        return change_member(circle, member, change, "{name} is now a " + role + ".")
    if member.role == role:
        flash(f"{member.user.name} is already a {role}.", "success")
        return redirect(url_for("members.index", circle_id=circle.id))
    check = lambda: member_role_check(actor=membership, member=member, role=role)  # noqa: E731
    return ask_first(circle, check, lambda: role_confirmation(circle, member, role))


@bp.route("/people/<int:member_id>/remove", methods=["GET", "POST"])
@managing_view()
def remove(*, membership: Membership, circle: Circle, member_id: int):
    member = member_get(circle_id=circle.id, member_id=member_id)  # another circle's is the 404 page
    if request.method == "POST":
        change = lambda member: member_remove(actor=membership, member=member)  # noqa: E731
        return change_member(circle, member, change, "{name} is no longer in the circle. Their tasks are open again.")
    check = lambda: member_remove_check(actor=membership, member=member)  # noqa: E731
    return ask_first(circle, check, lambda: removal_confirmation(circle, member))


def inner_circle_change(*, membership: Membership, circle: Circle, member_id: int):
    """In or out of the inner circle (the route lives in web/circles.py). Going out hides needs, so it asks first.

    The POST says which way (`inside` = yes/no), so a second tap can't undo the first;
    a POST without it (an older page) flips the current state.
    """
    member = member_get(circle_id=circle.id, member_id=member_id)  # another circle's is the 404 page
    if request.method == "GET":
        check = lambda: member_inner_circle_check(member=member)  # noqa: E731
        return ask_first(circle, check, lambda: inner_circle_confirmation(circle, member))
    form = InnerCircleForm()
    inside = form.wanted(now_inside=member.inner_circle)
    change = lambda member: member_set_inner_circle(actor=membership, member=member, inside=inside)  # noqa: E731
    success = "{name} is now " + ("in" if inside else "out of") + " the inner circle."
    return change_member(circle, member, change, success, form=form)


@bp.post("/people/names/<any(shown, hidden):choice>")
@managing_view()
def names(*, membership: Membership, circle: Circle, choice: str):
    if ConfirmForm().validate_on_submit():
        shown = choice == "shown"
        with refusals(flash=True) as attempt:
            circle_names_visible(circle=circle, actor=current_user, visible=shown)
        if attempt.ok:
            flash(
                "Supporters can now see each other's names." if shown else "Supporters now see only their own name.",
                "success",
            )
    return redirect(url_for("members.index", circle_id=circle.id))


@bp.route("/preferences", methods=["GET", "POST"])
@circle_view()
def preferences(*, membership: Membership, circle: Circle):
    user = membership.user
    form = PreferencesForm()
    if request.method == "GET":
        form.categories.data = list(membership.help_categories or [])
        form.asks_per_week.data = membership.asks_per_week
        form.reminder_leads.data = list(user.reminder_leads or [])
        form.timezone.data = user.timezone or circle.timezone
        form.quiet_start.data, form.quiet_end.data = window_for(user)  # the usual hours, if not chosen
        form.quiet_usual.data = user.quiet_start is None
        form.sms_enabled.data, form.email_enabled.data = user.sms_enabled, user.email_enabled
        form.updates_by.data = updates_by(membership)
        form.notes_by.data = notes_by(membership) if membership.manages else None
    availability = form.availability_grid.data if form.is_submitted() else membership.availability or {}
    if form.validate_on_submit():
        prefs = Preferences(
            categories=list(form.categories.data or []),
            availability=availability,
            asks_per_week=form.asks_per_week.data,
            timezone=form.timezone.data or "",
            quiet_start=form.quiet_start.data,
            quiet_end=form.quiet_end.data,
            quiet_usual=form.quiet_usual.data,
            sms_enabled=form.sms_enabled.data,
            email_enabled=form.email_enabled.data,
            reminder_leads=list(form.reminder_leads.data or []),
            updates_by=form.updates_by.data or None,
            notes_by=(form.notes_by.data or None) if membership.manages else None,
        )
        with refusals(form=form) as attempt:
            preferences_update(member=membership, prefs=prefs)
        if attempt.ok:
            flash("Saved. We'll only ask about what suits you.", "success")
            return redirect(url_for("members.preferences", circle_id=circle.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "members/preferences.html",
        circle=circle,
        membership=membership,
        form=form,
        availability=availability,
        days=list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
        parts=PARTS_OF_DAY,
        user=user,
        usual_quiet=default_window(),
    ), status
