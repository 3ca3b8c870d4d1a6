"""The page a coordinator's alert links to: ask everyone, or mark the task covered another way."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from coordinator.categories import CATEGORIES
from coordinator.forms.accounts import ConfirmForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.care.tasks import claims_by_task, task_for
from coordinator.services.health.ask_picture import ask_picture
from coordinator.services.health.outreach import ask_everyone, covered_elsewhere
from coordinator.web.access import managing_view
from coordinator.web.edge import refusals

bp = Blueprint("outreach", __name__, url_prefix="/circles/<int:circle_id>/tasks/<int:task_id>/help")


@bp.get("")
@managing_view()
def task(*, membership: Membership, circle: Circle, task_id: int):
    found = task_for(membership, task_id)  # one they can't see is the 404 page
    return render_template(
        "outreach/task.html",
        circle=circle,
        membership=membership,
        task=found,
        category=CATEGORIES[found.need.category],
        claims=claims_by_task([found.id]).get(found.id, []),
        picture=ask_picture(task=found, circle=circle),
        confirm=ConfirmForm(),
    )


@bp.post("/everyone")
@managing_view()
def everyone(*, membership: Membership, circle: Circle, task_id: int):
    found = task_for(membership, task_id)
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            asked = ask_everyone(task=found, actor=membership)
        if attempt.ok:
            flash(_asked_words(asked), "success")
    return redirect(url_for("outreach.task", circle_id=circle.id, task_id=task_id))


@bp.post("/covered")
@managing_view()
def covered(*, membership: Membership, circle: Circle, task_id: int):
    found = task_for(membership, task_id)
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            covered_elsewhere(task=found, actor=membership)
        if attempt.ok:
            flash("Marked as covered. Nobody else will be asked about it.", "success")
    return redirect(url_for("outreach.task", circle_id=circle.id, task_id=task_id))


def _asked_words(asked: int) -> str:
    if not asked:
        return "Everyone who can be asked already has been."
    return f"Asked {asked} more {'person' if asked == 1 else 'people'}. We'll let you know if it's still open tomorrow."
