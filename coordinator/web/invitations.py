"""Inviting people (one, several, or by shared link) and the pages an invitation opens.

The link in an invitation carries its token. The page it opens sends
`Referrer-Policy: no-referrer`, swaps the token for a session entry on a POST,
and redirects to /join, whose URL holds no secret.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from coordinator.extensions import limiter
from coordinator.forms.accounts import ConfirmForm
from coordinator.forms.invitations import DecideForm, InviteForm, InviteManyForm, JoinForm
from coordinator.models.circles import Circle, Membership
from coordinator.models.invitations import JoinRequestStatus
from coordinator.services.people.invitation_links import (
    invitation_by_token,
    invitation_live,
    invitation_revoke,
    invitation_url,
    invitations_pending,
    shared_link_create,
)
from coordinator.services.people.invitations import (
    contact_parse,
    invitation_default_message,
    invitation_send,
    invitations_send_lines,
)
from coordinator.services.people.joining import JoinInput, join_accept, join_decide
from coordinator.services.people.members import people_waiting
from coordinator.services.people.phones import phone_display
from coordinator.web.access import managing_view
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.edge import refusals
from coordinator.web.limits import configured_limit
from coordinator.web.signing_in import cookie_set, session_open

bp = Blueprint("invitations", __name__)
SESSION_KEY = "invitation_id"


def _page(circle: Circle, *, form=None, many=None, shared_url=None, report=None, status=200):
    default = invitation_default_message(circle=circle, inviter=current_user)
    form = form or InviteForm(message=default)
    many = many or InviteManyForm(message=default)
    return render_template(
        "invitations/index.html",
        circle=circle,
        form=form,
        many=many,
        pending=invitations_pending(circle_id=circle.id),
        requests=people_waiting(circle_id=circle.id),
        shared_url=shared_url,
        report=report,
        confirm=ConfirmForm(),
        phone_display=phone_display,
    ), status


@bp.route("/circles/<int:circle_id>/invitations", methods=["GET", "POST"])
@managing_view()
def index(*, membership: Membership, circle: Circle):
    form = InviteForm()
    if request.method == "GET":
        return _page(circle)
    if form.validate_on_submit():
        with refusals(form=form) as attempt:
            contact = contact_parse(
                name=form.name.data, phone=form.phone.data, email=form.email.data, region=circle.phone_region
            )
            result = invitation_send(circle=circle, inviter=current_user, contact=contact, message=form.message.data)
        if attempt.ok:
            who = contact.name or "them"
            flash(
                {
                    "sent": f"Invitation on its way to {who}.",
                    "reused": f"{who} already has an invitation that still works, so we didn't send another.",
                    "member": f"{who} is already in the circle.",
                }[result.outcome],
                "success",
            )
            return redirect(url_for("invitations.index", circle_id=circle.id))
    return _page(circle, form=form, status=422)


@bp.post("/circles/<int:circle_id>/invitations/many")
@managing_view()
def many(*, membership: Membership, circle: Circle):
    form = InviteManyForm()
    if not form.validate_on_submit():
        return _page(circle, many=form, status=422)
    with refusals(form=form) as attempt:
        report = invitations_send_lines(
            circle=circle, inviter=current_user, text=form.people.data, message=form.message.data
        )
    if not attempt.ok:
        return _page(circle, many=form, status=422)
    if not report:
        form.people.errors = ["Add at least one person, one per line."]
        return _page(circle, many=form, status=422)
    return _page(circle, report=report)


@bp.post("/circles/<int:circle_id>/invitations/link")
@managing_view()
def shared_link(*, membership: Membership, circle: Circle):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusals(flash=True) as attempt:
        token = shared_link_create(circle=circle, inviter=current_user)
    if not attempt.ok:
        return redirect(url_for("invitations.index", circle_id=circle.id))
    return _page(circle, shared_url=invitation_url(token))


@bp.route("/circles/<int:circle_id>/invitations/<int:invitation_id>/revoke", methods=["GET", "POST"])
@managing_view()
def revoke(*, membership: Membership, circle: Circle, invitation_id: int):
    """Cancel an invitation nobody answered yet; the GET asks first, naming who it was for."""
    if request.method == "GET":
        invitation = next((i for i in invitations_pending(circle_id=circle.id) if i.id == invitation_id), None)
        if invitation is None:
            abort(404)
        return confirmation_page(_revoke_confirmation(circle, invitation))
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            invitation_revoke(circle=circle, invitation_id=invitation_id, actor=current_user)
        if attempt.ok:
            flash("That invitation link no longer works.", "success")
    return redirect(url_for("invitations.index", circle_id=circle.id))


def _revoke_confirmation(circle: Circle, invitation) -> Confirmation:
    contact = phone_display(invitation.phone) or invitation.email
    who = invitation.name or contact
    first = invitation.name.split()[0] if invitation.name else "them"
    how = f"by text to {contact}" if invitation.phone else f"by email to {contact}"
    stops = f"The link we sent {how} will stop working." if invitation.live else f"The link we sent {how} has expired."
    return Confirmation(
        title=f"Cancel the invitation to {who}?",
        action=url_for("invitations.revoke", circle_id=circle.id, invitation_id=invitation.id),
        button="Cancel the invitation",
        back=url_for("invitations.index", circle_id=circle.id),
        back_label="Keep it",
        consequences=(stops, f"You can invite {first} again at any time."),
    )


@bp.route(
    "/circles/<int:circle_id>/invitations/requests/<int:request_id>/<any(approve, decline):decision>",
    methods=["GET", "POST"],
)
@managing_view()
def decide(*, membership: Membership, circle: Circle, request_id: int, decision: str):
    """Let someone in (one tap), or decline: that GET asks first, since they can't ask again through that link."""
    back = request.args.get("back", "") if request.method == "GET" else ""
    if request.method == "GET":
        waiting = next((r for r in people_waiting(circle_id=circle.id) if r.id == request_id), None)
        if waiting is None or decision != "decline":
            abort(404)
        return confirmation_page(_decline_confirmation(circle, waiting, back))
    form = DecideForm()
    if form.validate_on_submit():
        approve = decision == "approve"
        with refusals(flash=True) as attempt:
            join = join_decide(circle=circle, request_id=request_id, approve=approve, actor=current_user)
        if attempt.ok:
            _say_decided(join, approve=approve)
    back = {"people": "members.index", "home": "circles.show"}.get(form.back.data or "", "invitations.index")
    return redirect(url_for(back, circle_id=circle.id))


