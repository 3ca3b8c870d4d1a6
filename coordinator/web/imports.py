"""Importing an old contact list: upload, look over the preview line by line, then confirm.

The preview is stored, so what is sent is exactly what the coordinator saw;
nothing goes out until they press the button.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.imports import ImportForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.people.imports import (
    MAX_BYTES,
    STATUSES,
    import_batch_for,
    import_confirm,
    import_counts,
    import_stage,
)
from coordinator.services.people.invitations import invitation_default_message
from coordinator.services.people.phones import phone_display
from coordinator.web.access import managing_view
from coordinator.web.edge import refusals

bp = Blueprint("imports", __name__, url_prefix="/circles/<int:circle_id>/invitations/import")
SHOWN_ROWS = 2000


@bp.route("", methods=["GET", "POST"])
@managing_view()
def upload(*, membership: Membership, circle: Circle):
    form = ImportForm(message=invitation_default_message(circle=circle, inviter=current_user))
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            batch = import_stage(
                circle=circle,
                creator=current_user,
                filename=form.file.data.filename or "",
                data=form.file.data.read(MAX_BYTES + 1),
                message=form.message.data or "",
            )
        if attempt.ok:
            return redirect(url_for("imports.show", circle_id=circle.id, batch_id=batch.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("imports/upload.html", circle=circle, form=form), status


@bp.get("/<int:batch_id>")
@managing_view()
def show(*, membership: Membership, circle: Circle, batch_id: int):
    batch = import_batch_for(circle_id=circle.id, batch_id=batch_id)  # another circle's is the 404 page
    wanted = request.args.get("status", "")
    rows = [
        {**row, "phone_shown": phone_display(row["phone"]) if row["status"] != "rejected" else row["phone"]}
        for row in batch.rows
        if row["status"] != "note" and (row["status"] == wanted or wanted not in STATUSES)
    ]
    return render_template(
        "imports/preview.html",
        circle=circle,
        batch=batch,
        counts=import_counts(batch.rows),
        notes=[row for row in batch.rows if row["status"] == "note"],
        rows=rows[:SHOWN_ROWS],
        hidden=max(len(rows) - SHOWN_ROWS, 0),
        wanted=wanted if wanted in STATUSES else "",
        confirm=ConfirmForm(),
    )


@bp.post("/<int:batch_id>/confirm")
@managing_view()
def confirm(*, membership: Membership, circle: Circle, batch_id: int):
    batch = import_batch_for(circle_id=circle.id, batch_id=batch_id)
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            counts = import_confirm(batch=batch, inviter=current_user)
        if attempt.ok:
            sent = counts["sent"]
            flash(
                f"Sent {sent} invitation{'s' if sent != 1 else ''} "
                f"({counts['reused']} reused, {counts['member']} already members).",
                "success",
            )
    return redirect(url_for("imports.show", circle_id=circle.id, batch_id=batch_id))
