"""Jinja helpers shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from coordinator.clock import local


def format_local(moment: datetime | None, zone_name: str, pattern: str = "%a %-d %b, %-I:%M %p") -> str:
    if moment is None:
        return ""
    return local(moment, zone_name).strftime(pattern)


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
