"""The circle health page and its settings, for the patient and coordinators.

Supporters never reach either page (they get the same 404 as a stranger). What
the patient sees is their own choice; the service decides what each person gets.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.clock import today_in
from coordinator.forms.health import HealthSettingsForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.care.plan_views import plan_cycle_coverage
from coordinator.services.health.settings import health_settings
from coordinator.services.health.summary import health_settings_save, health_summary
from coordinator.services.people.members import can_grant_roles
from coordinator.web.access import managing_view
from coordinator.web.charts import bar_chart_svg
from coordinator.web.edge import refusals

bp = Blueprint("health", __name__, url_prefix="/circles/<int:circle_id>")


@bp.get("/health")
@managing_view()
def index(*, membership: Membership, circle: Circle):
    summary = health_summary(circle=circle, membership=membership)
    chart = None
    if "weeks" in summary:
        chart = bar_chart_svg(
            labels=[w.label for w in summary["weeks"]],
            values=[w.count for w in summary["weeks"]],
            title="People who helped each week, for the last 12 weeks",
            unit="people",
            ident="active-weeks",
            width=480,  # narrow and tall enough that its text reads at phone size
            height=260,
        )
    cycles = plan_cycle_coverage(membership, today=today_in(circle.timezone))  # the whole treatment plan
    return render_template(
        "health/index.html", circle=circle, membership=membership, chart=chart, plan_cycles=cycles, **summary
    )


@bp.route("/health/settings", methods=["GET", "POST"])
@managing_view()
def settings(*, membership: Membership, circle: Circle):
    # What the patient sees, and whether they get texted, are the patient's own choices.
    patient_decides = can_grant_roles(membership) if membership.role != "patient" else True
    form = HealthSettingsForm(obj=None if request.method == "POST" else health_settings(circle))
    if request.method == "POST" and not patient_decides:
        current = health_settings(circle)
        form.patient_view.data, form.patient_checkins.data = current.patient_view, current.patient_checkins
    if form.validate_on_submit():
        values = form.values()
        if not patient_decides:
            values = {k: v for k, v in values.items() if k not in ("patient_view", "patient_checkins")}
        with refusals(form=form) as attempt:
            health_settings_save(circle=circle, actor=current_user, values=values)
        if attempt.ok:
            flash("Saved the circle's health settings.", "success")
            return redirect(url_for("health.index", circle_id=circle.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "health/settings.html", circle=circle, membership=membership, form=form, patient_decides=patient_decides
    ), status
