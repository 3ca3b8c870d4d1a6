"""Starting a circle, the list of one's circles, and a circle's home page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from coordinator.errors import DomainError
from coordinator.extensions import db
from coordinator.forms import form_error
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.circles import CircleForm
from coordinator.models.circles import PATIENT, Circle, Membership
from coordinator.services.circles import circle_create, circle_members, circles_for_user
from coordinator.services.patient_checkins import drafts_pending_count
from coordinator.services.tasks import open_task_count
from coordinator.services.thanks import thanks_allowed, thanks_suggestions
from coordinator.web.access import circle_view, managing_view
from coordinator.web.members import inner_circle_change

bp = Blueprint("circles", __name__, url_prefix="/circles")


@bp.get("/")
@login_required
def index():
    memberships = circles_for_user(user=current_user)
    return render_template("circles/index.html", memberships=memberships)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = CircleForm()
    if not form.is_submitted():
        form.timezone.data = current_app.config["DEFAULT_TIMEZONE"]
        form.phone_region.data = current_app.config["DEFAULT_PHONE_REGION"]
    if form.validate_on_submit():
        try:
            circle = circle_create(
                creator=current_user,
                for_self=form.for_whom.data == "self",
                patient_name=form.patient_name.data or "",
                name=form.name.data or "",
                timezone=form.timezone.data,
                phone_region=form.phone_region.data,
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(f"{circle.name} is ready.", "success")
            return redirect(url_for("circles.show", circle_id=circle.id))
    return render_template("circles/new.html", form=form), 422 if form.errors else 200


@bp.get("/<int:circle_id>")
@circle_view()
def show(*, membership: Membership, circle: Circle):
    members = circle_members(circle_id=circle.id) if membership.manages else []
    may_thank = thanks_allowed(membership, circle_has_patient=any(m.role == PATIENT for m in members))
    return render_template(
        "circles/show.html",
        circle=circle,
        membership=membership,
        members=members,
        week_open=open_task_count(membership, days=7),
        confirm=ConfirmForm(),
        thanks=thanks_suggestions(circle_id=circle.id, exclude_user_id=membership.user_id) if may_thank else [],
        drafts_waiting=drafts_pending_count(circle_id=circle.id) if membership.manages else 0,
    )


@bp.route("/<int:circle_id>/members/<int:member_id>/inner-circle", methods=["GET", "POST"])
@managing_view()
def inner_circle(*, membership: Membership, circle: Circle, member_id: int):
    """In or out of the inner circle; the GET asks first (web/members.py holds the People page's actions)."""
    return inner_circle_change(membership=membership, circle=circle, member_id=member_id)
