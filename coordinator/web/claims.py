"""Taking a task, giving it back, marking it done; coordinators assigning people."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from coordinator.clock import local, now
from coordinator.forms.tasks import AssignForm, ClaimForm, ReleaseForm, TaskActionForm
from coordinator.models.circles import Circle, Membership
from coordinator.models.claims import ClaimStatus
from coordinator.services.care.claims import claim_assign, claim_done, claim_make, claim_release, claim_unassign
from coordinator.services.care.tasks import claims_by_task, task_for
from coordinator.services.health.load import LOAD_WEEKS, share_check
from coordinator.web.access import circle_view, managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals
from coordinator.web.security import safe_next_url
from coordinator.web.templating import task_when

bp = Blueprint("claims", __name__, url_prefix="/circles/<int:circle_id>/tasks/<int:task_id>")

SOON = timedelta(days=2)  # giving back a task this close gets a gentle word first


def _back(circle: Circle, task_id: int, form: TaskActionForm | ReleaseForm):
    """Back to the page the button was on (when it said, and it is on this site), else the task."""
    return redirect(safe_next_url(form.next.data) or url_for("tasks.show", circle_id=circle.id, task_id=task_id))


@bp.post("/claim")
@circle_view()
def claim(*, membership: Membership, circle: Circle, task_id: int):
    form = ClaimForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.anyway.data:
        heavy = share_check(membership=membership, task_id=task_id)  # a task they can't see is the 404 page
        if heavy is not None:  # a gentle word first: they may take it anyway, one tap
            back = safe_next_url(form.next.data) or url_for("tasks.index", circle_id=circle.id)
            return render_template("tasks/heavy.html", circle=circle, heavy=heavy, back=back, weeks=LOAD_WEEKS)
    with refusals(flash=True) as attempt:
        result = claim_make(membership=membership, task_id=task_id)
    if attempt.ok:
        flash("Thank you! It's yours. We'll remind you beforehand.", "success")
        for other in result.overlaps:
            when = local(other.starts_at, other.timezone)
            flash(
                f"Heads up: this overlaps “{other.need.title}” ({when:%a %-d %b %-I:%M%p}) that you already have.",
                "warning",
            )
    return _back(circle, task_id, form)


@bp.route("/release", methods=["GET", "POST"])
@circle_view()
def release(*, membership: Membership, circle: Circle, task_id: int):
    """Giving a task back asks once (what happens next, and a note to pass on); only the POST acts."""
    form = ReleaseForm(next=request.args.get("next"))  # a GET's `next` is in the address; a POST's in the form
    if request.method == "GET" or not form.validate_on_submit():
        return _release_question(membership, circle, task_id, form)
    with refusals(flash=True) as attempt:
        released = claim_release(membership=membership, task_id=task_id, note=form.note.data or "")
    if attempt.ok and released:
        flash("Done: you're off this one, and the coordinators know it needs someone.", "success")
    return _back(circle, task_id, form)


def _release_question(membership: Membership, circle: Circle, task_id: int, form: ReleaseForm):
    task = task_for(membership, task_id)  # one they can't see is the 404 page
    back = safe_next_url(form.next.data) or url_for("tasks.show", circle_id=circle.id, task_id=task_id)
    form.next.data = back  # the question's POST carries it (a hidden field of the form)
    mine = claims_by_task([task.id], user_id=membership.user_id).get(task.id, [])
    held = [c for c in mine if c.status == ClaimStatus.HELD]
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
    )
    return confirmation_page(confirmation, form=form), 422 if form.errors else 200


@bp.post("/done")
@circle_view()
def done(*, membership: Membership, circle: Circle, task_id: int):
    form = TaskActionForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals(flash=True) as attempt:
        marked = claim_done(membership=membership, task_id=task_id)
    if attempt.ok and marked:
        flash("Marked as done. Thank you for helping!", "success")
    return _back(circle, task_id, form)


@bp.post("/assign")
@managing_view()
def assign(*, membership: Membership, circle: Circle, task_id: int):
    task_for(membership, task_id)  # one they can't see is the 404 page, before anything about the form
    form = AssignForm()
    form.user_id.choices = []
    if not form.validate_on_submit() or not form.user_id.data:
        flash("Choose someone to sign up.", "error")
        return _back(circle, task_id, form)
    with refusals(flash=True) as attempt:
        result = claim_assign(manager=membership, task_id=task_id, user_id=form.user_id.data)
    if attempt.ok:
        flash(f"Signed {result.claim.user.name} up. They'll get a text.", "success")
    return _back(circle, task_id, form)


@bp.route("/unassign/<int:user_id>", methods=["GET", "POST"])
@managing_view()
def unassign(*, membership: Membership, circle: Circle, task_id: int, user_id: int):
    """Taking someone off a task asks once; they get a text, and the task needs someone again."""
    if request.method == "GET":
        return _unassign_question(membership, circle, task_id, user_id)
    form = TaskActionForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals(flash=True) as attempt:
        released = claim_unassign(manager=membership, task_id=task_id, user_id=user_id)
    if attempt.ok and released:
        flash("Taken off the task. They'll get a text.", "success")
    return _back(circle, task_id, form)


def _unassign_question(membership: Membership, circle: Circle, task_id: int, user_id: int):
    task = task_for(membership, task_id)
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
