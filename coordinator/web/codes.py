"""Signing in without a password: ask for a code (text) or a link (email), then use it.

Which number or email is being signed in stays in the session between the
two steps; the answer to "send me a code" is the same whether or not we know it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from coordinator.extensions import limiter
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.invitations import CodeRequestForm, CodeVerifyForm
from coordinator.services.people.sign_in_codes import code_send, code_verify, link_user
from coordinator.web.edge import refusals
from coordinator.web.limits import configured_limit
from coordinator.web.security import safe_next_url
from coordinator.web.signing_in import cookie_set, session_open

bp = Blueprint("codes", __name__, url_prefix="/sign-in")
SESSION_KEY = "code_contact"


def _contact_key() -> str:
    return "code:" + (request.form.get("contact") or "").strip().lower()


@bp.route("/code", methods=["GET", "POST"])
@limiter.limit(configured_limit("CODE_LIMIT_PER_IP"), methods=["POST"])
@limiter.limit(configured_limit("CODE_LIMIT_PER_CONTACT"), methods=["POST"], key_func=_contact_key)
def request_code():
    if current_user.is_authenticated:
        return redirect(url_for("circles.index"))
    form = CodeRequestForm()
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            channel, contact = code_send(contact=form.contact.data, region=current_app.config["DEFAULT_PHONE_REGION"])
        if attempt.ok:
            session[SESSION_KEY] = [channel, contact, safe_next_url(request.args.get("next"))]
            if channel == "email":
                flash("If that email has an account, a sign-in link is on its way. It works for 10 minutes.", "success")
                return redirect(url_for("accounts.sign_in"))
            return redirect(url_for("codes.verify"))
    return render_template("codes/request.html", form=form), 422 if form.errors else 200


@bp.route("/code/verify", methods=["GET", "POST"])
@limiter.limit(configured_limit("CODE_VERIFY_LIMIT_PER_IP"), methods=["POST"])
def verify():
    pending = session.get(SESSION_KEY)
    if not pending:
        return redirect(url_for("codes.request_code"))
    channel, contact, target = pending
    form = CodeVerifyForm()
    if form.validate_on_submit():
        with refusals(form=form, keep=True) as attempt:  # keep: a wrong guess still counts
            user = code_verify(channel=channel, contact=contact, code=form.code.data)
            session_open(user, method="sms_code")
        if attempt.ok:
            cookie_set(user)
            return redirect(target or url_for("circles.index"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "codes/verify.html",
        form=form,
        masked=contact[:-4].translate(str.maketrans("0123456789", "••••••••••")) + contact[-4:],
    ), status


@bp.route("/link/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("CODE_VERIFY_LIMIT_PER_IP"), methods=["POST"])
def link(token: str):
    """GET shows a button (so mail scanners that open links don't use it up); POST signs in."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        with refusals(flash=True) as attempt:
            user = link_user(token=token)
            session_open(user, method="email_link")
        if not attempt.ok:
            return redirect(url_for("codes.request_code"))
        cookie_set(user)
        return redirect(url_for("circles.index"))
    return render_template("codes/link.html", form=form, token=token)
