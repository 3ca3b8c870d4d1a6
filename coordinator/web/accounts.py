"""Register, sign in and out, and manage a password (including reset by email)."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from coordinator.errors import Conflict
from coordinator.extensions import limiter
from coordinator.forms.accounts import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    RegisterFinishForm,
    RegisterForm,
    ResetPasswordForm,
    SetPasswordForm,
    SignInForm,
)
from coordinator.services.people.accounts import (
    account_authenticate,
    password_change,
    password_reset_complete,
    password_reset_lookup,
    password_reset_request,
    password_set,
)
from coordinator.services.people.registration import registration_finish, registration_read, registration_start
from coordinator.services.people.security_record import account_security
from coordinator.services.people.sessions import sessions_end_all
from coordinator.web.edge import Attempt, refusals
from coordinator.web.limits import configured_limit
from coordinator.web.security import safe_next_url
from coordinator.web.signing_in import cookie_set, session_open

log = logging.getLogger(__name__)
bp = Blueprint("accounts", __name__)
INVALID = 422


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(configured_limit("REGISTER_LIMIT_PER_IP"), methods=["POST"])
@limiter.limit(
    configured_limit("REGISTER_LIMIT_PER_EMAIL"), methods=["POST"], key_func=_account_key
)  # counted per route
def register():
    """Step one: a name and an email; the same answer whether or not the email has an account."""
    target = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("circles.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            registration_start(name=form.name.data, email=form.email.data, next_url=target or "")
        if attempt.ok:
            return redirect(url_for("accounts.register_sent"))
    return render_template("accounts/register.html", form=form), INVALID if form.errors else 200


@bp.get("/register/sent")
def register_sent():
    return render_template("accounts/register_sent.html")


@bp.route("/register/finish/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("REGISTER_LIMIT_PER_IP"), methods=["POST"])
def register_finish(token: str):
    """Step two, from the emailed link: choose a password, and the account is made and signed in."""
    with refusals(commit=False) as link:
        registration = registration_read(token=token)
    if not link.ok:
        return _register_link_problem(link)
    form = RegisterFinishForm()
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            user, registration = registration_finish(token=token, password=form.password.data)
            session_open(user, method="password")
        if attempt.ok:
            cookie_set(user)
            flash(f"Your account is ready, {user.first_name}.", "success")
            return redirect(safe_next_url(registration.next) or url_for("circles.new"))
        if attempt.refused(Conflict):  # finished meanwhile, in another tab
            return _register_link_problem(attempt)
    page = render_template("accounts/register_finish.html", form=form, token=token, registration=registration)
    return page, INVALID if form.errors or form.form_errors else 200


def _register_link_problem(refused: Attempt):
    """An old or broken link (410: start again), or one for an email that has an account by now (409: sign in)."""
    signed_up = refused.refused(Conflict)
    page = render_template("accounts/register_link.html", message=refused.message, signed_up=signed_up)
    return page, 409 if signed_up else 410


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(configured_limit("SIGNIN_LIMIT_PER_IP"), methods=["POST"])
@limiter.limit(
    configured_limit("SIGNIN_LIMIT_PER_ACCOUNT"), methods=["POST"], key_func=_account_key, deduct_when=_failed
)
def sign_in():
    target = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("circles.index"))
    form = SignInForm()
    if form.validate_on_submit():
        with refusals(form=form, keep=True) as attempt:  # keep: a failed try stays in the owner's history
            user = account_authenticate(email=form.email.data, password=form.password.data)
            session_open(user, method="password")
        if attempt.ok:
            cookie_set(user)
            return redirect(target or url_for("circles.index"))
    status = INVALID if form.errors or form.form_errors else 200
    return render_template("accounts/sign_in.html", form=form, next=target), status


@bp.post("/sign-out")
@login_required
def sign_out():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("home.index"))
    with refusals(flash=True):
        sessions_end_all(user=current_user)
    logout_user()
    session.clear()
    flash("You're signed out, on this device and any other.", "success")
    return redirect(url_for("home.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(configured_limit("RESET_LIMIT_PER_IP"), methods=["POST"])
@limiter.limit(configured_limit("RESET_LIMIT_PER_ACCOUNT"), methods=["POST"], key_func=_account_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with refusals(flash=True):
            password_reset_request(email=form.email.data)  # queues the email with the link, if there's an account
        flash(
            "If an account uses that email, we've sent it a link to choose a new password. "
            "The link works for one hour.",
            "success",
        )
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/forgot.html", form=form), INVALID if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("RESET_LIMIT_PER_IP"), methods=["POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    with refusals(commit=False) as link:
        password_reset_lookup(token=token)
    if not link.ok:
        return render_template("accounts/reset_expired.html", message=link.message), 410
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            user = password_reset_complete(token=token, new_password=form.password.data)
            session_open(user, method="password")
        if attempt.ok:
            cookie_set(user)
            flash("Your password is changed, and every other device was signed out.", "success")
            return redirect(url_for("circles.index"))
    return render_template("accounts/reset.html", form=form, token=token), INVALID if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    if not current_user.password_hash:
        return _set_password()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            password_change(
                user=current_user, current_password=form.current_password.data, new_password=form.password.data
            )
        if attempt.ok:
            flash("Password changed. Every other device has been signed out.", "success")
            return redirect(url_for("accounts.account"))
    security = account_security(user=current_user)
    return render_template("accounts/account.html", form=form, security=security), INVALID if form.errors else 200


def _set_password():
    form = SetPasswordForm()
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            password_set(user=current_user, new_password=form.password.data)
        if attempt.ok:
            flash("Password set. You can still sign in with a code whenever you like.", "success")
            return redirect(url_for("accounts.account"))
    security = account_security(user=current_user)
    page = render_template("accounts/account.html", form=form, setting=True, security=security)
    return page, INVALID if form.errors else 200
