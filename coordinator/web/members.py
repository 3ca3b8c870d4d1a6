"""The people page (roles, removal, inner circle, whether names are shared) and my preferences."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.errors import DomainError
from coordinator.extensions import db
from coordinator.forms import form_error
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.invitations import PreferencesForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.circles import circle_members
from coordinator.services.members import (
    PARTS_OF_DAY,
    Preferences,
    can_grant_roles,
    circle_names_visible,
    member_get,
    member_remove,
    member_set_role,
    preferences_update,
)
from coordinator.services.phones import phone_display
from coordinator.services.recurrence import WEEKDAY_NAMES, WEEKDAYS
from coordinator.web.access import circle_view, managing_view

bp = Blueprint("members", __name__, url_prefix="/circles/<int:circle_id>")


@bp.get("/people")
@circle_view()
def index(*, membership: Membership, circle: Circle):
    if not membership.manages and not circle.names_visible:
        members = []
    else:
        members = circle_members(circle_id=circle.id)
    return render_template(
        "members/index.html",
        circle=circle,
        membership=membership,
        members=members,
        grant=membership.manages and can_grant_roles(membership),
        phone_display=phone_display,
        confirm=ConfirmForm(),
    )


def _member_or_404(circle: Circle, member_id: int) -> Membership:
    try:
        return member_get(circle_id=circle.id, member_id=member_id)
    except DomainError:
        abort(404)


def _change_member(circle: Circle, member_id: int, change, success: str):
    """A confirmed button about one member: run the service, commit, say what happened (or why not)."""
    member = _member_or_404(circle, member_id)
    if ConfirmForm().validate_on_submit():
        try:
            change(member)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(success.format(name=member.user.name), "success")
    return redirect(url_for("members.index", circle_id=circle.id))


@bp.post("/people/<int:member_id>/role/<any(coordinator, supporter):role>")
@managing_view()
def role(*, membership: Membership, circle: Circle, member_id: int, role: str):
    change = lambda member: member_set_role(actor=membership, member=member, role=role)  # noqa: E731
    return _change_member(circle, member_id, change, "{name} is now a " + role + ".")


@bp.post("/people/<int:member_id>/remove")
@managing_view()
def remove(*, membership: Membership, circle: Circle, member_id: int):
    change = lambda member: member_remove(actor=membership, member=member)  # noqa: E731
    return _change_member(circle, member_id, change, "{name} is no longer in the circle. Their tasks are open again.")


@bp.post("/people/names/<any(shown, hidden):choice>")
@managing_view()
def names(*, membership: Membership, circle: Circle, choice: str):
    if ConfirmForm().validate_on_submit():
        circle_names_visible(circle=circle, actor=current_user, visible=choice == "shown")
        db.session.commit()
        flash(
            "Supporters can now see each other's names."
            if choice == "shown"
            else "Supporters now see only their own name.",
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
        form.quiet_start.data, form.quiet_end.data = user.quiet_start, user.quiet_end
        form.sms_enabled.data, form.email_enabled.data = user.sms_enabled, user.email_enabled
    availability = (
        {day: request.form.getlist(f"avail-{day}") for day in WEEKDAYS}
        if request.method == "POST"
        else membership.availability or {}
    )
    if form.validate_on_submit():
        prefs = Preferences(
            categories=list(form.categories.data or []),
            availability=availability,
            asks_per_week=form.asks_per_week.data,
            timezone=form.timezone.data or "",
            quiet_start=form.quiet_start.data,
            quiet_end=form.quiet_end.data,
            sms_enabled=form.sms_enabled.data,
            email_enabled=form.email_enabled.data,
            reminder_leads=list(form.reminder_leads.data or []),
        )
        try:
            preferences_update(member=membership, prefs=prefs)
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
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
    ), status
