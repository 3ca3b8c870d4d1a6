"""Posting a need (pick a kind of help, then fill in its form), and managing a series."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from coordinator.categories import CATEGORIES
from coordinator.clock import AmbiguousTime, now
from coordinator.errors import DomainError
from coordinator.extensions import db
from coordinator.forms import form_error
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.needs import need_form_class
from coordinator.models.circles import Circle, Membership
from coordinator.models.needs import Need, Task
from coordinator.services.needs import need_cancel, need_post, need_update
from coordinator.services.recurrence import describe
from coordinator.services.tasks import claims_by_task
from coordinator.web.access import managing_view

bp = Blueprint("needs", __name__, url_prefix="/circles/<int:circle_id>/needs")


def _need(circle: Circle, need_id: int) -> Need:
    need = db.session.scalar(select(Need).where(Need.id == need_id, Need.circle_id == circle.id))
    if need is None:
        abort(404)
    return need


def _submit(form, action) -> tuple[object | None, bool]:
    """Run `action` with the form's input; returns (result, ambiguous) and puts errors on the form."""
    try:
        return action(form.to_input()), False
    except AmbiguousTime as error:
        db.session.rollback()
        form_error(form, error)
        return None, True
    except DomainError as error:
        db.session.rollback()
        form_error(form, error)
        return None, False


@bp.route("/new", methods=["GET", "POST"])
@managing_view()
def new(*, membership: Membership, circle: Circle):
    category = CATEGORIES.get(request.args.get("category", ""))
    if category is None:
        return render_template("needs/choose.html", circle=circle, categories=CATEGORIES.values())
    form = need_form_class(category)()
    ambiguous = False
    if form.validate_on_submit():
        need, ambiguous = _submit(form, lambda data: need_post(circle=circle, author=current_user, data=data))
        if need is not None:
            db.session.commit()
            count = len(need.tasks)
            flash(f"Posted “{need.title}”" + (f": {count} dates so far." if need.recurring else "."), "success")
            return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "needs/form.html", circle=circle, form=form, category=category, editing=None, ambiguous=ambiguous
    ), status


@bp.get("/<int:need_id>")
@managing_view()
def show(*, membership: Membership, circle: Circle, need_id: int):
    need = _need(circle, need_id)
    tasks = list(
        db.session.scalars(
            select(Task).where(Task.need_id == need.id, Task.ends_at > now()).order_by(Task.starts_at).limit(200)
        )
    )
    claims = claims_by_task([t.id for t in tasks])
    return render_template(
        "needs/show.html",
        circle=circle,
        need=need,
        tasks=tasks,
        claims=claims,
        category=CATEGORIES[need.category],
        pattern=describe(need.rrule, start=need.start_date),
        confirm=ConfirmForm(),
    )


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@managing_view()
def edit(*, membership: Membership, circle: Circle, need_id: int):
    need = _need(circle, need_id)
    if need.cancelled_at is not None:
        flash("That need was cancelled, so it can't be changed.", "error")
        return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
    category = CATEGORIES[need.category]
    form = need_form_class(category)(obj=None if request.method == "POST" else _prefill(need))
    ambiguous = False
    if form.validate_on_submit():
        _, ambiguous = _submit(form, lambda data: need_update(need=need, actor=current_user, data=data))
        if not form.errors and not form.form_errors:
            db.session.commit()
            flash("Saved. Upcoming dates are updated, and anyone affected will be told.", "success")
            return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "needs/form.html", circle=circle, form=form, category=category, editing=need, ambiguous=ambiguous
    ), status


def _prefill(need: Need):
    fields = dict(part.split("=", 1) for part in need.rrule.split(";") if "=" in part)
    values = {
        "title": need.title,
        "notes": need.notes,
        "address": need.address,
        "visibility": need.visibility,
        "capacity": need.capacity,
        "when": "by" if need.anytime else "at",
        "start_date": need.start_date,
        "start_time": need.start_time,
        "end_time": need.end_time,
        "frequency": "none"
        if not need.rrule
        else (
            "daily" if fields.get("FREQ") == "DAILY" else "fortnightly" if fields.get("INTERVAL") == "2" else "weekly"
        ),
        "weekdays": fields.get("BYDAY", "").split(",") if fields.get("BYDAY") else [],
        "ends": "count" if "COUNT" in fields else "until",
        "count": int(fields["COUNT"]) if "COUNT" in fields else None,
        "until": _until(fields.get("UNTIL")),
        "weeks": None,
    }
    values.update({f"detail_{k}": v for k, v in (need.details or {}).items()})
    return SimpleNamespace(**values)


def _until(value: str | None):
    return datetime.strptime(value[:8], "%Y%m%d").date() if value else None


@bp.post("/<int:need_id>/cancel")
@managing_view()
def cancel(*, membership: Membership, circle: Circle, need_id: int):
    need = _need(circle, need_id)
    if ConfirmForm().validate_on_submit():
        cancelled = need_cancel(need=need, actor=current_user)
        db.session.commit()
        flash(f"Cancelled “{need.title}” and {cancelled} upcoming date(s). Anyone who had one was told.", "success")
    return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
