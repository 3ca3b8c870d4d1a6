"""The treatment plan pages: start a plan, see its days and the help it calls for, post it, move or cancel a day.

The patient and coordinators see and change the plan; the inner circle sees it only if the patient says
so, and only to read. Anyone else gets the 404 page, as if there were no plan.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.categories import CATEGORIES
from coordinator.clock import short_time, today_in, zone_label
from coordinator.errors import NotFound
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.fields import date_meta
from coordinator.forms.plans import (
    AgainForm,
    AudienceForm,
    CancelForm,
    ChooseForm,
    MoveForm,
    PlanForm,
    QuietForm,
    RuleForm,
    TreatmentForm,
)
from coordinator.models.circles import PATIENT, Circle, Membership
from coordinator.models.plans import Plan, PlanQuiet
from coordinator.services.care.plan_again import plan_again, plan_elsewhere
from coordinator.services.care.plan_changes import plan_day_cancel, plan_day_move, plan_move_check
from coordinator.services.care.plan_posting import plan_post
from coordinator.services.care.plan_quiet import plan_quiet_remove, plan_quiet_save
from coordinator.services.care.plan_views import plan_summary
from coordinator.services.care.plans import (
    KIND_WORDS,
    plan_audience_set,
    plan_create,
    plan_current,
    plan_day_for,
    plan_finished,
    plan_for,
    plan_quiet_for,
    plan_rule_for,
    plan_rule_update,
    plan_rules_choose,
    treatment_add,
)
from coordinator.services.care.recurrence import WEEKDAY_NAMES, WEEKDAYS
from coordinator.web.access import circle_view, managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals
from coordinator.web.plan_questions import cancel_question, day_name, move_question

bp = Blueprint("plans", __name__, url_prefix="/circles/<int:circle_id>/plan")


def _managed_plan(circle: Circle) -> Plan:
    plan = plan_current(circle_id=circle.id)
    if plan is None:
        raise NotFound("No treatment plan.")
    return plan


def _show_url(circle: Circle) -> str:
    return url_for("plans.show", circle_id=circle.id)


@bp.get("")
@circle_view()
def show(*, membership: Membership, circle: Circle):
    if membership.manages and plan_current(circle_id=circle.id) is None:
        return redirect(url_for("plans.new", circle_id=circle.id))
    plan = plan_for(membership)  # the inner circle only if the patient said so; anyone else, the 404 page
    return render_template(
        "plans/show.html",
        circle=circle,
        membership=membership,
        plan=plan,
        summary=plan_summary(plan, circle=circle),
        categories=CATEGORIES,
        kinds=KIND_WORDS,
        weekday_names=dict(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
        zone=zone_label(circle.timezone),
        today=today_in(circle.timezone),
        clock=short_time,
        confirm=ConfirmForm(),
        finished=plan_finished(plan, today=today_in(circle.timezone)),
        audience=AudienceForm(audience=plan.audience) if membership.role == PATIENT else None,
    )


@bp.post("/audience")
@managing_view()
def audience(*, membership: Membership, circle: Circle):
    """The patient says whether her inner circle sees the plan."""
    plan = _managed_plan(circle)
    form = AudienceForm()
    if form.validate_on_submit():
        with refusals(flash=True) as attempt:
            plan_audience_set(
                plan=plan, circle=circle, audience=form.audience.data or "", by_patient=membership.role == PATIENT
            )
        if attempt.ok:
            flash("Saved: " + ("your inner circle can see the plan too." if plan.audience == "inner" else
                               "only you and your coordinators can see the plan."), "success")  # fmt: skip
    return redirect(_show_url(circle))


@bp.route("/again", methods=["GET", "POST"])
@managing_view()
def again(*, membership: Membership, circle: Circle):
    """Start a new round from the last plan (or, `?from=elsewhere`, from another circle's), dates moved."""
    elsewhere = request.args.get("from") == "elsewhere"
    plan = plan_elsewhere(user=current_user, circle_id=circle.id) if elsewhere else plan_current(circle_id=circle.id)
    if plan is None:
        raise NotFound("No treatment plan to start from.")
    form = AgainForm(meta=date_meta(circle))
    if form.is_submitted():
        readable = form.validate()
        with refusals(form=form, commit=readable) as attempt:
            plan_again(plan=plan, circle=circle, author=current_user, first_date=form.first_date.data)
        if readable and attempt.ok:
            flash("A new round from your last plan, every date moved. Look it over, then post it.", "success")
            return redirect(_show_url(circle))
    return _form_page("plans/again.html", circle=circle, form=form, plan=plan, elsewhere=elsewhere)


@bp.route("/new", methods=["GET", "POST"])
@managing_view()
def new(*, membership: Membership, circle: Circle):
    form = PlanForm(meta=date_meta(circle))
    if form.is_submitted():
        readable = form.validate()
        with refusals(form=form, commit=readable) as attempt:
            plan_create(
                circle=circle,
                author=current_user,
                name=form.name.data or "",
                audience=form.audience.data or "",
                treatment=form.to_treatment(),
                by_patient=membership.role == PATIENT,
            )
        if readable and attempt.ok:
            flash("Your plan is saved. Look over the help it suggests, then post it when it looks right.", "success")
            return redirect(_show_url(circle))
    existing = plan_current(circle_id=circle.id)
    before = None if existing else plan_elsewhere(user=current_user, circle_id=circle.id)
    return _form_page("plans/new.html", circle=circle, form=form, existing=existing, before=before)


def _form_page(template: str, **context):
    form = context["form"]
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, zone=zone_label(context["circle"].timezone), **context), status


