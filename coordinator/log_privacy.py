"""Logs never carry what people told us: no phone number, email, address, body or token.

`hide_parameters=True` (config.py) keeps SQLAlchemy from writing a statement's values into its
messages, but the database's own words still can: PostgreSQL explains a broken constraint with
"DETAIL: Failing row contains (..., +12025550111, ...)", and that text is part of the exception a
failed request logs. And an operator who turns logging up to DEBUG gets every row SQLAlchemy reads.

So an error is logged through `exception_text`: the stack (file, line, code; no local values) and,
for a database error, what failed by name (SQLSTATE, constraint, table, column, the statement with
its placeholders) instead of the database's message. Other errors keep their message, with anything
shaped like a phone number or an email replaced. `register_log_privacy` drops SQLAlchemy's row lines.
"""

from __future__ import annotations

import logging
import re
import traceback

from flask import Flask
from sqlalchemy.exc import StatementError

PHONE_SHAPES = re.compile(r"\+\d[\d ().-]{6,18}\d|\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b")
EMAIL_SHAPES = re.compile(r"[^\s@'\"<>(),;]+@[^\s@'\"<>(),;]+\.[A-Za-z]{2,}")
DIAG_NAMES = ("sqlstate", "constraint_name", "table_name", "column_name")


def scrub(text: str) -> str:
    """`text` with anything shaped like a phone number or an email replaced."""
    return EMAIL_SHAPES.sub("[email]", PHONE_SHAPES.sub("[phone]", text))


def error_summary(error: BaseException) -> str:
    """One line naming what went wrong, without the values a database error repeats."""
    name = type(error).__name__
    if isinstance(error, StatementError):
        cause = error.orig if error.orig is not None else error
        return f"{_database_reason(cause)} [SQL: {' '.join(str(error.statement).split())}]"
    if _is_database_error(error):
        return f"{name}: {_database_reason(error)}"
    return scrub(f"{name}: {error}")


def exception_text(error: BaseException) -> str:
    """The traceback of `error` (and what caused it) as `logging` would print it, values left out."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = [
        "Traceback (most recent call last):\n" + "".join(traceback.format_tb(item.__traceback__)) + error_summary(item)
        for item in reversed(chain)
    ]
    return "\n\nWhich led to:\n\n".join(parts)


def _is_database_error(error: BaseException) -> bool:
    module = type(error).__module__ or ""
    return module.split(".")[0] in {"psycopg", "psycopg2", "sqlite3"} or hasattr(error, "diag")


def _database_reason(error: BaseException) -> str:
    diag = getattr(error, "diag", None)
    if diag is not None:  # PostgreSQL: name the rule that failed; its message and DETAIL quote the values
        named = [f"{field} {getattr(diag, field)}" for field in DIAG_NAMES if getattr(diag, field, None)]
        return f"{type(error).__name__} ({'; '.join(named) or 'no details'})"
    first_line = str(error).splitlines()[0] if str(error) else ""
    return scrub(f"{type(error).__name__}: {first_line}")  # SQLite names the constraint, not the values


class _NoRows(logging.Filter):
    """SQLAlchemy at DEBUG logs each row it reads (names, phones, bodies): those lines are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


_ROWS = _NoRows()


def register_log_privacy(app: Flask) -> None:
    """Drop SQLAlchemy's row lines, whatever level a host sets (statements stay; their values are hidden)."""
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _ROWS not in engine_logger.filters:
        engine_logger.addFilter(_ROWS)
