"""What Twilio posts to our webhooks: a text someone sent us, and a receipt for one we sent.

Twilio signs its requests instead of carrying our CSRF token (web/sms.py checks the signature),
so these forms have no CSRF field. Values are cut to what the columns hold.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField


class _Webhook(FlaskForm):
    class Meta:
        csrf = False


class InboundTextForm(_Webhook):
    MessageSid = StringField()
    SmsSid = StringField()  # older accounts send the id under this name
    From = StringField()
    Body = StringField()

    def provider_id(self) -> str:
        return (self.MessageSid.data or self.SmsSid.data or "")[:64]

    def sender(self) -> str:
        return (self.From.data or "")[:20]


class ReceiptForm(_Webhook):
    MessageSid = StringField()
    MessageStatus = StringField()
    ErrorCode = StringField()

    def receipt(self) -> dict[str, str]:
        """What services/texting/receipts.py reads. Twilio's ids are 34 characters; a longer one is nobody's,
        and cut to the column it is looked up in (and, until a day passes, kept in) it matches nothing."""
        return {
            "provider_id": (self.MessageSid.data or "")[:64],
            "provider_status": (self.MessageStatus.data or "")[:20],
            "error_code": (self.ErrorCode.data or "")[:20],
        }
