"""Domain errors raised by services, and the friendly pages every HTTP error gets.

Services raise these; views catch the ones they expect and show a message.
Anything uncaught becomes a plain page with no stack trace (outside development).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coordinator.log_privacy import exception_text

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

    @property
    def problems(self) -> list[Invalid]:
        """Every problem this error stands for (one, unless it is `Problems`)."""
        return [self]


class Problems(Invalid):
    """Several things wrong at once, so a form can show every error after one submit.

    Collect with `check()` around each independent rule, then `raise_if_any()`:

        problems = Problems.collector()
        with problems.check():
            title = clean_title(...)
        problems.raise_if_any()
    """

    def __init__(self, problems: list[Invalid] | None = None):
        self._problems: list[Invalid] = []
        for problem in problems or []:
            self._problems.extend(problem.problems)
        first = self._problems[0] if self._problems else None
        super().__init__(first.message if first else "", field=first.field if first else None)

    @classmethod
    def collector(cls) -> Problems:
        return cls()

    @property
    def problems(self) -> list[Invalid]:
        return list(self._problems)

    @contextmanager
    def check(self) -> Iterator[None]:
        """Run one rule; an Invalid it raises is kept instead of stopping the others."""
        try:
            yield
        except Invalid as error:
            self._problems.extend(error.problems)
            if len(self._problems) == len(error.problems):
                self.message, self.field = self._problems[0].message, self._problems[0].field
                self.args = (self.message,)

    def raise_if_any(self) -> None:
        if len(self._problems) == 1:
            raise self._problems[0]
        if self._problems:
            raise self


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
        # The route's pattern, not the path (a path can carry a token); values never (log_privacy.py).
        where = request.url_rule.rule if request.url_rule else "(no route)"
        log.error("Unhandled error on %s %s\n%s", request.method, where, exception_text(error))
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
