"""Phone numbers: read them the way people type them, store E.164, never log them whole.

Numbers are parsed with `phonenumbers` using the circle's region, so "(202)
555-0110" works in a US circle and "07700 900123" in a British one. We text
people, so a number must be able to receive texts: landlines, toll-free and
premium numbers are refused with a message that says why.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from coordinator.errors import Invalid
from coordinator.regions import country_name

TEXTABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
}


def phone_parse(raw: str, *, region: str, field: str = "phone") -> str:
    """The number in E.164 ("+12025550110"), or Invalid with a reason a person can act on."""
    text = (raw or "").strip()
    if not text:
        raise Invalid("Enter a mobile number.", field=field)
    if len(text) > 40 or any(ch.isalpha() for ch in text.replace("ext", "")):
        raise Invalid("That doesn't look like a phone number.", field=field)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise Invalid("That doesn't look like a phone number.", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(
            f"That number isn't valid{'' if text.startswith('+') else ' (read as a ' + country_name(region) + ' number)'}. "
            "Check the digits, or add the country code (like +44).",
            field=field,
        )
    if phonenumbers.number_type(number) not in TEXTABLE:
        raise Invalid(
            "That number can't get texts (it looks like a landline or toll-free number). Enter a mobile number.",
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str | None) -> str:
    """A stored number as people read it: "+1 202-555-0110"."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164


def phone_mask(e164: str | None) -> str:
    """For logs: keep the country code and last two digits only ("+1•••••••10")."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    try:
        country = str(phonenumbers.parse(e164).country_code)
    except NumberParseException:
        country = digits[:1]
    hidden = max(len(digits) - len(country) - 2, 0)
    return f"+{country}{'•' * hidden}{digits[-2:]}"
