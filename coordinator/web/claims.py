"""Taking a task, giving it back, marking it done; coordinators assigning people."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from coordinator.clock import local
from coordinator.errors import Conflict, NotFound
from coordinator.extensions import db
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.tasks import AssignForm, ReleaseForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.claims import claim_assign, claim_done, claim_make, claim_release, claim_unassign
from coordinator.services.health import LOAD_WEEKS, share_check
from coordinator.web.access import circle_view, managing_view
from coordinator.web.security import safe_next_url

bp = Blueprint("claims", __name__, url_prefix="/circles/<int:circle_id>/tasks/<int:task_id>")


def _back(circle: Circle, task_id: int):
    target = safe_next_url(request.form.get("next"))
    return redirect(target or url_for("tasks.show", circle_id=circle.id, task_id=task_id))


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


@bp.post("/release")
@circle_view()
def release(*, membership: Membership, circle: Circle, task_id: int):
    form = ReleaseForm()
    if not form.validate_on_submit():
        flash(" ".join(form.note.errors) or "Please try again.", "error")
        return _back(circle, task_id)
    try:
        released = claim_release(membership=membership, task_id=task_id, note=form.note.data or "")
    except NotFound:
        abort(404)
    db.session.commit()
    if released:
        flash("Done: you're off this one, and the coordinators know it needs someone.", "success")
    return _back(circle, task_id)


@bp.post("/done")
@circle_view()
def done(*, membership: Membership, circle: Circle, task_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        marked = claim_done(membership=membership, task_id=task_id)
    except NotFound:
        abort(404)
    db.session.commit()
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


@bp.post("/unassign/<int:user_id>")
@managing_view()
def unassign(*, membership: Membership, circle: Circle, task_id: int, user_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        released = _commit(lambda: claim_unassign(manager=membership, task_id=task_id, user_id=user_id))
    except _Refused:
        return _back(circle, task_id)
    if released:
        flash("Taken off the task. They'll get a text.", "success")
    return _back(circle, task_id)
