"""Form fields that read dates and times the way pickers send them and people type them, with plain-language errors.

Every date and time goes through the one parser for each in coordinator.clock, so a form, a category's
detail and a service agree on what "9:30", "09:30:00" or "3 Dec" means. A date field learns the circle's
habits (day or month first, what "today" is) from the form's meta: `Form(meta=date_meta(circle))`.
"""

from __future__ import annotations

from datetime import date

from wtforms import StringField
from wtforms.validators import ValidationError

from coordinator.clock import dayfirst_for, now, parse_date, parse_time, today_in
from coordinator.errors import Invalid

ROW_ID_MAX = 2**31 - 1  # the largest id the database stores (PostgreSQL integer)


def row_id(value) -> int:
    """A database id from a form (a select's value): a number past what can be stored is not a choice."""
    number = int(str(value)) if str(value).isascii() and str(value).isdigit() else -1
    if not 1 <= number <= ROW_ID_MAX:
        raise ValueError("Choose someone from the list.")
    return number


class PlainText:
    """A validator: no control characters (a NUL can't even be stored in PostgreSQL; they mean a paste went wrong)."""

    def __call__(self, form, field) -> None:
        if any((ord(ch) < 32 and ch not in "\n\r\t") or ord(ch) == 127 for ch in field.data or ""):
            raise ValidationError("Remove the control characters.")


def date_meta(circle) -> dict:
    """Form meta so typed dates read the circle's way: 12/3 is 3 Dec in a US circle, 12 Mar elsewhere."""
    return {"dayfirst": dayfirst_for(circle.phone_region), "zone": circle.timezone}


class TypedInput(StringField):
    """A text input read by `read` (which raises ValueError with a message), keeping what was typed."""

    input_type = "text"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {})["type"] = self.input_type
        super().__init__(*args, **kwargs)

    def read(self, text: str):
        return text

    def show(self, value) -> str:
        return str(value)

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            self.data = self.read(self.raw)

    def _value(self):
        return self.show(self.data) if self.data is not None else getattr(self, "raw", "") or ""

    @property
    def shows_raw(self) -> bool:
        """Something was typed that could not be read: show it back as text, not a blank picker."""
        return bool(getattr(self, "raw", "")) and self.data is None


class DateInput(TypedInput):
    """A date from <input type=date> (YYYY-MM-DD) or typed (3 Dec 2026, 12/3, tomorrow); bad text is kept."""

    input_type = "date"

    def read(self, text: str) -> date:
        meta = getattr(self, "meta", None)
        zone_name = getattr(meta, "zone", None)
        try:
            return parse_date(
                text,
                today=today_in(zone_name) if zone_name else now().date(),
                dayfirst=bool(getattr(meta, "dayfirst", False)),
            )
        except Invalid as error:
            raise ValueError(error.message) from None

    def show(self, value) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


class TimeInput(TypedInput):
    """A time from <input type=time> (09:30, 09:30:00.000), or typed as 9:30, 9.30am, 9 pm or noon."""

    input_type = "time"

    def read(self, text: str):
        try:
            return parse_time(text)
        except Invalid as error:
            raise ValueError(error.message) from None

    def show(self, value) -> str:
        return value.strftime("%H:%M") if hasattr(value, "strftime") else str(value)


class NumberInput(TypedInput):
    """A whole number; anything else gets a message instead of a crash."""

    input_type = "number"

    def __init__(self, *args, minimum: int = 0, maximum: int = 10**6, **kwargs):
        kwargs.setdefault("render_kw", {}).update({"inputmode": "numeric", "min": minimum, "max": maximum})
        super().__init__(*args, **kwargs)

    def read(self, text: str) -> int:
        if not (text.isascii() and text.isdigit()) or len(text) > 6:
            raise ValueError("Enter a whole number.")
        return int(text)
