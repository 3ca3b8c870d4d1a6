"""Forms: parse and shape-check what people type. The rules themselves live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm

from coordinator.errors import DomainError


def form_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's error next to its field (or above the form when it names none)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)
