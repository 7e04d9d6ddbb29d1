"""saved segments

Revision ID: b5e2c8f1a9d4
Revises: a7d3e9c1f4b2
Create Date: 2026-12-07 11:00:00.000000

Named segments of a workspace: the conditions (an answer, NPS group, language, device, visitor, referral, arrival,
kiosk) every analysis page, download and API read can be narrowed by.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e2c8f1a9d4'
down_revision = 'a7d3e9c1f4b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_segment_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_segment_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segment')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_segment_workspace_id_name'))
    )
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segment_workspace_id'), ['workspace_id'], unique=False)


def downgrade():
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segment_workspace_id'))

    op.drop_table('segment')
