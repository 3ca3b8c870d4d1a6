"""Operations: scheduler heartbeats, and quiet hours that can be "not chosen".

Quiet hours were stored as 21:00-08:00 for everyone from the start, so the host's
SMS_DEFAULT_QUIET_START/END never applied to anyone. They are now empty until a
person chooses; rows holding exactly the old default are taken as not chosen.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_heartbeats',
    sa.Column('instance', sa.String(length=100), nullable=False),
    sa.Column('leader', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('beat_at', sa.DateTime(), nullable=False),
    sa.Column('jobs', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('instance', name=op.f('pk_scheduler_heartbeats'))
    )
    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduler_heartbeats_beat_at'), ['beat_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('quiet_start', existing_type=sa.Time(), nullable=True)
        batch_op.alter_column('quiet_end', existing_type=sa.Time(), nullable=True)
    # SQLite keeps a time as text with microseconds ('21:00:00.000000'); PostgreSQL as a time.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "UPDATE users SET quiet_start = NULL, quiet_end = NULL "
            "WHERE substr(quiet_start, 1, 8) = '21:00:00' AND substr(quiet_end, 1, 8) = '08:00:00'"
        )
    else:
        op.execute(
            "UPDATE users SET quiet_start = NULL, quiet_end = NULL "
            "WHERE quiet_start = '21:00:00' AND quiet_end = '08:00:00'"
        )


def downgrade():
    op.execute("UPDATE users SET quiet_start = '21:00:00' WHERE quiet_start IS NULL")
    op.execute("UPDATE users SET quiet_end = '08:00:00' WHERE quiet_end IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('quiet_end', existing_type=sa.Time(), nullable=False)
        batch_op.alter_column('quiet_start', existing_type=sa.Time(), nullable=False)

    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_heartbeats_beat_at'))

    op.drop_table('scheduler_heartbeats')
