"""Asking once before an action that can't be undone: a page that says plainly what will happen.

A destructive button (remove someone, cancel a series, give back tomorrow's
task) links to a GET of the same address, which shows this page; only its
POST acts. So one stray tap never destroys anything, and the page has room to
say the consequences in words ("Sam's 2 upcoming tasks will need someone again").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template

from coordinator.forms.accounts import ConfirmForm


@dataclass(frozen=True)
class Confirmation:
    title: str  # a question: "Remove Sam Carter from Team Maria?"
    action: str  # where the confirming POST goes
    button: str  # says the action: "Remove Sam"
    back: str  # where "keep it" leads
    back_label: str = "No, go back"
    lead: str = ""
    consequences: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)  # hidden values the POST carries
    danger: bool = True


def confirmation_page(confirmation: Confirmation, *, form=None, template: str = "confirm.html", **context):
    """Render the question; `form` (optional) adds fields such as a note, shown above the buttons."""
    return render_template(template, confirmation=confirmation, confirm=ConfirmForm(), form=form, **context)