@bp.route("/treatments/new", methods=["GET", "POST"])
@managing_view()
def add_treatment(*, membership: Membership, circle: Circle):
    plan = _managed_plan(circle)
    form = TreatmentForm(meta=date_meta(circle))
    if not form.is_submitted():
        form.kind.data = "oneoff"
    if form.is_submitted():
        readable = form.validate()
        with refusals(form=form, commit=readable) as attempt:
            treatment_add(plan=plan, data=form.to_treatment(), circle=circle)
        if readable and attempt.ok:
            flash("Added. Any help it calls for is in the preview below, ready to post.", "success")
            return redirect(_show_url(circle))
    return _form_page("plans/treatment.html", circle=circle, form=form, plan=plan)


@bp.post("/suggestions")
@managing_view()
def choose(*, membership: Membership, circle: Circle):
    plan = _managed_plan(circle)
    form = ChooseForm()
    if form.validate_on_submit():
        with refusals(flash=True) as attempt:
            plan_rules_choose(plan=plan, enabled_ids=form.chosen())
        if attempt.ok:
            flash("Saved your choices. The preview shows what they add up to.", "success")
    return redirect(_show_url(circle) + "#suggestions")


@bp.route("/suggestions/<int:rule_id>", methods=["GET", "POST"])
@managing_view()
def rule(*, membership: Membership, circle: Circle, rule_id: int):
    plan = _managed_plan(circle)
    found = plan_rule_for(plan, rule_id)
    form = RuleForm(obj=None if request.method == "POST" else found)
    if form.is_submitted():
        readable = form.validate()
        with refusals(form=form, commit=readable) as attempt:
            plan_rule_update(plan=plan, rule=found, data=form.to_input(), actor=current_user)
        if readable and attempt.ok:
            flash("Saved. The preview shows what it adds up to.", "success")
            return redirect(_show_url(circle) + "#suggestions")
    return _form_page("plans/rule.html", circle=circle, form=form, plan=plan, rule=found, categories=CATEGORIES)


@bp.route("/quiet/new", methods=["GET", "POST"])
@managing_view()
def quiet_new(*, membership: Membership, circle: Circle):
    """Add days (by offset from each treatment) with no visitors, quiet hours, or a note for meals."""
    return _quiet_page(circle, _managed_plan(circle), None)


@bp.route("/quiet/<int:quiet_id>", methods=["GET", "POST"])
@managing_view()
def quiet(*, membership: Membership, circle: Circle, quiet_id: int):
    plan = _managed_plan(circle)
    return _quiet_page(circle, plan, plan_quiet_for(plan, quiet_id))


def _quiet_page(circle: Circle, plan: Plan, found: PlanQuiet | None):
    form = QuietForm(obj=None if request.method == "POST" else found)
    if form.is_submitted():
        readable = form.validate()
        with refusals(form=form, commit=readable) as attempt:
            change = plan_quiet_save(plan=plan, circle=circle, quiet=found, data=form.to_input(), actor=current_user)
        if readable and attempt.ok:
            withdrawn = f" {change.tasks} visits on those days were withdrawn." if change.tasks else ""
            flash(f"Saved. No visits are asked for then, and meals carry the note.{withdrawn}", "success")
            return redirect(_show_url(circle) + "#quiet")
    return _form_page("plans/quiet.html", circle=circle, form=form, plan=plan, quiet=found)


