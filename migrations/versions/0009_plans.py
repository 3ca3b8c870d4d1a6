"""Treatment plans: a circle's plan, its treatments, their dated days, the rules that turn a day into needs
by offset, and quiet days; needs made from a plan point back at it (needs.plan_id, needs.plan_day_id).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:38:08.101159

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('posted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("audience IN ('managers', 'inner')", name=op.f('ck_plans_known_audience')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_plans_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index('ix_plans_circle_id', ['circle_id'], unique=False)

    op.create_table('plan_quiet_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('offset_first', sa.SmallInteger(), nullable=False),
    sa.Column('offset_last', sa.SmallInteger(), nullable=False),
    sa.Column('no_visitors', sa.Boolean(), nullable=False),
    sa.Column('quiet_start', sa.Time(), nullable=True),
    sa.Column('quiet_end', sa.Time(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.CheckConstraint('offset_first BETWEEN -7 AND 21 AND offset_last BETWEEN offset_first AND 21', name=op.f('ck_plan_quiet_days_offsets_range')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_quiet_days_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_quiet_days'))
    )
    with op.batch_alter_table('plan_quiet_days', schema=None) as batch_op:
        batch_op.create_index('ix_plan_quiet_days_plan_id', ['plan_id'], unique=False)

    op.create_table('plan_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('pattern', sa.String(length=10), nullable=False),
    sa.Column('applies_to', sa.String(length=10), nullable=False),
    sa.Column('offset_first', sa.SmallInteger(), nullable=False),
    sa.Column('offset_last', sa.SmallInteger(), nullable=False),
    sa.Column('lead_minutes', sa.SmallInteger(), nullable=True),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('length_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('anytime', sa.Boolean(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=True),
    sa.Column('capacity', sa.SmallInteger(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.CheckConstraint("applies_to IN ('repeating', 'course', 'oneoff', 'every')", name=op.f('ck_plan_rules_known_applies_to')),
    sa.CheckConstraint("pattern IN ('offset', 'weekly')", name=op.f('ck_plan_rules_known_pattern')),
    sa.CheckConstraint('capacity BETWEEN 1 AND 50', name=op.f('ck_plan_rules_capacity_range')),
    sa.CheckConstraint('length_minutes BETWEEN 15 AND 720', name=op.f('ck_plan_rules_length_range')),
    sa.CheckConstraint('offset_first BETWEEN -7 AND 21 AND offset_last BETWEEN offset_first AND 21', name=op.f('ck_plan_rules_offsets_range')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_rules_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_rules'))
    )
    with op.batch_alter_table('plan_rules', schema=None) as batch_op:
        batch_op.create_index('ix_plan_rules_plan_id', ['plan_id'], unique=False)

    op.create_table('plan_treatments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('first_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('every_days', sa.SmallInteger(), nullable=True),
    sa.Column('times', sa.SmallInteger(), nullable=True),
    sa.Column('weekdays', sa.String(length=30), nullable=False),
    sa.Column('weeks', sa.SmallInteger(), nullable=True),
    sa.CheckConstraint("kind IN ('repeating', 'course', 'oneoff')", name=op.f('ck_plan_treatments_known_kind')),
    sa.CheckConstraint('every_days IS NULL OR every_days BETWEEN 1 AND 365', name=op.f('ck_plan_treatments_every_days_range')),
    sa.CheckConstraint('times IS NULL OR times BETWEEN 1 AND 60', name=op.f('ck_plan_treatments_times_range')),
    sa.CheckConstraint('weeks IS NULL OR weeks BETWEEN 1 AND 52', name=op.f('ck_plan_treatments_weeks_range')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_treatments_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_treatments'))
    )
    with op.batch_alter_table('plan_treatments', schema=None) as batch_op:
        batch_op.create_index('ix_plan_treatments_plan_id', ['plan_id'], unique=False)

    op.create_table('plan_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('treatment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.SmallInteger(), nullable=False),
    sa.Column('series_date', sa.Date(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'moved', 'cancelled')", name=op.f('ck_plan_days_known_status')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_plan_days_number_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_days_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['treatment_id'], ['plan_treatments.id'], name=op.f('fk_plan_days_treatment_id_plan_treatments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_days')),
    sa.UniqueConstraint('treatment_id', 'number', name=op.f('uq_plan_days_treatment_id_number'))
    )
    with op.batch_alter_table('plan_days', schema=None) as batch_op:
        batch_op.create_index('ix_plan_days_plan_id_local_date', ['plan_id', 'local_date'], unique=False)

    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_day_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_rule_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_needs_plan_day_id'), ['plan_day_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_plan_id'), ['plan_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_needs_plan_id_plans'), 'plans', ['plan_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_needs_plan_day_id_plan_days'), 'plan_days', ['plan_day_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_needs_plan_rule_id_plan_rules'), 'plan_rules', ['plan_rule_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_needs_plan_rule_id_plan_rules'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_needs_plan_day_id_plan_days'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_needs_plan_id_plans'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_needs_plan_id'))
        batch_op.drop_index(batch_op.f('ix_needs_plan_day_id'))
        batch_op.drop_column('plan_rule_id')
        batch_op.drop_column('plan_day_id')
        batch_op.drop_column('plan_id')

    with op.batch_alter_table('plan_days', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_days_plan_id_local_date')

    op.drop_table('plan_days')
    with op.batch_alter_table('plan_treatments', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_treatments_plan_id')

    op.drop_table('plan_treatments')
    with op.batch_alter_table('plan_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_rules_plan_id')

    op.drop_table('plan_rules')
    with op.batch_alter_table('plan_quiet_days', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_quiet_days_plan_id')

    op.drop_table('plan_quiet_days')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index('ix_plans_circle_id')

    op.drop_table('plans')
