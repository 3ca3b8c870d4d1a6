"""Form fields that read dates and times the way people type them, with plain-language errors."""

from __future__ import annotations

from datetime import date

from wtforms import StringField

from coordinator.clock import parse_time
from coordinator.errors import Invalid


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
    """A date from <input type=date> (YYYY-MM-DD); a bad value is an error, not a crash."""

    input_type = "date"

    def read(self, text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError("Enter a date like 2026-12-03.") from None

    def show(self, value) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


class TimeInput(TypedInput):
    """A time from <input type=time>, or typed as 9:30, 9:30am or 14:00."""

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
        if not text.isdigit() or len(text) > 6:
            raise ValueError("Enter a whole number.")
        return int(text)
