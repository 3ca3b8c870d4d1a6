"""What the patient asked for by text, waiting for a coordinator to post; and the patient's one-tap thank-yous.

A draft is confirmed on one small form, prefilled with the service's guess, so
turning "RIDE TUE 9" into a real need takes a glance and a tap.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from coordinator.categories import CATEGORIES
from coordinator.errors import Conflict
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.drafts import DraftForm
from coordinator.forms.fields import date_meta
from coordinator.models.circles import Circle, Membership
from coordinator.models.drafts import NeedDraft
from coordinator.services.care.thanks import thanks_helper, thanks_send
from coordinator.services.health.patient_checkins import draft_dismiss, draft_post, draft_title, drafts_pending
from coordinator.web.access import managing_view
from coordinator.web.edge import refusals

bp = Blueprint("drafts", __name__, url_prefix="/circles/<int:circle_id>")


def _prefix(draft_id: int) -> str:
    return f"draft{draft_id}"  # several forms on one page: each field name and id is its own


def _prefilled(draft: NeedDraft, circle: Circle) -> DraftForm:
    start = draft.start_time
    end = start.replace(hour=start.hour + 1) if start is not None and start.hour < 23 else None
    data = {"title": draft_title(draft, circle), "start_date": draft.day, "start_time": draft.start_time}
    return DraftForm(formdata=None, prefix=_prefix(draft.id), data=data | {"end_time": end}, meta=date_meta(circle))


def _page(membership: Membership, circle: Circle, *, failed: tuple[int, DraftForm] | None = None):
    drafts = drafts_pending(circle_id=circle.id)
    forms = {d.id: failed[1] if failed and failed[0] == d.id else _prefilled(d, circle) for d in drafts}
    return render_template(
        "drafts/index.html",
        circle=circle,
        membership=membership,
        drafts=drafts,
        forms=forms,
        categories=CATEGORIES,
        confirm=ConfirmForm(),
    ), (422 if failed else 200)


@bp.get("/drafts")
@managing_view()
def index(*, membership: Membership, circle: Circle):
    return _page(membership, circle)


@bp.post("/drafts/<int:draft_id>/post")
@managing_view()
def post(*, membership: Membership, circle: Circle, draft_id: int):
    form = DraftForm(prefix=_prefix(draft_id), meta=date_meta(circle))
    if form.validate_on_submit():
        with refusals(form=form, flash=Conflict) as attempt:  # already dealt with: the draft's form is gone
            need = draft_post(
                draft_id=draft_id,
                circle=circle,
                actor=current_user,
                title=form.title.data or "",
                start_date=form.start_date.data,
                start_time=form.start_time.data,
                end_time=form.end_time.data,
                anytime=bool(form.anytime.data),
            )
        if attempt.refused(Conflict):
            return redirect(url_for("drafts.index", circle_id=circle.id))
        if attempt.ok:
            flash(f"Posted “{need.title}”. We'll find someone.", "success")
            return redirect(url_for("needs.show", circle_id=circle.id, need_id=need.id))
    return _page(membership, circle, failed=(draft_id, form))


@bp.post("/drafts/<int:draft_id>/dismiss")
@managing_view()
def dismiss(*, membership: Membership, circle: Circle, draft_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusals(flash=True) as attempt:
        draft_dismiss(draft_id=draft_id, circle=circle, actor=current_user)
    if attempt.ok:
        flash("Set aside. Nothing was posted.", "success")
    return redirect(url_for("drafts.index", circle_id=circle.id))


@bp.post("/thanks/<int:claim_id>")
@managing_view()
def thank(*, membership: Membership, circle: Circle, claim_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusals(flash=True) as attempt:
        sent = thanks_send(patient_membership=membership, claim_id=claim_id)
        name = thanks_helper(claim_id=claim_id).first_name
    if attempt.ok:
        flash(f"Thank-you sent to {name}." if sent else f"{name} already has your thank-you.", "success")
    return redirect(url_for("circles.show", circle_id=circle.id))
