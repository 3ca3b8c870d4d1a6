"""Rows written only if an account exists, by the one statement whether or not it does.

Asking for a sign-in code or a password reset must not answer faster, or with
fewer database statements, for a contact nobody has: that would tell a stranger
who uses the service. So these requests never branch on the lookup: each row is
an INSERT ... SELECT ... FROM users WHERE users.id = :id, which writes the row
for an account and nothing for anyone else (id 0), the same SQL either way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import cast, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coordinator.extensions import db
from coordinator.models.accounts import User


def insert_for_user(model: Any, values: dict[str, Any], *, user_id: int | None):
    """INSERT `values` into `model`'s table if `user_id` is an account's (None: nobody), as a dialect insert."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    columns = model.__table__.c

    def typed(name: str, value: Any):
        bound = literal(value, columns[name].type)
        return cast(bound, columns[name].type) if postgres else bound  # PostgreSQL can't infer a bare one's type

    source = select(*(typed(name, value) for name, value in values.items())).where(User.id == (user_id or 0))
    return (pg_insert if postgres else sqlite_insert)(model).from_select(list(values), source)