def _decline_confirmation(circle: Circle, waiting, back: str) -> Confirmation:
    name, first = waiting.user.name, waiting.user.first_name
    where = {"people": "members.index", "home": "circles.show"}.get(back, "invitations.index")
    return Confirmation(
        title=f"Decline {name}?",
        action=url_for("invitations.decide", circle_id=circle.id, request_id=waiting.id, decision="decline"),
        button=f"Decline {first}",
        back=url_for(where, circle_id=circle.id),
        back_label="Not now",
        consequences=(
            f"{first} won't be added to the circle. We don't send {first} anything.",
            f"You can still invite {first} yourself later.",
        ),
        fields={"back": back} if back in ("people", "home") else {},
    )


def _say_decided(join, *, approve: bool) -> None:
    name = join.user.name
    if join.status != (JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DECLINED):
        let_in = join.status == JoinRequestStatus.APPROVED
        flash(f"Someone already {'let ' + name + ' in' if let_in else 'declined ' + name}.")
    elif approve:
        flash(f"{name} is in the circle. We've sent {join.user.first_name} a welcome.", "success")
    else:
        flash(f"{name} wasn't added. We didn't send {join.user.first_name} anything.", "success")


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("INVITATION_LIMIT_PER_IP"))
def open_link(token: str):
    """The page an invitation link opens: who is asking, and the join form, so joining is one tap.

    A GET changes nothing (link previews open it too). A POST with the join form joins; a bare
    POST (the sign-in-first route) swaps the token for the session and moves on to /join.
    """
    with refusals(commit=False) as lookup:
        invitation = invitation_by_token(token)
    if not lookup.ok:
        return render_template("invitations/expired.html", message=lookup.message), 410
    form = _join_form(invitation)
    if request.method == "POST":
        if not form.join.data:  # the "sign in first" button: no join form, just the token swap
            if ConfirmForm().validate_on_submit():
                session[SESSION_KEY] = invitation.id
                return redirect(url_for("invitations.join"))
        elif form.validate_on_submit():
            session[SESSION_KEY] = invitation.id
            joined = _join(invitation, form)
            if joined is not None:
                return joined
    status = 422 if form.errors or form.form_errors else 200
    return render_template("invitations/open.html", invitation=invitation, form=form), status


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(configured_limit("INVITATION_LIMIT_PER_IP"), methods=["POST"])
def join():
    with refusals(commit=False) as lookup:
        invitation = invitation_live(session.get(SESSION_KEY))
    if not lookup.ok:
        session.pop(SESSION_KEY, None)
        return render_template("invitations/expired.html", message=lookup.message), 410
    form = _join_form(invitation)
    if form.validate_on_submit():
        joined = _join(invitation, form)
        if joined is not None:
            return joined
    status = 422 if form.errors or form.form_errors else 200
    return render_template("invitations/join.html", form=form, invitation=invitation), status


def _join_form(invitation) -> JoinForm:
    form = JoinForm()
    if request.method == "GET" and not current_user.is_authenticated:
        form.name.data, form.phone.data, form.email.data = (
            invitation.name,
            invitation.phone or "",
            invitation.email or "",
        )
    return form


def _join(invitation, form: JoinForm):
    """Join with what the form says; a redirect to where the new member starts, or None with errors on the form."""
    signed_in = current_user._get_current_object() if current_user.is_authenticated else None
    data = JoinInput(
        name=form.name.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        consent=form.consent.data,
    )
    with refusals(form=form) as attempt:
        outcome = join_accept(invitation=invitation, data=data, signed_in=signed_in)
        if signed_in is None:
            session_open(outcome.user, method="invitation")
    if not attempt.ok:
        return None
    if signed_in is None:
        cookie_set(outcome.user)
    session.pop(SESSION_KEY, None)
    if outcome.request is not None:
        flash(f"Thanks, {outcome.user.first_name}! A coordinator will let you in shortly; we'll text you.", "success")
        return redirect(url_for("circles.index"))
    flash(
        f"Welcome, {outcome.user.first_name}! Here's what would help {invitation.circle.patient_first_name}.",
        "success",
    )
    return redirect(url_for("circles.show", circle_id=invitation.circle_id))
