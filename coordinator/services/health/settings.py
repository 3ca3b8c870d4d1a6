"""Per-circle settings for noticing the thinning and acting on it, with sensible defaults.

A circle stores only what it changed (Circle.health_settings); everything
else comes from DEFAULTS, so new settings reach old circles without a migration.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from coordinator.errors import Invalid
from coordinator.models.circles import Circle


@dataclass(frozen=True)
class HealthSettings:
    first_ask_days: int = 7  # ask the best few this many days before an open task
    wider_ask_days: int = 3  # then everyone who suits it
    alert_days: int = 1  # then tell the coordinators
    best_few: int = 1  # one at a time, the next 12 hours later: fewer asks spent on a task just taken (issue 18)
    fair_share_factor: float = 2.0  # nobody asked past this many times an even split
    backup_after_hours: int = 12  # an alert nobody acted on goes to the next coordinator
    reengage: bool = True  # one gentle, concrete ask to someone drifting away
    archive_after_weeks: int = 6  # no answer to that ask: left in peace, then archived
    patient_checkins: bool = False  # a weekly "how is this week?" text to the patient
    patient_view: str = "gentle"  # what the patient sees of circle health: gentle or none


LIMITS = {
    "first_ask_days": (1, 30),
    "wider_ask_days": (0, 30),
    "alert_days": (0, 14),
    "best_few": (1, 10),
    "fair_share_factor": (1.0, 10.0),
    "backup_after_hours": (1, 168),
    "archive_after_weeks": (1, 52),
}


def health_settings(circle: Circle) -> HealthSettings:
    stored = circle.health_settings or {}
    known = {f.name for f in fields(HealthSettings)}
    return HealthSettings(**{k: v for k, v in stored.items() if k in known})


def health_settings_update(*, circle: Circle, values: dict) -> HealthSettings:
    """Validate and store changed settings; Invalid names the field that is out of range."""
    merged = asdict(health_settings(circle)) | values
    for name, (low, high) in LIMITS.items():
        value = merged[name]
        if value is None or not low <= value <= high:
            raise Invalid(f"Choose a number from {low:g} to {high:g}.", field=name)
    if not merged["alert_days"] <= merged["wider_ask_days"] <= merged["first_ask_days"]:
        raise Invalid(
            "Ask the best few first, then everyone, then alert coordinators: days must go down.", field="wider_ask_days"
        )
    if merged["patient_view"] not in ("gentle", "none"):
        raise Invalid("Choose what the patient sees.", field="patient_view")
    settings = HealthSettings(**merged)
    defaults = asdict(HealthSettings())
    circle.health_settings = {k: v for k, v in asdict(settings).items() if defaults[k] != v}
    return settings
