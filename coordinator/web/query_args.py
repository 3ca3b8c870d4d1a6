"""Numbers read from a page's query string (`?before=` a row id), as a person or a mangled link sends them.

Only ASCII digits count ('²' passes str.isdigit() and int() takes Arabic-Indic digits), and only ids the
database can hold (PostgreSQL's integer, as RowIdConverter allows in paths): anything else reads as no
number, so the page shows its first screen instead of a 500 from the database.
"""

from __future__ import annotations

from flask import request

ROW_ID_MAX = 2**31 - 1


def row_id_arg(name: str) -> int | None:
    """The query argument `name` as a row id, or None if it is missing or not one."""
    value = request.args.get(name, "")
    if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= ROW_ID_MAX:
        return int(value)
    return None
