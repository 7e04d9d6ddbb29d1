"""win-back batches

Revision ID: b5d1f7a3c9e2
Revises: e7c2a9f4b1d3
Create Date: 2026-12-10 10:00:00.000000

A win-back mailing is a batch of personalised codes for lapsed customers: `winback_batch` records the selection
(lapsed for how many days, detractors included or not, how many were left out and why), `winback_recipient` which
contact got which code.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1f7a3c9e2'
down_revision = 'e7c2a9f4b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('winback_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('lapsed_days', sa.Integer(), nullable=False),
    sa.Column('include_detractors', sa.Boolean(), nullable=False),
    sa.Column('suppressed_detractors', sa.Integer(), nullable=False),
    sa.Column('without_email', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('lapsed_days >= 1', name=op.f('ck_winback_batch_lapsed_days_positive')),
    sa.CheckConstraint('suppressed_detractors >= 0 AND without_email >= 0', name=op.f('ck_winback_batch_suppressed_counts')),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batch.id'], name=op.f('fk_winback_batch_batch_id_code_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_winback_batch_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_winback_batch')),
    sa.UniqueConstraint('batch_id', name=op.f('uq_winback_batch_batch_id'))
    )
    with op.batch_alter_table('winback_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_winback_batch_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('winback_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('winback_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_winback_recipient_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_winback_recipient_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['winback_id'], ['winback_batch.id'], name=op.f('fk_winback_recipient_winback_id_winback_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_winback_recipient_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_winback_recipient')),
    sa.UniqueConstraint('code_id', name=op.f('uq_winback_recipient_code_id')),
    sa.UniqueConstraint('winback_id', 'contact_id', name=op.f('uq_winback_recipient_winback_id_contact_id'))
    )
    with op.batch_alter_table('winback_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_winback_recipient_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_winback_recipient_winback_id'), ['winback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_winback_recipient_workspace_id'), ['workspace_id'], unique=False)


def downgrade():
    with op.batch_alter_table('winback_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_winback_recipient_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_winback_recipient_winback_id'))
        batch_op.drop_index(batch_op.f('ix_winback_recipient_contact_id'))
    op.drop_table('winback_recipient')
    with op.batch_alter_table('winback_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_winback_batch_workspace_id'))
    op.drop_table('winback_batch')
