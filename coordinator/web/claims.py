"""Taking a task, giving it back, marking it done; coordinators assigning people."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from coordinator.clock import local, now
from coordinator.errors import Conflict, NotFound
from coordinator.extensions import db
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.tasks import AssignForm, ReleaseForm
from coordinator.models.circles import Circle, Membership
from coordinator.models.claims import HELD
from coordinator.services.care.claims import claim_assign, claim_done, claim_make, claim_release, claim_unassign
from coordinator.services.care.tasks import claims_by_task, task_for
from coordinator.services.health.load import LOAD_WEEKS, share_check
from coordinator.web.access import circle_view, managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.security import safe_next_url
from coordinator.web.templating import task_when

bp = Blueprint("claims", __name__, url_prefix="/circles/<int:circle_id>/tasks/<int:task_id>")


def _back(circle: Circle, task_id: int):
    target = safe_next_url(request.form.get("next"))
    return redirect(target or url_for("tasks.show", circle_id=circle.id, task_id=task_id))


SOON = timedelta(days=2)  # giving back a task this close gets a gentle word first


class _Refused(Exception):
    """A service said no; the message is already flashed."""


def _commit(action):
    """Run one service call and commit; refusals become a message, unseen things a 404."""
    try:
        result = action()
    except NotFound as error:
        db.session.rollback()
        if not error.field:
            abort(404)
        flash(error.message, "error")
        raise _Refused from None
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "error")
        raise _Refused from None
    db.session.commit()
    return result


@bp.post("/claim")
@circle_view()
def claim(*, membership: Membership, circle: Circle, task_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not request.form.get("anyway"):
        try:
            heavy = share_check(membership=membership, task_id=task_id)
        except NotFound:
            abort(404)
        if heavy is not None:  # a gentle word first: they may take it anyway, one tap
            back = safe_next_url(request.form.get("next")) or url_for("tasks.index", circle_id=circle.id)
            return render_template("tasks/heavy.html", circle=circle, heavy=heavy, back=back, weeks=LOAD_WEEKS)
    try:
        result = _commit(lambda: claim_make(membership=membership, task_id=task_id))
    except _Refused:
        return _back(circle, task_id)
    flash("Thank you! It's yours. We'll remind you beforehand.", "success")
    for other in result.overlaps:
        when = local(other.starts_at, other.timezone)
        flash(
            f"Heads up: this overlaps “{other.need.title}” ({when:%a %-d %b %-I:%M%p}) that you already have.",
            "warning",
        )
    return _back(circle, task_id)


@bp.route("/release", methods=["GET", "POST"])
@circle_view()
def release(*, membership: Membership, circle: Circle, task_id: int):
    """Giving a task back asks once (what happens next, and a note to pass on); only the POST acts."""
    form = ReleaseForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _release_question(membership, circle, task_id, form)
    try:
        released = claim_release(membership=membership, task_id=task_id, note=form.note.data or "")
    except NotFound:
        abort(404)
    db.session.commit()
    if released:
        flash("Done: you're off this one, and the coordinators know it needs someone.", "success")
    return _back(circle, task_id)


def _release_question(membership: Membership, circle: Circle, task_id: int, form: ReleaseForm):
    try:
        task = task_for(membership, task_id)
    except NotFound:
        abort(404)
    back = safe_next_url(request.values.get("next")) or url_for("tasks.show", circle_id=circle.id, task_id=task_id)
    held = [c for c in claims_by_task([task.id], user_id=membership.user_id).get(task.id, []) if c.status == HELD]
    if not held:
        flash("You don't have this one, so there's nothing to give back.", "info")
        return redirect(back)
    soon = task.starts_at - now() < SOON
    confirmation = Confirmation(
        title=f"Give back “{task.need.title}”?",
        lead=f"{task_when(task)}." + (" That's very soon, so please only if you really can't." if soon else ""),
        consequences=(
            "It will need someone again, and the coordinators will be told straight away.",
            "We'll ask others who can help. You won't get reminders for it any more.",
        ),
        action=url_for("claims.release", circle_id=circle.id, task_id=task_id),
        button="Yes, give it back",
        back=back,
        back_label="No, I'll still do it",
        fields={"next": back},
    )
    return confirmation_page(confirmation, form=form), 422 if form.errors else 200


@bp.post("/done")
@circle_view()
def done(*, membership: Membership, circle: Circle, task_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        marked = _commit(lambda: claim_done(membership=membership, task_id=task_id))
    except _Refused:
        return _back(circle, task_id)
    if marked:
        flash("Marked as done. Thank you for helping!", "success")
    return _back(circle, task_id)


@bp.post("/assign")
@managing_view()
def assign(*, membership: Membership, circle: Circle, task_id: int):
    form = AssignForm()
    form.user_id.choices = []
    if not form.validate_on_submit() or not form.user_id.data:
        flash("Choose someone to sign up.", "error")
        return _back(circle, task_id)
    try:
        result = _commit(lambda: claim_assign(manager=membership, task_id=task_id, user_id=form.user_id.data))
    except _Refused:
        return _back(circle, task_id)
    flash(f"Signed {result.claim.user.name} up. They'll get a text.", "success")
    return _back(circle, task_id)


@bp.route("/unassign/<int:user_id>", methods=["GET", "POST"])
@managing_view()
def unassign(*, membership: Membership, circle: Circle, task_id: int, user_id: int):
    """Taking someone off a task asks once; they get a text, and the task needs someone again."""
    if request.method == "GET":
        return _unassign_question(membership, circle, task_id, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        released = _commit(lambda: claim_unassign(manager=membership, task_id=task_id, user_id=user_id))
    except _Refused:
        return _back(circle, task_id)
    if released:
        flash("Taken off the task. They'll get a text.", "success")
    return _back(circle, task_id)


def _unassign_question(membership: Membership, circle: Circle, task_id: int, user_id: int):
    try:
        task = task_for(membership, task_id)
    except NotFound:
        abort(404)
    holder = next((c.user for c in claims_by_task([task.id]).get(task.id, []) if c.user_id == user_id), None)
    if holder is None:
        abort(404)
    back = url_for("tasks.show", circle_id=circle.id, task_id=task_id)
    confirmation = Confirmation(
        title=f"Take {holder.name} off “{task.need.title}”?",
        lead=f"{task_when(task)}.",
        consequences=(
            f"{holder.first_name} will get a text saying they're no longer down for it.",
            "It will need someone again.",
        ),
        action=url_for("claims.unassign", circle_id=circle.id, task_id=task_id, user_id=user_id),
        button=f"Take {holder.first_name} off",
        back=back,
        back_label="No, keep them on it",
    )
    return confirmation_page(confirmation)
