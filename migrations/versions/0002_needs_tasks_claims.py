"""Needs, tasks, claims and outgoing messages; inner circle and calendar feed on memberships.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:07:01.326240

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('anytime', sa.Boolean(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('fold', sa.SmallInteger(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('rrule', sa.String(length=200), nullable=False),
    sa.Column('generated_until', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("visibility IN ('circle', 'inner')", name=op.f('ck_needs_known_visibility')),
    sa.CheckConstraint('capacity BETWEEN 1 AND 50', name=op.f('ck_needs_capacity_range')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_needs_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_needs_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_circle_id_cancelled_at', ['circle_id', 'cancelled_at'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('series_date', sa.Date(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('anytime', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('claimed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('detached', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'cancelled')", name=op.f('ck_tasks_known_status')),
    sa.CheckConstraint('capacity BETWEEN 1 AND 50', name=op.f('ck_tasks_capacity_range')),
    sa.CheckConstraint('claimed >= 0 AND claimed <= capacity', name=op.f('ck_tasks_claimed_within_capacity')),
    sa.CheckConstraint('ends_at >= starts_at', name=op.f('ck_tasks_ends_after_start')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_tasks_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_tasks_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('need_id', 'series_date', name=op.f('uq_tasks_need_id_series_date'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_circle_id_starts_at', ['circle_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_tasks_circle_id_status_starts_at', ['circle_id', 'status', 'starts_at'], unique=False)

    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('release_note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('held', 'released', 'done')", name=op.f('ck_claims_known_status')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_claims_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_claims_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_claims_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_claims_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_circle_id_created_at', ['circle_id', 'created_at'], unique=False)
        batch_op.create_index('ix_claims_task_id_status', ['task_id', 'status'], unique=False)
        batch_op.create_index('ix_claims_user_id_status', ['user_id', 'status'], unique=False)
        batch_op.create_index('uq_claims_one_live_claim_per_person', ['task_id', 'user_id'], unique=True, sqlite_where=sa.text("status <> 'released'"), postgresql_where=sa.text("status <> 'released'"))

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('send_by', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f('ck_messages_known_channel')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'undelivered', 'cancelled', 'unknown')", name=op.f('ck_messages_known_status')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_messages_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_messages_task_id_tasks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_messages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_messages_idempotency_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_circle_id_created_at', ['circle_id', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_messages_task_id', ['task_id'], unique=False)

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inner_circle', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('feed_version', sa.Integer(), nullable=False, server_default='1'))



def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('feed_version')
        batch_op.drop_column('inner_circle')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_task_id')
        batch_op.drop_index('ix_messages_status_due_at')
        batch_op.drop_index('ix_messages_circle_id_created_at')

    op.drop_table('messages')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('uq_claims_one_live_claim_per_person', sqlite_where=sa.text("status <> 'released'"), postgresql_where=sa.text("status <> 'released'"))
        batch_op.drop_index('ix_claims_user_id_status')
        batch_op.drop_index('ix_claims_task_id_status')
        batch_op.drop_index('ix_claims_circle_id_created_at')

    op.drop_table('claims')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_circle_id_status_starts_at')
        batch_op.drop_index('ix_tasks_circle_id_starts_at')

    op.drop_table('tasks')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_circle_id_cancelled_at')

    op.drop_table('needs')
