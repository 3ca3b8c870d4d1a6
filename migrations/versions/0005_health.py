"""Network health: escalation state on tasks, health settings, ask history, thanks, need drafts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 00:01:31.317518

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('need_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('from_user_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'posted', 'dismissed')", name=op.f('ck_need_drafts_known_status')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_need_drafts_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_need_drafts_from_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_drafts_need_id_needs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_drafts'))
    )
    with op.batch_alter_table('need_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_drafts_circle_id'), ['circle_id'], unique=False)

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_settings', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thanked_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_asked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reengaged_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ask_stage', sa.SmallInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('alerted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('alert_handled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('covered_elsewhere_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('covered_elsewhere_at')
        batch_op.drop_column('alert_handled_at')
        batch_op.drop_column('alerted_at')
        batch_op.drop_column('ask_stage')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('reengaged_at')
        batch_op.drop_column('last_asked_at')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('thanked_at')

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.drop_column('health_settings')

    with op.batch_alter_table('need_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_drafts_circle_id'))

    op.drop_table('need_drafts')
