"""The updates pages: read the news, post it, answer it with a note or a heart, and the texted link in.

Every page and every photo goes through the same rule (services/updates/reading.py):
what a member may not read is the 404 page, the same as what does not exist.
Photos are sent only after that check, marked private so no shared cache keeps them.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from coordinator.extensions import limiter
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.updates import LoveForm, NoteChoiceForm, NoteForm, UpdateForm, UpdateSettingsForm
from coordinator.models.circles import PATIENT, Circle, Membership
from coordinator.models.updates import UpdateStatus
from coordinator.services.updates.delivery import link_open
from coordinator.services.updates.notes import heart_send, note_hidden, note_send, notes_page
from coordinator.services.updates.photos import photo_path
from coordinator.services.updates.posting import (
    update_approve,
    update_delete,
    update_edit,
    update_photos_forget,
    update_post,
    update_settings_allowed,
    update_settings_change,
)
from coordinator.services.updates.reading import (
    hearts_on,
    may_change,
    notes_for,
    pending_count,
    update_for,
    updates_page,
)
from coordinator.web.access import circle_view, managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals
from coordinator.web.limits import configured_limit
from coordinator.web.query_args import row_id_arg
from coordinator.web.signing_in import cookie_set, session_open

bp = Blueprint("updates", __name__)
PREFIX = "/circles/<int:circle_id>/updates"


def _uploads() -> list:
    return request.files.getlist("photos")


def uploads_allowed(view):
    """Mark a view that takes photos: its request may be as large as four photos (web/security.py reads this)."""
    view.takes_photos = True
    return view


@bp.get(PREFIX)
@circle_view()
def index(*, membership: Membership, circle: Circle):
    page = request.args.get("page", "1")
    result = updates_page(membership, page=int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1)
    return render_template(
        "updates/index.html",
        circle=circle,
        membership=membership,
        result=result,
        waiting=pending_count(membership),
        may_set=membership.manages and update_settings_allowed(membership),
        confirm=ConfirmForm(),
    )


def _form_page(membership: Membership, circle: Circle, form: UpdateForm, *, update=None, photos_lost=False):
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "updates/form.html",
        circle=circle,
        membership=membership,
        form=form,
        update=update,
        photos_lost=photos_lost,
        waits=circle.updates_need_approval and membership.role != PATIENT,
    ), status


@bp.route(PREFIX + "/new", methods=["GET", "POST"])
@managing_view()
@uploads_allowed
def new(*, membership: Membership, circle: Circle):
    form = UpdateForm()
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            update = update_post(
                member=membership, body=form.body.data or "", audience=form.audience.data or "", uploads=_uploads()
            )
        if attempt.ok:
            if update.status == UpdateStatus.PENDING:
                flash(f"Saved. It waits for {circle.patient_first_name}'s OK before anyone else sees it.", "success")
            else:
                flash("Posted. People who asked to hear of updates will get a link.", "success")
            return redirect(url_for("updates.show", circle_id=circle.id, update_id=update.id))
    return _form_page(membership, circle, form, photos_lost=form.is_submitted() and any(f.filename for f in _uploads()))


@bp.route(PREFIX + "/<int:update_id>/edit", methods=["GET", "POST"])
@managing_view()
@uploads_allowed
def edit(*, membership: Membership, circle: Circle, update_id: int):
    update = update_for(membership, update_id)
    if not may_change(membership, update):
        abort(404)
    form = UpdateForm(data={"body": update.body, "audience": update.audience} if request.method == "GET" else None)
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            gone = update_edit(
                member=membership,
                update=update,
                body=form.body.data or "",
                audience=form.audience.data or "",
                remove_photo_ids=list(form.remove_photo.data or []),
                uploads=_uploads(),
            )
        if attempt.ok:
            update_photos_forget(circle_id=circle.id, tokens=gone)
            flash("Saved your changes.", "success")
            return redirect(url_for("updates.show", circle_id=circle.id, update_id=update.id))
    return _form_page(
        membership,
        circle,
        form,
        update=update,
        photos_lost=form.is_submitted() and any(f.filename for f in _uploads()),
    )


@bp.get(PREFIX + "/<int:update_id>")
@circle_view()
def show(*, membership: Membership, circle: Circle, update_id: int):
    return _show_page(membership, circle, update_for(membership, update_id))


def _show_page(membership: Membership, circle: Circle, update, note_form: NoteForm | None = None):
    hearts, hearted = hearts_on(membership, update)
    return render_template(
        "updates/show.html",
        circle=circle,
        membership=membership,
        update=update,
        hearts=hearts,
        hearted=hearted,
        notes=notes_for(membership, update),
        note_form=note_form or NoteForm(formdata=None),
        may_change=may_change(membership, update),
        confirm=ConfirmForm(),
    ), (422 if note_form is not None else 200)


@bp.post(PREFIX + "/<int:update_id>/love")
@circle_view()
def love(*, membership: Membership, circle: Circle, update_id: int):
    form = LoveForm()
    if form.validate_on_submit():
        update = update_for(membership, update_id)
        with refusals(flash=True) as attempt:
            fresh = heart_send(member=membership, update=update)
        if attempt.ok:
            first = circle.patient_first_name
            flash(f"Sent your love to {first}." if fresh else f"You've already sent {first} your love.", "success")
    back = form.back.data or ""
    if back.isascii() and back.isdigit() and len(back) < 6:
        return redirect(url_for("updates.index", circle_id=circle.id, page=back) + f"#update-{update_id}")
    return redirect(url_for("updates.show", circle_id=circle.id, update_id=update_id))


@bp.post(PREFIX + "/<int:update_id>/notes")
@circle_view()
def note(*, membership: Membership, circle: Circle, update_id: int):
    update = update_for(membership, update_id)
    form = NoteForm()
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            note_send(member=membership, body=form.body.data or "", update=update)
        if attempt.ok:
            flash(f"Sent. Thank you for writing to {circle.patient_first_name}.", "success")
            return redirect(url_for("updates.show", circle_id=circle.id, update_id=update_id) + "#notes")
    return _show_page(membership, circle, update, note_form=form)


@bp.post(PREFIX + "/<int:update_id>/approve")
@circle_view(roles=(PATIENT,))
def approve(*, membership: Membership, circle: Circle, update_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        update = update_for(membership, update_id)
        with refusals(flash=True) as attempt:
            update_approve(member=membership, update=update)
        if attempt.ok:
            flash("It's out. People who asked to hear of updates will get a link.", "success")
    return redirect(url_for("updates.show", circle_id=circle.id, update_id=update_id))


@bp.route(PREFIX + "/<int:update_id>/delete", methods=["GET", "POST"])
@managing_view()
def delete(*, membership: Membership, circle: Circle, update_id: int):
    update = update_for(membership, update_id)
    if not may_change(membership, update):
        abort(404)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        with refusals(flash=True) as attempt:
            tokens = update_delete(member=membership, update=update)
        if attempt.ok:
            update_photos_forget(circle_id=circle.id, tokens=tokens)
            flash("Deleted the update and its photos.", "success")
        return redirect(url_for("updates.index", circle_id=circle.id))
    photos = len(update.photos)
    consequences = ["Nobody will be able to read it any more."]
    if photos:
        consequences.append(f"Its {photos} photo{'s' if photos != 1 else ''} will be deleted too.")
    keeper = "you" if membership.role == PATIENT else circle.patient_first_name
    consequences.append(f"Notes people wrote about it stay with {keeper}.")
    return confirmation_page(
        Confirmation(
            title="Delete this update?",
            action=url_for("updates.delete", circle_id=circle.id, update_id=update.id),
            button="Delete the update",
            back=url_for("updates.show", circle_id=circle.id, update_id=update.id),
            consequences=tuple(consequences),
        )
    )


@bp.get(PREFIX + "/<int:update_id>/photos/<int:photo_id>/<any(phone, full):size>.jpg")
@circle_view()
def photo(*, membership: Membership, circle: Circle, update_id: int, photo_id: int, size: str):
    update = update_for(membership, update_id)
    chosen = next((p for p in update.photos if p.id == photo_id), None)
    if chosen is None:
        abort(404)
    path = photo_path(circle_id=circle.id, token=chosen.token, size=size)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", conditional=True, etag=True, max_age=0)
    # Kept only by this person's own browser, and asked about again each time (a 304 if unchanged),
    # so nobody keeps seeing a photo after losing access to it.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/circles/<int:circle_id>/notes")
@managing_view()
def notes(*, membership: Membership, circle: Circle):
    before = row_id_arg("before")  # an older page starts below this note
    page = notes_page(membership, before=before)
    return render_template(
        "updates/notes.html",
        circle=circle,
        membership=membership,
        notes=page.notes,
        older=page.older,
        paged=before is not None,
        confirm=ConfirmForm(),
    )


@bp.post("/circles/<int:circle_id>/notes/<int:note_id>/<any(hide, show):choice>")
@circle_view(roles=(PATIENT,))
def note_choice(*, membership: Membership, circle: Circle, note_id: int, choice: str):
    form = NoteChoiceForm()
    if form.validate_on_submit():
        with refusals(flash=True) as attempt:
            note_hidden(member=membership, note_id=note_id, hidden=choice == "hide")
        if attempt.ok:
            flash("Hidden. Only you can see it now." if choice == "hide" else "It's shown again.", "success")
    back = form.update.data or ""
    if back.isascii() and back.isdigit() and len(back) < 12:
        return redirect(url_for("updates.show", circle_id=circle.id, update_id=int(back)) + "#notes")
    return redirect(url_for("updates.notes", circle_id=circle.id))


@bp.route(PREFIX + "/settings", methods=["GET", "POST"])
@managing_view()
def settings(*, membership: Membership, circle: Circle):
    if not update_settings_allowed(membership):
        abort(404)  # the patient's choices: a coordinator sets them only for a circle with no patient account
    form = UpdateSettingsForm(
        data={
            "need_approval": circle.updates_need_approval,
            "email_full": circle.updates_email_full,
            "notes_shared": circle.notes_shared,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            update_settings_change(
                member=membership,
                need_approval=bool(form.need_approval.data),
                email_full=bool(form.email_full.data),
                notes_shared=bool(form.notes_shared.data),
            )
        if attempt.ok:
            flash("Saved.", "success")
            return redirect(url_for("updates.index", circle_id=circle.id))
    return render_template("updates/settings.html", circle=circle, membership=membership, form=form), (
        422 if form.errors else 200
    )


@bp.route("/u/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("INVITATION_LIMIT_PER_IP"))
def link(token: str):
    """A texted or emailed link: one tap signs its reader in and opens the updates (a GET alone changes nothing)."""
    with refusals(commit=False) as lookup:
        member, update_id = link_open(token)
    if not lookup.ok:
        return render_template("invitations/expired.html", message=lookup.message), 410
    target = (
        url_for("updates.show", circle_id=member.circle_id, update_id=update_id)
        if update_id
        else url_for("updates.index", circle_id=member.circle_id)
    )
    if current_user.is_authenticated and current_user.id == member.user_id:
        return redirect(target)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        person = member.user  # held across the commit, with its session token
        with refusals() as attempt:
            session_open(person, method="update_link")
        if attempt.ok:
            cookie_set(person)
            return redirect(target)
    return render_template("updates/link.html", member=member, circle=member.circle, confirm=form)
