"""Browsing tasks: the list, the week calendar, "my tasks", one task, and editing one occurrence."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.categories import CATEGORIES
from coordinator.clock import AmbiguousTime, dayfirst_for, last_plannable, local, parse_date, today_in, zone_label
from coordinator.errors import Invalid
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.fields import date_meta
from coordinator.forms.tasks import AssignForm, ReleaseForm, TaskEditForm
from coordinator.models.circles import PATIENT, Circle, Membership
from coordinator.services.care.plan_views import treatment_marks
from coordinator.services.care.task_changes import task_cancel, task_update
from coordinator.services.care.task_lists import SCREEN_DAYS, claimers_by_task, task_screen, week_days
from coordinator.services.care.tasks import (
    TaskFilter,
    can_see_address,
    claims_by_task,
    held_overlaps,
    task_for,
    tasks_mine,
)
from coordinator.services.health.load import above_share
from coordinator.services.people.circles import circle_members
from coordinator.web.access import circle_view, managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals

bp = Blueprint("tasks", __name__, url_prefix="/circles/<int:circle_id>")


def _date_arg(name: str) -> date | None:
    """A date from the query string (a picker's 2026-12-03, or typed the circle's way); None when it isn't one."""
    text, circle = request.args.get(name, ""), g.get("circle")
    if not text:
        return None
    try:
        if circle is None:
            return parse_date(text)
        return parse_date(text, today=today_in(circle.timezone), dayfirst=dayfirst_for(circle.phone_region))
    except Invalid:
        return None


@bp.get("/tasks")
@circle_view()
def index(*, membership: Membership, circle: Circle):
    filters = TaskFilter(
        category=request.args.get("category") or None,
        start=_date_arg("from"),
        end=_date_arg("to"),
        open_only=request.args.get("show") != "all",  # by default, what still needs someone
    )
    skip = request.args.get("skip", 0, type=int) if filters.start else 0  # of the first day's tasks, already shown
    screen = task_screen(membership, filters, today=today_in(circle.timezone), skip=skip)
    ids = [t.id for t in screen.tasks]
    claims = claimers_by_task(ids) if membership.manages else claimers_by_task(ids, user_id=membership.user_id)
    return render_template(
        "tasks/index.html",
        circle=circle,
        membership=membership,
        tasks=screen.tasks,
        claims=claims,
        overlaps=held_overlaps(membership.user_id, screen.tasks),
        mine={task_id for task_id, held in claims.items() if any(c.user_id == membership.user_id for c in held)},
        filters=filters,
        categories=CATEGORIES,
        screen=screen,
        screen_days=SCREEN_DAYS,
    )


@bp.get("/calendar")
@circle_view()
def week(*, membership: Membership, circle: Circle):
    today = today_in(circle.timezone)
    # Weeks from the circle's first to the furthest anyone can plan; a date outside shows the nearest one.
    first = min(local(circle.created_at, circle.timezone).date(), today) if circle.created_at else today
    first, last = first - timedelta(days=first.weekday()), last_plannable(today)
    asked = _date_arg("week") or today
    start = min(max(asked, first), last)
    if start != asked:
        flash(f"The calendar goes from {first:%-d %b %Y} to {last:%-d %b %Y}, so this is the nearest week.", "warning")
    start -= timedelta(days=start.weekday())  # weeks start on Monday
    days = week_days(membership, start)
    ids = [t.id for d in days for t in d.tasks]
    claims = claimers_by_task(ids) if membership.manages else claimers_by_task(ids, user_id=membership.user_id)
    return render_template(
        "tasks/week.html",
        circle=circle,
        membership=membership,
        days=days,
        claims=claims,
        today=today,
        previous=start - timedelta(days=7),
        following=start + timedelta(days=7),
        categories=CATEGORIES,
        treatment_days=treatment_marks(membership, first=start, last=start + timedelta(days=6)),
    )


