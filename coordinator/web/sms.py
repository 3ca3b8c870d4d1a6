"""Twilio webhooks (replies and delivery receipts) and the coordinators' message log.

Texts from numbers that are nobody's are throttled per number (UNKNOWN_SENDER_LIMIT), counted only
after the signature shows Twilio sent them, so a forger cannot use up a number's allowance; members
are never throttled this way. Over the limit the text is not stored and the answer is an empty TwiML
200: a 429 would only be logged as an error on Twilio's side (it does not retry inbound texts), and an
empty answer means we never text a stranger back again and again. The limiter keeps counting, so a
number that keeps sending stays refused; the few texts that are kept go after RETAIN_UNKNOWN_INBOUND_DAYS.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from twilio.twiml.messaging_response import MessagingResponse

from coordinator.extensions import csrf
from coordinator.forms.texting import InboundTextForm, ReceiptForm
from coordinator.models.circles import COORDINATOR, Circle, Membership
from coordinator.services.people.phones import phone_mask
from coordinator.services.texting.inbound import inbound_handle, opt_out_record, sender_known
from coordinator.services.texting.message_log import message_log
from coordinator.services.texting.receipts import Receipt, receipt_early_settle, receipt_record
from coordinator.sms.commands import parse
from coordinator.sms.signature import signature_valid
from coordinator.web.access import managing_view
from coordinator.web.edge import refusals
from coordinator.web.limits import counted_within
from coordinator.web.query_args import row_id_arg

bp = Blueprint("sms", __name__)


def _twiml(text: str) -> Response:
    reply = MessagingResponse()
    if text:
        reply.message(text)
    return Response(str(reply), mimetype="application/xml")


@bp.post("/sms/inbound")
@csrf.exempt
def inbound():
    if not signature_valid():
        abort(403)
    form = InboundTextForm()
    if not form.provider_id() or not form.sender():
        abort(400)
    with refusals(commit=False):
        known = sender_known(phone=form.sender())
    if not known and not counted_within("UNKNOWN_SENDER_LIMIT", "sms-from", form.sender()):
        if parse(form.Body.data or "").word == "OPT_OUT":
            with refusals():
                opt_out_record(form.sender())  # a STOP is honoured however many texts came before it
        return _twiml("")  # nothing stored, nothing said
    text = ""  # should the service ever refuse, the text is not kept and Twilio gets an empty answer
    with refusals():
        text = inbound_handle(provider_id=form.provider_id(), from_number=form.sender(), body=form.Body.data or "")
    return _twiml(text)


@bp.post("/sms/status")
@csrf.exempt
def status():
    """A delivery receipt: services/texting/receipts.py moves the message on (never back)."""
    if not signature_valid():
        abort(403)
    receipt = ReceiptForm().receipt()
    with refusals():
        outcome = receipt_record(**receipt)
    if outcome == Receipt.KEPT:  # before the dispatcher stored the id: look once more, now the receipt is saved
        with refusals():
            receipt_early_settle(**receipt)
    return Response(status=204)


@bp.get("/circles/<int:circle_id>/messages")
@managing_view()
def log(*, membership: Membership, circle: Circle):
    before = row_id_arg("before")  # an older page starts below this message
    page = message_log(circle=circle, before=before)
    return render_template(
        "messages/index.html",
        circle=circle,
        membership=membership,
        entries=page.entries,
        older=page.older,
        paged=before is not None,
        show_bodies=membership.role == COORDINATOR,
        mask=phone_mask,
    )
