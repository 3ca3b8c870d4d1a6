"""Updates and encouragement: news from the patient, notes and hearts back, photos, and texted links.

Also each circle's choices about updates (approval, full text in emails, shared notes) and each
member's way of hearing of updates and notes (empty: the default).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:36:05.485776

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("audience IN ('circle', 'inner')", name=op.f('ck_updates_known_audience')),
    sa.CheckConstraint("status = 'pending' OR published_at IS NOT NULL", name=op.f('ck_updates_published_has_moment')),
    sa.CheckConstraint("status IN ('pending', 'published')", name=op.f('ck_updates_known_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_updates_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_updates_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_updates_circle_id_circles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_updates'))
    )
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.create_index('ix_updates_circle_id_status_published_at', ['circle_id', 'status', 'published_at'], unique=False)

    op.create_table('update_hearts',
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_update_hearts_update_id_updates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_update_hearts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('update_id', 'user_id', name=op.f('pk_update_hearts'))
    )
    op.create_table('update_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_update_links_membership_id_memberships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_update_links_update_id_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_update_links_token_hash'))
    )
    with op.batch_alter_table('update_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_links_membership_id'), ['membership_id'], unique=False)

    op.create_table('update_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('via', sa.String(length=5), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('hidden_at', sa.DateTime(), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("via IN ('web', 'sms')", name=op.f('ck_update_notes_known_via')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_update_notes_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_update_notes_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_update_notes_hidden_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_update_notes_update_id_updates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_notes'))
    )
    with op.batch_alter_table('update_notes', schema=None) as batch_op:
        batch_op.create_index('ix_update_notes_circle_id_created_at', ['circle_id', 'created_at'], unique=False)
        batch_op.create_index('ix_update_notes_update_id', ['update_id'], unique=False)

    op.create_table('update_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_update_photos_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_update_photos_update_id_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_photos')),
    sa.UniqueConstraint('token', name=op.f('uq_update_photos_token'))
    )
    with op.batch_alter_table('update_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_photos_update_id'), ['update_id'], unique=False)

    # Plain ADD COLUMN, not a batch rebuild: SQLite's events trigger names circles, so renaming it would fail.
    for column in ('updates_need_approval', 'updates_email_full', 'notes_shared'):
        op.add_column('circles', sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updates_by', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('notes_by', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_memberships_known_updates_by'), "updates_by IN ('text', 'email', 'weekly', 'none')"
        )
        batch_op.create_check_constraint(batch_op.f('ck_memberships_known_notes_by'), "notes_by IN ('text', 'email', 'none')")



def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_memberships_known_notes_by'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_memberships_known_updates_by'), type_='check')
        batch_op.drop_column('notes_by')
        batch_op.drop_column('updates_by')

    for column in ('notes_shared', 'updates_email_full', 'updates_need_approval'):
        op.drop_column('circles', column)  # SQLite 3.35+ drops a plain column in place

    with op.batch_alter_table('update_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_photos_update_id'))

    op.drop_table('update_photos')
    with op.batch_alter_table('update_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_update_notes_update_id')
        batch_op.drop_index('ix_update_notes_circle_id_created_at')

    op.drop_table('update_notes')
    with op.batch_alter_table('update_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_links_membership_id'))

    op.drop_table('update_links')
    op.drop_table('update_hearts')
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.drop_index('ix_updates_circle_id_status_published_at')

    op.drop_table('updates')
