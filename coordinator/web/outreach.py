"""The page a coordinator's alert links to: ask everyone, or mark the task covered another way."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from coordinator.categories import CATEGORIES
from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.forms.accounts import ConfirmForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.care.tasks import claims_by_task, task_for
from coordinator.services.health.outreach import ask_everyone, ask_picture, covered_elsewhere
from coordinator.web.access import managing_view

bp = Blueprint("outreach", __name__, url_prefix="/circles/<int:circle_id>/tasks/<int:task_id>/help")


def _task(membership: Membership, task_id: int):
    try:
        return task_for(membership, task_id)
    except NotFound:
        abort(404)


@bp.get("")
@managing_view()
def task(*, membership: Membership, circle: Circle, task_id: int):
    found = _task(membership, task_id)
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
    found = _task(membership, task_id)
    if ConfirmForm().validate_on_submit():
        asked = ask_everyone(task=found, actor=membership)
        db.session.commit()
        flash(
            f"Asked {asked} more {'person' if asked == 1 else 'people'}. We'll let you know if it's still open tomorrow."
            if asked
            else "Everyone who can be asked already has been.",
            "success",
        )
    return redirect(url_for("outreach.task", circle_id=circle.id, task_id=task_id))


@bp.post("/covered")
@managing_view()
def covered(*, membership: Membership, circle: Circle, task_id: int):
    found = _task(membership, task_id)
    if ConfirmForm().validate_on_submit():
        covered_elsewhere(task=found, actor=membership)
        db.session.commit()
        flash("Marked as covered. Nobody else will be asked about it.", "success")
    return redirect(url_for("outreach.task", circle_id=circle.id, task_id=task_id))
