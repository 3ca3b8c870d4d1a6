"""Downloads of people's data: your own records from the account page, a circle's for its patient and coordinators.

Each is a page that says what the file holds, and a button that posts for it (so
an export, which is recorded in the activity record, never happens from a stray
link or a prefetch). The ZIP is written to a temporary file a batch of rows at a
time and sent from there; the file goes when the response is closed.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from typing import IO

from flask import Blueprint, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from coordinator.clock import today_in
from coordinator.forms.accounts import ConfirmForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.privacy.circle_export import circle_export
from coordinator.services.privacy.person_export import person_export
from coordinator.web.access import managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals

bp = Blueprint("exports", __name__)

YOUR_FILES = (
    "Your profile: name, number, email, quiet hours and other settings.",
    "The circles you are in and what you said you can help with.",
    "Tasks you took, messages we sent you and texts you sent us.",
    "Your sign-ins and what the circle's record says about you.",
)
CIRCLE_FILES = (
    "Needs and tasks, with their notes and addresses, and who took each one.",
    "Everyone in the circle, with numbers and emails as the People page shows them.",
    "The treatment plan's days, and every update with its photos and the notes sent back.",
    "The message log, as the Messages page shows it.",
    "The activity record: what happened and who did it.",
)


@bp.route("/account/export", methods=["GET", "POST"])
@login_required
def account():
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        name = f"my-data-{today_in('UTC').isoformat()}.zip"
        return _download(lambda out: person_export(user=current_user, out=out), name)
    return confirmation_page(
        Confirmation(
            title="Download everything we hold about you",
            lead="One ZIP file with spreadsheets (CSV) and a README that explains each one. It holds:",
            consequences=YOUR_FILES,
            action=url_for("exports.account"),
            button="Download my data",
            back=url_for("accounts.account"),
            back_label="Back to your account",
            danger=False,
        )
    )


@bp.route("/circles/<int:circle_id>/export", methods=["GET", "POST"])
@managing_view()
def circle(*, membership: Membership, circle: Circle):
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        name = f"{_slug(circle.name)}-records-{today_in(circle.timezone).isoformat()}.zip"
        return _download(lambda out: circle_export(circle=circle, exporter=membership, out=out), name)
    return confirmation_page(
        Confirmation(
            title=f"Download {circle.name}'s records",
            lead="One ZIP file with spreadsheets (CSV), the updates' photos and a README that explains each one. "
            "Keep it somewhere private: it holds people's numbers and the patient's address. It has:",
            consequences=CIRCLE_FILES,
            action=url_for("exports.circle", circle_id=circle.id),
            button="Download the records",
            back=url_for("health.settings", circle_id=circle.id),
            back_label="Back to settings",
            danger=False,
        )
    )


def _download(write: Callable[[IO[bytes]], None], name: str):
    """Write the ZIP to a temporary file (the service records the export, refusals commits it), then send it."""
    out = tempfile.TemporaryFile()  # send_file closes it with the response; closing deletes it
    try:
        with refusals(flash=True) as attempt:
            write(out)
    except BaseException:
        out.close()
        raise
    if not attempt.ok:
        out.close()
        return redirect(request.path)
    out.seek(0)
    response = send_file(out, mimetype="application/zip", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "circle"