@bp.get("/mine")
@circle_view()
def mine(*, membership: Membership, circle: Circle):
    rows = tasks_mine(membership)
    return render_template(
        "tasks/mine.html",
        circle=circle,
        membership=membership,
        rows=rows,
        addresses={task.id for task, claim in rows if can_see_address(membership, task, claim)},
        categories=CATEGORIES,
        release=ReleaseForm(),
        confirm=ConfirmForm(),
    )


@bp.get("/tasks/<int:task_id>")
@circle_view()
def show(*, membership: Membership, circle: Circle, task_id: int):
    task = task_for(membership, task_id)  # one they can't see is the 404 page
    claims = claims_by_task([task.id]).get(task.id, [])
    mine = next((c for c in claims if c.user_id == membership.user_id), None)
    assign = None
    if membership.manages:
        holders = {c.user_id for c in claims}
        assign = AssignForm()
        heavy = above_share(viewer=membership)
        assign.user_id.choices = [
            (m.user_id, f"{m.user.name} (more than a fair share lately)" if m.user_id in heavy else m.user.name)
            for m in circle_members(circle_id=circle.id)
            if m.user_id not in holders and m.role != PATIENT  # the patient is helped, never signed up
        ]
    return render_template(
        "tasks/show.html",
        circle=circle,
        membership=membership,
        task=task,
        need=task.need,
        category=CATEGORIES[task.need.category],
        claims=claims,
        mine=mine,
        sees_private=can_see_address(membership, task, mine),
        release=ReleaseForm(),
        assign=assign,
        confirm=ConfirmForm(),
    )


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@managing_view()
def edit(*, membership: Membership, circle: Circle, task_id: int):
    task = task_for(membership, task_id)  # one they can't see is the 404 page
    form = TaskEditForm(obj=None if request.method == "POST" else task, meta=date_meta(circle))
    if request.method == "GET" and task.notes is None:
        form.notes.data = ""
    ambiguous = False
    if form.is_submitted():
        readable = form.validate()  # when a field can't be read, still show every other problem at once
        with refusals(form=form, commit=readable) as attempt:
            task_update(
                task=task,
                actor=current_user,
                day=form.local_date.data,
                start=form.start_time.data,
                end=form.end_time.data,
                capacity=form.capacity.data,
                notes=(form.notes.data or "").strip() or None,
                fold=form.fold_choice(),
                check_only=not readable,
            )
        ambiguous = attempt.refused(AmbiguousTime)
        if readable and attempt.ok:
            flash("Saved this date. Anyone who had it and is affected will be told.", "success")
            return redirect(url_for("tasks.show", circle_id=circle.id, task_id=task.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "tasks/edit.html", circle=circle, task=task, form=form, ambiguous=ambiguous, zone=zone_label(circle.timezone)
    ), status


@bp.route("/tasks/<int:task_id>/cancel", methods=["GET", "POST"])
@managing_view()
def cancel(*, membership: Membership, circle: Circle, task_id: int):
    """Cancelling one date asks once, saying who will be told; only the POST cancels."""
    task = task_for(membership, task_id)  # one they can't see is the 404 page
    back = url_for("tasks.show", circle_id=circle.id, task_id=task.id)
    if request.method == "GET":
        holders = [c.user for c in claims_by_task([task.id]).get(task.id, [])]
        told = (
            f"{', '.join(h.name for h in holders)} {'has' if len(holders) == 1 else 'have'} it and will get a text."
            if holders
            else "Nobody has taken it yet, so nobody needs to be told."
        )
        series = task.need.recurring
        confirmation = Confirmation(
            title=f"Cancel “{task.need.title}” on {task.local_date:%a %-d %b}?",
            lead="Only this date." + (" The rest of the series stays as it is." if series else ""),
            consequences=(told, "It can't be taken any more. To bring it back, post it again."),
            action=url_for("tasks.cancel", circle_id=circle.id, task_id=task.id),
            button="Yes, cancel this date" if series else "Yes, cancel it",
            back=back,
            back_label="No, keep it",
        )
        return confirmation_page(confirmation)
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            task_cancel(task=task, actor=current_user)
        if attempt.ok:
            flash("Cancelled this date. Anyone who had it was told.", "success")
    return redirect(back)
