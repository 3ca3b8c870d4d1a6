"""Forms: parse and shape-check what people type. The rules themselves live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm

from coordinator.errors import DomainError


def form_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's error(s) next to their fields (or above the form when one names none)."""
    for problem in getattr(error, "problems", [error]):
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            errors = list(field.errors) if isinstance(field.errors, list | tuple) else []
            if problem.message not in errors:
                field.errors = [*errors, problem.message]
        elif problem.message not in form.form_errors:
            form.form_errors.append(problem.message)
