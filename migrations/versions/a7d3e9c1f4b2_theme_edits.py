"""theme edits

Revision ID: a7d3e9c1f4b2
Revises: f3c8a1d5b7e9
Create Date: 2026-12-14 09:12:40.104518

A marketer's edits of the themes of a campaign's open-text answers: renamed, hidden or merged into another theme,
one row per theme key and campaign.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3e9c1f4b2'
down_revision = 'f3c8a1d5b7e9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('theme_edit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=120), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("action IN ('rename', 'hide', 'merge')", name=op.f('ck_theme_edit_action')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_theme_edit_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_theme_edit_changed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_theme_edit_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_edit')),
    sa.UniqueConstraint('campaign_id', 'key', name=op.f('uq_theme_edit_campaign_id_key'))
    )
    with op.batch_alter_table('theme_edit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_edit_workspace_id'), ['workspace_id'], unique=False)


def downgrade():
    with op.batch_alter_table('theme_edit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_edit_workspace_id'))

    op.drop_table('theme_edit')
