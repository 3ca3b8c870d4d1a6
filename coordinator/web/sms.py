"""Twilio webhooks (replies and delivery receipts) and the coordinators' message log."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select, update
from twilio.twiml.messaging_response import MessagingResponse

from coordinator.extensions import csrf, db
from coordinator.models.circles import COORDINATOR, Circle, Membership
from coordinator.models.messages import Message
from coordinator.services.people.phones import phone_mask
from coordinator.services.texting.inbound import inbound_handle, number_refused
from coordinator.services.texting.message_log import message_log
from coordinator.sms.signature import signature_valid
from coordinator.web.access import managing_view

bp = Blueprint("sms", __name__)

# Status callbacks only move a message forward: a late "sent" never undoes "delivered".
RANK = {"pending": 0, "sending": 1, "unknown": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}
PROVIDER_STATUS = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}


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
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    sender = request.form.get("From", "")
    if not sid or not sender:
        abort(400)
    text = inbound_handle(provider_id=sid[:64], from_number=sender[:20], body=request.form.get("Body", ""))
    db.session.commit()
    return _twiml(text)


@bp.post("/sms/status")
@csrf.exempt
def status():
    if not signature_valid():
        abort(403)
    sid = request.form.get("MessageSid", "")
    new = PROVIDER_STATUS.get(request.form.get("MessageStatus", "").lower())
    if not sid or new is None:
        return Response(status=204)
    message = db.session.scalar(select(Message).where(Message.provider_id == sid))
    if message is not None and RANK[new] > RANK.get(message.status, 0):
        values = {"status": new}
        if request.form.get("ErrorCode"):
            values["error_code"] = request.form["ErrorCode"][:20]
        db.session.execute(
            update(Message).where(Message.id == message.id, Message.status == message.status).values(**values)
        )
        if new in ("undelivered", "failed"):
            number_refused(message.to_address, request.form.get("ErrorCode", ""))
        db.session.commit()
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
