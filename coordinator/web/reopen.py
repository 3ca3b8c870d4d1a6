"""Reopening a quiet circle: choose who to ask, the patient approves, people answer by link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from coordinator.extensions import limiter
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.reopen import ReopenAnswerForm, ReopenForm, ReopenReviewForm
from coordinator.models.circles import PATIENT, Circle, Membership
from coordinator.models.invitations import ReopeningStatus
from coordinator.services.health.reopen import (
    answer_by_token,
    answer_membership,
    former_supporters,
    reopen_answer,
    reopen_default_message,
    reopen_pending,
    reopen_request,
    reopen_send,
    reopen_withdraw,
)
from coordinator.web.access import circle_view, managing_view
from coordinator.web.edge import refusals
from coordinator.web.limits import configured_limit
from coordinator.web.signing_in import cookie_set, session_open

bp = Blueprint("reopen", __name__)


@bp.route("/circles/<int:circle_id>/reopen", methods=["GET", "POST"])
@managing_view()
def start(*, membership: Membership, circle: Circle):
    candidates = former_supporters(circle_id=circle.id)
    pending = reopen_pending(circle_id=circle.id)
    form = ReopenForm(message=reopen_default_message(circle=circle))
    chosen = {m.id for m, quiet in candidates if quiet}
    error = None
    if form.validate_on_submit():
        chosen = set(form.member_ids.data or [])
        with refusals(form=form) as attempt:
            reopening = reopen_request(actor=membership, member_ids=sorted(chosen), message=form.message.data)
        error = attempt.message or None  # the page shows it in its own summary, above the checkboxes
        if attempt.ok:
            if reopening.status == ReopeningStatus.SENT:
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
        message=form.message.data,
        pending=pending,
        error=error,
        confirm=ConfirmForm(),
    ), (422 if error else 200)


@bp.route("/circles/<int:circle_id>/reopen/review", methods=["GET", "POST"])
@circle_view(roles=(PATIENT,))
def review(*, membership: Membership, circle: Circle):
    pending = reopen_pending(circle_id=circle.id)
    form = ReopenReviewForm()
    if form.validate_on_submit() and pending is not None:
        sending = form.decision.data == "send"
        with refusals(flash=True) as attempt:
            if sending:
                asked = reopen_send(reopening=pending, approver=current_user)
            else:
                reopen_withdraw(reopening=pending)
        if attempt.ok:
            flash(
                f"Sent to {asked} people. We'll tell the coordinators who says yes."
                if sending
                else "Nothing was sent.",
                "success",
            )
        return redirect(url_for("circles.show", circle_id=circle.id))
    names = {m.id: m.user.name for m, _ in former_supporters(circle_id=circle.id)}
    return render_template(
        "reopen/review.html", circle=circle, membership=membership, pending=pending, names=names, confirm=ConfirmForm()
    )


@bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("INVITATION_LIMIT_PER_IP"))
def answer(token: str):
    with refusals(commit=False) as lookup:  # an unknown link is the 404 page
        found = answer_by_token(token)
    if not lookup.ok:
        return render_template("invitations/expired.html", message=lookup.message), 410
    membership = answer_membership(found)
    form = ReopenAnswerForm()
    if form.validate_on_submit():
        yes, person = form.answer.data == "yes", membership.user  # held across the commit, with its session
        with refusals() as attempt:
            reopen_answer(answer=found, yes=yes)
            if yes:
                session_open(person, method="reopen_link")
        if not attempt.ok:
            return render_template("invitations/expired.html", message=attempt.message), 410
        if yes:
            cookie_set(person)
            flash(f"Thank you, {person.first_name}! Here's what would help right now.", "success")
            return redirect(url_for("tasks.index", circle_id=membership.circle_id))
        return render_template("reopen/thanks.html", circle=membership.circle)
    return render_template("reopen/answer.html", membership=membership, circle=membership.circle, confirm=ConfirmForm())
