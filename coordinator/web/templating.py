"""Jinja helpers shared by every page: how dates, times and tasks are written."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Flask, g
from flask_login import current_user

from coordinator.clock import local, now, zone_label
from coordinator.services.people.phones import phone_display
from coordinator.web.navigation import circle_nav, more_is_current
from coordinator.web.plain_words import paragraphs


def format_local(moment: datetime | None, zone_name: str, pattern: str = "%a %-d %b, %-I:%M %p") -> str:
    if moment is None:
        return ""
    return local(moment, zone_name).strftime(pattern)


def clock(value: time | None) -> str:
    """9:00am, 2:30pm."""
    if value is None:
        return ""
    return value.strftime("%-I:%M%p").lower()


def day(value: date | None) -> str:
    """ "Tue 3 Dec", with the year when it isn't this year ("Tue 2 Mar 2027")."""
    if not value:
        return ""
    return value.strftime("%a %-d %b") + (f" {value.year}" if value.year != now().year else "")


def task_when(task, *, with_day: bool = True) -> str:
    """When a task happens, in the circle's wall time: "Tue 3 Dec, 9:00am–10:00am"."""
    if task.anytime:
        return f"Any time before the end of {day(task.local_date)}"
    hours = f"{clock(task.start_time)}–{clock(task.end_time)}"
    return f"{day(task.local_date)}, {hours}" if with_day else hours


def my_circle_count() -> int:
    """How many circles the signed-in person is in (asked once per page, only when the page needs it)."""
    if "my_circle_count" not in g:
        from coordinator.services.people.circles import circle_count_for_user

        g.my_circle_count = circle_count_for_user(user=current_user) if current_user.is_authenticated else 0
    return g.my_circle_count


def register_templating(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["zone_label"] = zone_label
    app.jinja_env.filters["phone"] = phone_display
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.globals["task_when"] = task_when
    app.jinja_env.globals["circle_nav"] = circle_nav
    app.jinja_env.globals["more_is_current"] = more_is_current
    app.jinja_env.globals["my_circle_count"] = my_circle_count
