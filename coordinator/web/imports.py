"""Importing an old contact list: upload, look over the preview line by line, then confirm.

The preview is stored, so what is sent is exactly what the coordinator saw;
nothing goes out until they press the button.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import Length

from coordinator.errors import Conflict, DomainError
from coordinator.extensions import db
from coordinator.forms import form_error
from coordinator.forms.accounts import ConfirmForm
from coordinator.models.circles import Circle, Membership
from coordinator.models.invitations import ImportBatch
from coordinator.services.people.imports import MAX_BYTES, STATUSES, import_confirm, import_counts, import_stage
from coordinator.services.people.invitations import MESSAGE_MAX, invitation_default_message
from coordinator.services.people.phones import phone_display
from coordinator.web.access import managing_view

bp = Blueprint("imports", __name__, url_prefix="/circles/<int:circle_id>/invitations/import")
SHOWN_ROWS = 2000


class ImportForm(FlaskForm):
    file = FileField(
        "Contacts file",
        validators=[FileRequired("Choose a CSV or vCard (.vcf) file.")],
        description="A spreadsheet saved as CSV (name, phone, email), or contacts exported from your phone as "
        "a vCard (.vcf). Up to 2 MB.",
        render_kw={"accept": ".csv,.vcf,.vcard,.txt,text/csv,text/vcard"},
    )
    message = TextAreaField(
        "Your message",
        validators=[Length(max=MESSAGE_MAX, message=f"Keep the message under {MESSAGE_MAX} characters.")],
        description="Sent with your name, the circle's name and the link to join.",
    )


def _batch(circle: Circle, batch_id: int) -> ImportBatch:
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.circle_id == circle.id))
    if batch is None:
        abort(404)
    return batch


@bp.route("", methods=["GET", "POST"])
@managing_view()
def upload(*, membership: Membership, circle: Circle):
    form = ImportForm(message=invitation_default_message(circle=circle, inviter=current_user))
    if form.validate_on_submit():
        try:
            batch = import_stage(
                circle=circle,
                creator=current_user,
                filename=form.file.data.filename or "",
                data=form.file.data.read(MAX_BYTES + 1),
                message=form.message.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("imports.show", circle_id=circle.id, batch_id=batch.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("imports/upload.html", circle=circle, form=form), status


@bp.get("/<int:batch_id>")
@managing_view()
def show(*, membership: Membership, circle: Circle, batch_id: int):
    batch = _batch(circle, batch_id)
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
    batch = _batch(circle, batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            counts = import_confirm(batch=batch, inviter=current_user)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            sent = counts["sent"]
            flash(
                f"Sent {sent} invitation{'s' if sent != 1 else ''} "
                f"({counts['reused']} reused, {counts['member']} already members).",
                "success",
            )
    return redirect(url_for("imports.show", circle_id=circle.id, batch_id=batch_id))
