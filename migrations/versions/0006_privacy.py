"""Privacy: deleted accounts, closing and purging circles (and the events trigger that lets a purge through).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Copied (not imported) from coordinator/models/activity.py: a migration is frozen in time.
SQLITE_NO_DELETE = (
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "WHEN NOT EXISTS (SELECT 1 FROM circles WHERE circles.id = OLD.circle_id AND circles.purge_started_at IS NOT NULL) "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
)
SQLITE_NO_DELETE_BEFORE = (
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
)
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'DELETE' AND EXISTS "
    "(SELECT 1 FROM circles WHERE circles.id = OLD.circle_id AND circles.purge_started_at IS NOT NULL) "
    "THEN RETURN OLD; END IF; "
    "RAISE EXCEPTION 'events are append-only'; END $$"
)
POSTGRESQL_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'events are append-only'; END $$"
)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_users_has_contact'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_users_has_contact'), "email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL"
        )

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purge_after', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('purge_started_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_circles_closed_by_id_users'), 'users', ['closed_by_id'], ['id'], ondelete='SET NULL'
        )

    _events_trigger(SQLITE_NO_DELETE, POSTGRESQL_FUNCTION)


def downgrade():
    _events_trigger(SQLITE_NO_DELETE_BEFORE, POSTGRESQL_FUNCTION_BEFORE)

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_circles_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('purge_started_at')
        batch_op.drop_column('purge_after')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_has_contact'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_has_contact'), "email IS NOT NULL OR phone IS NOT NULL")
        batch_op.drop_column('deleted_at')


def _events_trigger(sqlite_statement, postgresql_function):
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
        op.execute(sqlite_statement)
    elif dialect == "postgresql":
        op.execute(postgresql_function)
