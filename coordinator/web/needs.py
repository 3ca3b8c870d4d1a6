"""Posting a need (pick a kind of help, then fill in its form), and managing a series."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.categories import CATEGORIES
from coordinator.clock import AmbiguousTime, today_in, zone_label
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.fields import date_meta
from coordinator.forms.needs import need_form_class
from coordinator.models.circles import Circle, Membership
from coordinator.models.needs import Need
from coordinator.services.care.needs import TITLE_MAX, need_cancel, need_post, need_update, need_validate, window_days
from coordinator.services.care.needs_ahead import need_duplicates, need_for, need_planned_dates, need_upcoming_tasks
from coordinator.services.care.recurrence import MAX_OCCURRENCES, describe, occurrence_dates
from coordinator.services.care.tasks import claims_by_task, future_tasks
from coordinator.web.access import managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals

bp = Blueprint("needs", __name__, url_prefix="/circles/<int:circle_id>/needs")
PLANNED_SHOWN = 12  # later dates of a long series listed on its page


def _submit(form, *, act, check) -> tuple[object | None, bool]:
    """Run `act` on what was typed and commit; returns (result, ambiguous) and puts every problem by its field.

    When the form could not even read a field (a date it can't parse), `check` still runs the
    service's rules (nothing is written), so one submit shows every problem, each field's first one only.
    """
    readable = form.validate()
    data = form.to_input()
    result = None
    with refusals(form=form, commit=readable) as attempt:
        result = act(data) if readable else check(data)
    return (result if readable and attempt.ok else None), attempt.refused(AmbiguousTime)


def _day(day: date, today: date) -> str:
    return f"{day:%a %-d %b}" if day.year == today.year else f"{day:%a %-d %b %Y}"


def _posted_message(need: Need) -> str:
    """What the flash says after posting: true about the first date and about dates still to come."""
    today = today_in(need.timezone)
    first = min(t.local_date for t in need.tasks)
    if not need.recurring:
        return f"Posted “{need.title}” for {_day(first, today)}."
    message = f"Posted “{need.title}”: {len(need.tasks)} dates so far. The first is {_day(first, today)}."
    later = len(need_planned_dates(need, limit=MAX_OCCURRENCES * 2))
    if later:
        message += f" {later} more {'date opens' if later == 1 else 'dates open'} for sign-up nearer the time."
    return message


def _form_page(*, circle, form, category, editing, ambiguous, duplicates=()):
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "needs/form.html",
        circle=circle,
        form=form,
        category=category,
        editing=editing,
        ambiguous=ambiguous,
        duplicates=duplicates,
        zone=zone_label(circle.timezone),
        today=today_in(circle.timezone),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@managing_view()
def new(*, membership: Membership, circle: Circle):
    category = CATEGORIES.get(request.args.get("category", ""))
    if category is None:
        return render_template("needs/choose.html", circle=circle, categories=CATEGORIES.values())
    form = need_form_class(category)(meta=date_meta(circle))
    if not form.is_submitted() and request.args.get("title"):
        form.title.data = request.args["title"][:TITLE_MAX]  # a one-tap suggestion ("Rides to treatment")
    ambiguous, duplicates = False, []
    if form.is_submitted():

        def post(data):
            if not form.post_anyway.data:
                duplicates.extend(need_duplicates(circle=circle, data=data))
            return None if duplicates else need_post(circle=circle, author=current_user, data=data)

        need, ambiguous = _submit(form, act=post, check=lambda data: need_validate(data, circle=circle))
        if need is not None:
            flash(_posted_message(need), "success")
            return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
    return _form_page(
        circle=circle, form=form, category=category, editing=None, ambiguous=ambiguous, duplicates=duplicates
    )


@bp.get("/<int:need_id>")
@managing_view()
def show(*, membership: Membership, circle: Circle, need_id: int):
    need = need_for(circle_id=circle.id, need_id=need_id)  # another circle's is the 404 page
    tasks = need_upcoming_tasks(need)
    claims = claims_by_task([t.id for t in tasks])
    planned = need_planned_dates(need, limit=MAX_OCCURRENCES * 2)
    return render_template(
        "needs/show.html",
        circle=circle,
        need=need,
        tasks=tasks,
        claims=claims,
        planned=planned[:PLANNED_SHOWN],
        more_planned=max(len(planned) - PLANNED_SHOWN, 0),
        window_weeks=window_days() // 7,
        today=today_in(need.timezone),
        category=CATEGORIES[need.category],
        pattern=describe(need.rrule, start=need.start_date),
        zone=zone_label(need.timezone),
    )


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@managing_view()
def edit(*, membership: Membership, circle: Circle, need_id: int):
    need = need_for(circle_id=circle.id, need_id=need_id)
    if need.cancelled_at is not None:
        flash("That need was cancelled, so it can't be changed.", "error")
        return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
    category = CATEGORIES[need.category]
    form = need_form_class(category)(obj=None if request.method == "POST" else _prefill(need), meta=date_meta(circle))
    ambiguous = False
    if form.is_submitted():

        def check(data):
            data.start_date = need.start_date
            need_validate(data, circle=circle, editing=True)

        saved, ambiguous = _submit(
            form, act=lambda data: need_update(need=need, actor=current_user, data=data) or True, check=check
        )
        if saved:
            flash("Saved. Upcoming dates are updated, and anyone affected will be told.", "success")
            return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
    return _form_page(circle=circle, form=form, category=category, editing=need, ambiguous=ambiguous)


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
        "until": _last_date(need, fields.get("UNTIL")),
        "weeks": None,
    }
    values.update({f"detail_{k}": v for k, v in (need.details or {}).items()})
    return SimpleNamespace(**values)


def _last_date(need: Need, until: str | None) -> date | None:
    """The series' last date (a "6 weeks" rule's bound is the day before the 7th week; people mean the last date)."""
    if not until:
        return None
    bound = datetime.strptime(until[:8], "%Y%m%d").date()
    return (occurrence_dates(need.rrule, start=need.start_date, through=bound) or [bound])[-1]


@bp.route("/<int:need_id>/cancel", methods=["GET", "POST"])
@managing_view()
def cancel(*, membership: Membership, circle: Circle, need_id: int):
    """GET asks once, saying who will be told; POST cancels."""
    need = need_for(circle_id=circle.id, need_id=need_id)
    back = url_for("needs.show", circle_id=circle.id, need_id=need.id)
    if need.cancelled_at is not None:
        return redirect(back)
    if request.method == "GET":
        return confirmation_page(_cancel_question(need, back=back))
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            cancelled = need_cancel(need=need, actor=current_user)
        if attempt.ok:
            flash(f"Cancelled “{need.title}” and {cancelled} upcoming date(s). Anyone who had one was told.", "success")
    return redirect(back)


def _cancel_question(need: Need, *, back: str) -> Confirmation:
    upcoming = future_tasks(need)
    holders = {c.user_id for held in claims_by_task([t.id for t in upcoming]).values() for c in held}
    dates = len(upcoming)
    consequences = [
        f"{dates} upcoming {'date' if dates == 1 else 'dates'} will be cancelled."
        if need.recurring
        else "It will come off everyone's list.",
        f"{len(holders)} {'person who' if len(holders) == 1 else 'people who'} signed up will get a text saying so."
        if holders
        else "Nobody has signed up yet, so nobody needs to be told.",
    ]
    if need.recurring:
        consequences.append("The dates can't be brought back; you can post the need again.")
    return Confirmation(
        title=f"Cancel “{need.title}”?",
        action=url_for("needs.cancel", circle_id=need.circle_id, need_id=need.id),
        button="Yes, cancel every upcoming date" if need.recurring else "Yes, cancel it",
        back=back,
        back_label="No, keep it",
        consequences=tuple(consequences),
    )
