"""Delivery receipts that arrive before their text's provider id is stored wait in early_receipts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('early_receipts',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error_code', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_early_receipts'))
    )


def downgrade():
    op.drop_table('early_receipts')
