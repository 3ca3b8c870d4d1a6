"""Domain errors raised by services, and the friendly pages every HTTP error gets.

Services raise these; views catch the ones they expect and show a message.
Anything uncaught becomes a plain page with no stack trace (outside development).
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the product was not met; the message is safe to show."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """No such thing, or not one this person may know exists."""


class Conflict(DomainError):
    """Someone else got there first, or the thing is not in a state for this."""


class Expired(DomainError):
    """A link, code or offer is past its time."""


class Invalid(DomainError):
    """Input that breaks a rule; `field` names the form field when there is one."""


ERROR_PAGES = {
    400: ("Something was wrong with that request", "Please go back, check the form and try again."),
    403: ("That isn't available to you", "If you think you should have access, ask a coordinator."),
    404: ("We couldn't find that page", "The link may be old, or it may belong to a circle you're not in."),
    405: ("That doesn't work here", "Please go back and use the buttons on the page."),
    413: ("That was too large", "Please send something smaller: files up to 2 MB."),
    429: ("Too many attempts", "Please wait a minute, then try again."),
    500: ("Something went wrong on our side", "Nothing you did caused this. Please try again in a moment."),
}


def render_error(code: int):
    title, hint = ERROR_PAGES.get(code, ERROR_PAGES[500])
    return render_template("errors/error.html", code=code, title=title, hint=hint), code


def register_error_handlers(app: Flask) -> None:
    def handle_http(error: HTTPException):
        code = error.code or 500
        if code in ERROR_PAGES:
            return render_error(code)
        return error

    def handle_unexpected(error: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)

    def handle_not_found(error: NotFound):
        return render_error(404)

    def handle_csrf(error: CSRFError):
        return (
            render_template(
                "errors/error.html",
                code=400,
                title="That form had expired",
                hint="For your safety, forms expire. Please go back, reload the page and try again.",
            ),
            400,
        )

    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(NotFound, handle_not_found)
    if not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
