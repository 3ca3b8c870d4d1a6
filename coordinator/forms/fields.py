"""Form fields that read dates and times the way people type them, with plain-language errors."""

from __future__ import annotations

from datetime import date

from wtforms import StringField

from coordinator.clock import parse_time
from coordinator.errors import Invalid


class DateInput(StringField):
    """A date from <input type=date> (YYYY-MM-DD); a bad value is an error, not a crash."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {})["type"] = "date"
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            try:
                self.data = date.fromisoformat(self.raw)
            except ValueError:
                raise ValueError("Enter a date like 2026-12-03.") from None

    def _value(self):
        return self.data.isoformat() if isinstance(self.data, date) else getattr(self, "raw", "") or ""


class TimeInput(StringField):
    """A time from <input type=time>, or typed as 9:30, 9:30am or 14:00."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {})["type"] = "time"
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            try:
                self.data = parse_time(self.raw)
            except Invalid as error:
                raise ValueError(error.message) from None

    def _value(self):
        if self.data is not None and hasattr(self.data, "strftime"):
            return self.data.strftime("%H:%M")
        return getattr(self, "raw", "") or ""


class NumberInput(StringField):
    """A whole number; anything else gets a message instead of a crash."""

    def __init__(self, *args, minimum: int = 0, maximum: int = 10**6, **kwargs):
        render = kwargs.setdefault("render_kw", {})
        render.update({"inputmode": "numeric", "type": "number", "min": minimum, "max": maximum})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            if not self.raw.isdigit() or len(self.raw) > 6:
                raise ValueError("Enter a whole number.")
            self.data = int(self.raw)

    def _value(self):
        return str(self.data) if self.data is not None else getattr(self, "raw", "") or ""
