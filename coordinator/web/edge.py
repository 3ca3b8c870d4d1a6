"""The one way a view acts: run the service call, commit what it did, or roll it back and say why not.

Every view that changes something runs its service call inside `refusals`:

    with refusals(form=form) as attempt:
        need = need_post(circle=circle, author=current_user, data=form.to_input())
    if attempt.ok:
        flash(...)
        return redirect(...)
    return render_template(..., form=form), 422

When the block finishes, its work is committed. When a service refuses (raises a DomainError), the work is
rolled back, `attempt.ok` is False, `attempt.error` holds the refusal, and it is shown one way:

- `form=form`: every problem next to its field, or above the form when it names none. A field that
  already shows a problem (the form could not even read it) keeps that one, so each says one thing.
- `flash=True`: flashed as an error, for a view that redirects. `flash=Conflict` (a kind or a tuple of
  kinds) flashes only those and puts the rest on the form: for when the form's page is gone.
- neither: not shown; the view shows `attempt.message` its own way (an expired link's page).

A NotFound that names no field becomes the 404 page, as if the thing were not there at all (it may be
another circle's). Anything that is not a DomainError (a bug, the database gone) is not caught.
Two switches, for two exceptions to the rule: `keep=True` commits even a refused attempt's work (a wrong
sign-in code still counts as a guess), and `commit=False` is for a check that writes nothing (the
question a GET asks before an action, a form that could not be read).

A lookup outside any action needs no helper: a NotFound that no view catches is the 404 page too
(coordinator/errors.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import abort
from flask import flash as flash_message
from flask_wtf import FlaskForm

from coordinator.errors import DomainError, NotFound
from coordinator.extensions import db
from coordinator.forms import form_error


@dataclass
class Attempt:
    """What came of one service call: `ok`, or the refusal (`error`, its `message`)."""

    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        return self.error.message if self.error else ""

    def refused(self, kind: type[DomainError] = DomainError) -> bool:
        """Whether the refusal (or any one of its problems) is of `kind`."""
        return any(isinstance(problem, kind) for problem in _problems(self.error)) if self.error else False


@contextmanager
def refusals(
    *,
    form: FlaskForm | None = None,
    flash: bool | type[DomainError] | tuple[type[DomainError], ...] = False,
    keep: bool = False,
    commit: bool = True,
) -> Iterator[Attempt]:
    """Commit the block's work, or roll it back and show the refusal (see the module docstring)."""
    attempt = Attempt()
    try:
        yield attempt
    except DomainError as error:
        if keep:
            db.session.commit()
        else:
            db.session.rollback()
        if isinstance(error, NotFound) and not error.field:
            abort(404)
        attempt.error = error
        flashed = (DomainError,) if flash is True else (flash or ())
        if isinstance(error, flashed) or (flash and form is None):
            flash_message(error.message, "error")
        elif form is not None:
            for problem in _problems(error):
                if not (problem.field and problem.field in form and form[problem.field].errors):
                    form_error(form, problem)
    else:
        if commit:
            db.session.commit()


def _problems(error: DomainError) -> list[DomainError]:
    return list(getattr(error, "problems", [error]))
