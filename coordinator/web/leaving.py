"""Leaving a circle, deleting one's account, and closing a circle (or keeping it after all).

Each is a GET that says plainly what will happen (web/confirming.py) and a
POST from that page that does it; one stray tap never does any of them. Only
keeping a closing circle, which takes nothing away, is a single button (on the
banner every closing circle's pages show its patient and coordinators).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, logout_user

from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.leaving import CloseCircleForm, DeleteAccountForm
from coordinator.models.circles import PATIENT, Circle, Membership
from coordinator.services.people.closing import (
    circle_close,
    circle_close_cancel,
    circle_close_check,
    closes_on,
    grace_choices,
)
from coordinator.services.people.leaving import (
    account_delete,
    account_delete_blocker,
    member_leave,
    member_leave_check,
)
from coordinator.services.people.members import member_upcoming_tasks
from coordinator.web.access import circle_view, managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals
from coordinator.web.members_confirm import tasks_in_words

bp = Blueprint("leaving", __name__)
INVALID = 422


@bp.route("/circles/<int:circle_id>/leave", methods=["GET", "POST"])
@circle_view()
def leave(*, membership: Membership, circle: Circle):
    with refusals(flash=True, commit=False) as allowed:
        member_leave_check(member=membership)
    if not allowed.ok:
        return redirect(url_for("circles.show", circle_id=circle.id))
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            member_leave(member=membership)
        if attempt.ok:
            flash(f"You've left {circle.name}. Thank you for all you did.", "success")
            return redirect(url_for("circles.index"))
    return confirmation_page(_leave_confirmation(membership, circle))


def _leave_confirmation(membership: Membership, circle: Circle) -> Confirmation:
    tasks = member_upcoming_tasks(member=membership)
    if tasks:
        what = "task" if len(tasks) == 1 else f"{len(tasks)} tasks"
        reopened = f"Your upcoming {what} ({tasks_in_words(tasks)}) will need someone again."
    else:
        reopened = "You haven't said yes to any upcoming task, so nothing is left without a helper."
    return Confirmation(
        title=f"Leave {circle.name}?",
        action=url_for("leaving.leave", circle_id=circle.id),
        button="Leave the circle",
        back=url_for("members.preferences", circle_id=circle.id),
        back_label="Stay in the circle",
        consequences=(
            reopened,
            "The coordinators will be told you've left.",
            "You won't get texts or emails from this circle any more, and you won't see it.",
            "To come back later, ask a coordinator to invite you again.",
        ),
    )


@bp.route("/circles/<int:circle_id>/close", methods=["GET", "POST"])
@circle_view(roles=(PATIENT,))
def close(*, membership: Membership, circle: Circle):
    with refusals(flash=True, commit=False) as allowed:
        circle_close_check(actor=membership)
    if not allowed.ok:
        return redirect(url_for("circles.show", circle_id=circle.id))
    form = CloseCircleForm()
    form.offer(grace_choices(), current_app.config["CIRCLE_PURGE_GRACE_DAYS"])
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            circle_close(actor=membership, grace_days=form.grace_days.data)
        if attempt.ok:
            flash(
                f"{circle.name} is closed. Everyone has been told. It will be deleted on {closes_on(circle)}.",
                "success",
            )
            return redirect(url_for("circles.show", circle_id=circle.id))
    status = INVALID if form.errors or form.form_errors else 200
    return confirmation_page(_close_confirmation(circle), form=form, template="leaving/close.html"), status


def _close_confirmation(circle: Circle) -> Confirmation:
    return Confirmation(
        title=f"Close {circle.name}?",
        lead="When you no longer need the circle, you can close it. Here is what happens.",
        action=url_for("leaving.close", circle_id=circle.id),
        button="Close the circle",
        back=url_for("circles.show", circle_id=circle.id),
        back_label="Keep the circle",
        consequences=(
            "Nobody can ask for help, take a task or invite anyone from then on.",
            "Reminders and asks still waiting are cancelled, and everyone gets one last message saying it has closed.",
            "After the time you choose below, the circle is deleted: its needs, tasks, messages and history.",
            "Until then, you or a coordinator can keep it after all.",
        ),
    )


@bp.post("/circles/<int:circle_id>/close/cancel")
@managing_view()
def close_cancel(*, membership: Membership, circle: Circle):
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            circle_close_cancel(actor=membership)
        if attempt.ok:
            flash(f"{circle.name} stays open. Nothing will be deleted.", "success")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    blocker = account_delete_blocker(user=current_user)
    if blocker is not None:
        flash("Your circle is still open. Close it first; then you can delete your account.", "error")
        return redirect(url_for("leaving.close", circle_id=blocker.id))
    form = DeleteAccountForm() if current_user.password_hash else None
    if (form or ConfirmForm()).validate_on_submit():
        with refusals(form=form, flash=form is None) as attempt:
            account_delete(user=current_user, password=form.password.data if form else None)
        if attempt.ok:
            logout_user()
            session.clear()
            flash("Your account is deleted. Everything that could identify or reach you is gone.", "success")
            return redirect(url_for("home.index"))
    status = INVALID if form is not None and (form.errors or form.form_errors) else 200
    return confirmation_page(_delete_confirmation(), form=form), status


def _delete_confirmation() -> Confirmation:
    return Confirmation(
        title="Delete your account?",
        lead="This can't be undone.",
        action=url_for("leaving.delete_account"),
        button="Delete my account",
        back=url_for("accounts.account"),
        back_label="Keep my account",
        consequences=(
            "Your name, email, mobile number and password are erased now, and you're signed out everywhere.",
            "You leave every circle you're in. Tasks you said yes to will need someone again, "
            "and the coordinators will be told.",
            "What you did for each circle stays in its history as “A former member”, without your name.",
            "Texts and emails waiting for you are cancelled.",
            "You can sign up again later with the same email, as a new person.",
        ),
    )
