"""Invitations, join requests, sign-in codes, imports, reopenings; contact preferences.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 23:18:52.711289

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f('ck_sign_in_codes_known_channel')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_codes'))
    )
    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_codes_secret_hash', ['secret_hash'], unique=False)
        batch_op.create_index('ix_sign_in_codes_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_import_batches_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('inviter_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_user_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind = 'link' OR phone IS NOT NULL OR email IS NOT NULL", name=op.f('ck_invitations_personal_has_contact')),
    sa.CheckConstraint("kind IN ('personal', 'link')", name=op.f('ck_invitations_known_kind')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'revoked', 'declined', 'expired')", name=op.f('ck_invitations_known_status')),
    sa.ForeignKeyConstraint(['accepted_user_id'], ['users.id'], name=op.f('fk_invitations_accepted_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_invitations_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inviter_id'], ['users.id'], name=op.f('fk_invitations_inviter_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_circle_id_status', ['circle_id', 'status'], unique=False)
        batch_op.create_index('uq_invitations_live_email', ['circle_id', 'email'], unique=True, sqlite_where=sa.text("status = 'pending' AND email IS NOT NULL"), postgresql_where=sa.text("status = 'pending' AND email IS NOT NULL"))
        batch_op.create_index('uq_invitations_live_phone', ['circle_id', 'phone'], unique=True, sqlite_where=sa.text("status = 'pending' AND phone IS NOT NULL"), postgresql_where=sa.text("status = 'pending' AND phone IS NOT NULL"))

    op.create_table('reopenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_ids', sa.JSON(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('awaiting_patient', 'sent', 'withdrawn')", name=op.f('ck_reopenings_known_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_reopenings_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_reopenings_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_reopenings_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reopenings'))
    )
    op.create_table('join_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'declined')", name=op.f('ck_join_requests_known_status')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_join_requests_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_join_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_join_requests_invitation_id_invitations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_join_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests'))
    )
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.create_index('uq_join_requests_one_pending', ['circle_id', 'user_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('reopen_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reopening_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('answer', sa.String(length=10), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("answer IN ('asked', 'yes', 'no')", name=op.f('ck_reopen_answers_known_answer')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_reopen_answers_membership_id_memberships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reopening_id'], ['reopenings.id'], name=op.f('fk_reopen_answers_reopening_id_reopenings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reopen_answers')),
    sa.UniqueConstraint('reopening_id', 'membership_id', name=op.f('uq_reopen_answers_reopening_id_membership_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_reopen_answers_token_hash'))
    )
    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('names_visible', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('help_categories', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('availability', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('asks_per_week', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('quiet_start', sa.Time(), nullable=False, server_default='21:00:00'))
        batch_op.add_column(sa.Column('quiet_end', sa.Time(), nullable=False, server_default='08:00:00'))
        batch_op.add_column(sa.Column('sms_enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('email_enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('sms_consent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sms_opted_out_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('phone_unreachable_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone_unreachable_at')
        batch_op.drop_column('sms_opted_out_at')
        batch_op.drop_column('sms_consent_at')
        batch_op.drop_column('email_enabled')
        batch_op.drop_column('sms_enabled')
        batch_op.drop_column('quiet_end')
        batch_op.drop_column('quiet_start')
        batch_op.drop_column('timezone')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
        batch_op.drop_column('asks_per_week')
        batch_op.drop_column('availability')
        batch_op.drop_column('help_categories')

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.drop_column('names_visible')

    op.drop_table('reopen_answers')
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_join_requests_one_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.drop_table('join_requests')
    op.drop_table('reopenings')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('uq_invitations_live_phone', sqlite_where=sa.text("status = 'pending' AND phone IS NOT NULL"), postgresql_where=sa.text("status = 'pending' AND phone IS NOT NULL"))
        batch_op.drop_index('uq_invitations_live_email', sqlite_where=sa.text("status = 'pending' AND email IS NOT NULL"), postgresql_where=sa.text("status = 'pending' AND email IS NOT NULL"))
        batch_op.drop_index('ix_invitations_circle_id_status')

    op.drop_table('invitations')
    op.drop_table('import_batches')
    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_codes_user_id_created_at')
        batch_op.drop_index('ix_sign_in_codes_secret_hash')

    op.drop_table('sign_in_codes')
