"""Changing many old rows a bounded batch at a time, so a big backlog never holds a table for long.

Retention (services/texting/retention.py, services/people/retention.py) deletes or
blanks rows that may have piled up for months. Each batch picks at most `size` ids
that still match, acts on exactly those, and hands over to `batch_done` (the job
commits there), so each transaction stays small on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select
from sqlalchemy.sql.dml import Delete, Update

from coordinator.extensions import db

BATCH_SIZE = 1000


def in_batches(
    ids: Select,
    act: Callable[[list[int]], Delete | Update],
    *,
    batch_done: Callable[[], None],
    size: int | None = None,
) -> int:
    """Run `act(ids)` on successive batches of what `ids` selects until none match; returns how many rows.

    `act` must make a row stop matching `ids` (delete it, or blank what selected it), or this would not end.
    """
    size = size or BATCH_SIZE
    total = 0
    while True:
        batch = list(db.session.scalars(ids.limit(size)))
        if not batch:
            return total
        db.session.execute(act(batch).execution_options(synchronize_session=False))
        total += len(batch)
        batch_done()
        if len(batch) < size:
            return total
