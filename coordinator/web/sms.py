"""Twilio webhooks (replies and delivery receipts) and the coordinators' message log."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from twilio.twiml.messaging_response import MessagingResponse

from coordinator.extensions import csrf
from coordinator.forms.texting import InboundTextForm, ReceiptForm
from coordinator.models.circles import COORDINATOR, Circle, Membership
from coordinator.services.people.phones import phone_mask
from coordinator.services.texting.inbound import inbound_handle
from coordinator.services.texting.message_log import message_log
from coordinator.services.texting.receipts import receipt_record
from coordinator.sms.signature import signature_valid
from coordinator.web.access import managing_view
from coordinator.web.edge import refusals

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
    form = ReceiptForm()
    with refusals():
        receipt_record(
            provider_id=form.MessageSid.data or "",
            provider_status=form.MessageStatus.data or "",
            error_code=form.ErrorCode.data or "",
        )
    return Response(status=204)


@bp.get("/circles/<int:circle_id>/messages")
@managing_view()
def log(*, membership: Membership, circle: Circle):
    return render_template(
        "messages/index.html",
        circle=circle,
        membership=membership,
        entries=message_log(circle=circle),
        show_bodies=membership.role == COORDINATOR,
        mask=phone_mask,
    )
