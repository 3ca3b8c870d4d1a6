"""Starting a circle, the list of one's circles, and a circle's home page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.circles import CircleForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.care.circle_home import manager_home, supporter_home
from coordinator.services.care.thanks import thanks_allowed, thanks_suggestions
from coordinator.services.people.circles import circle_create, circles_for_user
from coordinator.services.people.joining import join_requests_of
from coordinator.services.people.setup import circle_counts, setup_steps
from coordinator.services.updates.reading import update_latest
from coordinator.web.access import circle_view, managing_view
from coordinator.web.edge import refusals
from coordinator.web.members import inner_circle_change

bp = Blueprint("circles", __name__, url_prefix="/circles")


@bp.get("/")
@login_required
def index():
    """Someone in one circle goes straight into it; otherwise their circles and any requests still waiting."""
    memberships = circles_for_user(user=current_user)
    waiting = join_requests_of(user=current_user)
    if len(memberships) == 1 and not waiting:
        return redirect(url_for("circles.show", circle_id=memberships[0].circle_id))
    return render_template(
        "circles/index.html",
        memberships=memberships,
        waiting=waiting,
        organises=any(m.manages for m in memberships),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = CircleForm()
    if not form.is_submitted():
        form.timezone.data = current_app.config["DEFAULT_TIMEZONE"]
        form.phone_region.data = current_app.config["DEFAULT_PHONE_REGION"]
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            circle = circle_create(
                creator=current_user,
                for_self=form.for_whom.data == "self",
                patient_name=form.patient_name.data or "",
                name=form.name.data or "",
                timezone=form.timezone.data,
                phone_region=form.phone_region.data,
            )
        if attempt.ok:
            flash(f"{circle.name} is ready.", "success")
            return redirect(url_for("circles.show", circle_id=circle.id))
    return render_template("circles/new.html", form=form), 422 if form.errors else 200


@bp.get("/<int:circle_id>")
@circle_view()
def show(*, membership: Membership, circle: Circle):
    """The circle's first page: what waits on this person, by role (services/care/circle_home.py)."""
    if not membership.manages:
        return render_template(
            "circles/show.html",
            circle=circle,
            membership=membership,
            home=supporter_home(membership),
            latest_update=update_latest(membership),
        )
    counts = circle_counts(circle)
    home = manager_home(membership, waiting=counts.waiting)
    steps = setup_steps(circle, viewer=membership, counts=counts)
    may_thank = thanks_allowed(membership, circle_has_patient=steps[0].patient_here)
    return render_template(
        "circles/show.html",
        circle=circle,
        membership=membership,
        home=home,
        setup=steps,
        confirm=ConfirmForm(),
        thanks=thanks_suggestions(circle_id=circle.id, exclude_user_id=membership.user_id) if may_thank else [],
        drafts_waiting=counts.drafts,
        latest_update=update_latest(membership),
    )


@bp.route("/<int:circle_id>/members/<int:member_id>/inner-circle", methods=["GET", "POST"])
@managing_view()
def inner_circle(*, membership: Membership, circle: Circle, member_id: int):
    """In or out of the inner circle; the GET asks first (web/members.py holds the People page's actions)."""
    return inner_circle_change(membership=membership, circle=circle, member_id=member_id)
