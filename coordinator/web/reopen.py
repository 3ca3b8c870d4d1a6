"""Reopening a quiet circle: choose who to ask, the patient approves, people answer by link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.errors import DomainError, Expired, NotFound
from coordinator.extensions import db, limiter
from coordinator.forms.accounts import ConfirmForm
from coordinator.models.circles import PATIENT, Circle, Membership
from coordinator.services.health.reopen import (
    answer_by_token,
    former_supporters,
    reopen_answer,
    reopen_default_message,
    reopen_pending,
    reopen_request,
    reopen_send,
    reopen_withdraw,
)
from coordinator.web.access import circle_view, managing_view
from coordinator.web.accounts import sign_in_user
from coordinator.web.limits import configured_limit

bp = Blueprint("reopen", __name__)


@bp.route("/circles/<int:circle_id>/reopen", methods=["GET", "POST"])
@managing_view()
def start(*, membership: Membership, circle: Circle):
    candidates = former_supporters(circle_id=circle.id)
    pending = reopen_pending(circle_id=circle.id)
    message = request.form.get("message", reopen_default_message(circle=circle))
    chosen = {m.id for m, quiet in candidates if quiet}
    error = None
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        chosen = {int(v) for v in request.form.getlist("member_ids") if v.isdigit()}
        try:
            reopening = reopen_request(actor=membership, member_ids=sorted(chosen), message=message)
        except DomainError as problem:
            db.session.rollback()
            error = problem.message
        else:
            db.session.commit()
            if reopening.status == "sent":
                flash(
                    f"Sent. {len(reopening.member_ids)} people were asked whether they can help this time.", "success"
                )
            else:
                flash(f"{circle.patient_first_name} will look it over before anything is sent.", "success")
            return redirect(url_for("reopen.start", circle_id=circle.id))
    return render_template(
        "reopen/start.html",
        circle=circle,
        membership=membership,
        candidates=candidates,
        chosen=chosen,
        message=message,
        pending=pending,
        error=error,
        confirm=ConfirmForm(),
    ), (422 if error else 200)


@bp.route("/circles/<int:circle_id>/reopen/review", methods=["GET", "POST"])
@circle_view(roles=(PATIENT,))
def review(*, membership: Membership, circle: Circle):
    pending = reopen_pending(circle_id=circle.id)
    if request.method == "POST" and ConfirmForm().validate_on_submit() and pending is not None:
        if request.form.get("decision") == "send":
            asked = reopen_send(reopening=pending, approver=current_user)
            flash(f"Sent to {asked} people. We'll tell the coordinators who says yes.", "success")
        else:
            reopen_withdraw(reopening=pending)
            flash("Nothing was sent.", "success")
        db.session.commit()
        return redirect(url_for("circles.show", circle_id=circle.id))
    names = {m.id: m.user.name for m, _ in former_supporters(circle_id=circle.id)}
    return render_template(
        "reopen/review.html", circle=circle, membership=membership, pending=pending, names=names, confirm=ConfirmForm()
    )


@bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("INVITATION_LIMIT_PER_IP"))
def answer(token: str):
    try:
        found = answer_by_token(token)
    except (NotFound, Expired) as error:
        code = 410 if isinstance(error, Expired) else 404
        return render_template("invitations/expired.html", message=error.message), code
    membership = db.session.get(Membership, found.membership_id)
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        yes = request.form.get("answer") == "yes"
        try:
            reopen_answer(answer=found, yes=yes)
        except DomainError as error:
            db.session.rollback()
            return render_template("invitations/expired.html", message=error.message), 410
        if yes:
            sign_in_user(membership.user, method="reopen_link")
            flash(f"Thank you, {membership.user.first_name}! Here's what would help right now.", "success")
            return redirect(url_for("tasks.index", circle_id=membership.circle_id))
        db.session.commit()
        return render_template("reopen/thanks.html", circle=membership.circle)
    return render_template("reopen/answer.html", membership=membership, circle=membership.circle, confirm=ConfirmForm())