@bp.route("/quiet/<int:quiet_id>/remove", methods=["GET", "POST"])
@managing_view()
def quiet_remove(*, membership: Membership, circle: Circle, quiet_id: int):
    """GET asks once; POST takes the quiet days away."""
    plan = _managed_plan(circle)
    found = plan_quiet_for(plan, quiet_id)
    back = _show_url(circle) + "#quiet"
    if request.method == "GET":
        return confirmation_page(
            Confirmation(
                title="Take these quiet days away?",
                action=url_for("plans.quiet_remove", circle_id=circle.id, quiet_id=found.id),
                button="Yes, take them away",
                back=back,
                back_label="No, keep them",
                consequences=(
                    "Visits can be asked for on those days again: help you add to the plan from now on includes them.",
                    "Visits already withdrawn for those days don't come back on their own; ask for one if you'd like.",
                ),
            )
        )
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            plan_quiet_remove(plan=plan, quiet=found)
        if attempt.ok:
            flash("Taken away.", "success")
    return redirect(back)


@bp.post("/post")
@managing_view()
def post(*, membership: Membership, circle: Circle):
    plan = _managed_plan(circle)
    form = ChooseForm()
    if form.validate_on_submit() and form.choosing.data:  # the page's ticks came with the button
        chosen = form.chosen()
        if chosen != {r.id for r in plan.rules if r.enabled}:
            with refusals(flash=True) as attempt:
                plan_rules_choose(plan=plan, enabled_ids=chosen)
            if attempt.ok:
                flash("You changed what to ask for, so nothing is posted yet. Look over the tasks below, then post.")
            return redirect(_show_url(circle) + "#preview")
    if form.validate_on_submit():
        with refusals(flash=True) as attempt:
            posted = plan_post(plan=plan, circle=circle, author=current_user)
        if attempt.ok:
            flash(
                f"Posted {posted.tasks} {'task' if posted.tasks == 1 else 'tasks'}. "
                "The right people will be asked a few at a time as each comes nearer.",
                "success",
            )
    return redirect(_show_url(circle))


@bp.route("/days/<int:day_id>/move", methods=["GET", "POST"])
@managing_view()
def move(*, membership: Membership, circle: Circle, day_id: int):
    plan = _managed_plan(circle)
    day = plan_day_for(plan, day_id)
    form = MoveForm(meta=date_meta(circle))
    back = _show_url(circle)
    if form.is_submitted() and form.validate():
        following = form.scope.data == "following"
        if not form.confirmed.data:  # ask first, saying who will be told, if it can be done at all
            with refusals(form=form, commit=False) as checked:
                plan_move_check(day=day, circle=circle, to=form.to.data, at=form.at.data)
            if checked.ok:
                return move_question(plan, circle, day, form, following=following, back=back)
            return _form_page("plans/move.html", circle=circle, form=form, plan=plan, day=day, name=day_name(day))
        with refusals(form=form) as attempt:
            change = plan_day_move(
                plan=plan,
                circle=circle,
                day=day,
                to=form.to.data,
                at=form.at.data,
                following=following,
                actor=current_user,
            )
        if attempt.ok:
            told = (
                f"{change.told} {'person' if change.told == 1 else 'people'} got one text each." if change.told else ""
            )
            flash(
                f"Moved {change.days} {'day' if change.days == 1 else 'days'} and {change.tasks} tasks. {told}",
                "success",
            )
            return redirect(back)
    elif form.is_submitted():
        form.validate()
    return _form_page("plans/move.html", circle=circle, form=form, plan=plan, day=day, name=day_name(day))


@bp.route("/days/<int:day_id>/cancel", methods=["GET", "POST"])
@managing_view()
def cancel(*, membership: Membership, circle: Circle, day_id: int):
    """GET asks once, saying who will be told (`?following=1`: this day and every later one); POST cancels."""
    plan = _managed_plan(circle)
    day = plan_day_for(plan, day_id)
    back = _show_url(circle)
    if day.cancelled:
        return redirect(back)
    if request.method == "GET":
        following = request.args.get("following") == "1"
        later = any(d.number > day.number and not d.cancelled for d in day.treatment.days)
        return confirmation_page(
            cancel_question(plan, circle, day, following=following, back=back),
            template="plans/cancel.html",
            later_url=url_for("plans.cancel", circle_id=circle.id, day_id=day.id, following=1)
            if later and not following
            else None,
        )
    form = CancelForm()
    if form.validate_on_submit():
        following = form.following.data == "1"
        with refusals(flash=True) as attempt:
            change = plan_day_cancel(plan=plan, circle=circle, day=day, following=following, actor=current_user)
        if attempt.ok:
            what = f"{day_name(day)} and every one after it" if following else day_name(day)
            flash(f"Cancelled {what}, and {change.tasks} tasks of help.", "success")
    return redirect(back)
