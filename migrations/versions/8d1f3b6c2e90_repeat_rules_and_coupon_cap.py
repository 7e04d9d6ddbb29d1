"""repeat rules and coupon cap

Revision ID: 8d1f3b6c2e90
Revises: a41c7e93d2b8
Create Date: 2026-12-06 21:50:00.000000

Completion claims make the repeat rules hold on every path and under concurrency; campaigns set the repeat window
and the coupon cap; invites remember the referrer's network + device signature for a day; responses say whether
their coupon was withheld.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d1f3b6c2e90'
down_revision = 'a41c7e93d2b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('completion_claim',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('visitor', 'device', 'coupons')", name=op.f('ck_completion_claim_kind')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_completion_claim_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_completion_claim')),
    sa.UniqueConstraint('kind', 'scope_id', 'key', name=op.f('uq_completion_claim_kind_scope_id_key'))
    )
    with op.batch_alter_table('completion_claim', schema=None) as batch_op:
        batch_op.create_index('ix_completion_claim_time', ['claimed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_completion_claim_workspace_id'), ['workspace_id'], unique=False)
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeat_window_minutes', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('coupon_cap_per_hour', sa.Integer(), server_default='3', nullable=False))
    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrer_signature', sa.String(length=32), server_default='', nullable=False))
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coupon_withheld', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('coupon_withheld')
    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.drop_column('referrer_signature')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('coupon_cap_per_hour')
        batch_op.drop_column('repeat_window_minutes')
    with op.batch_alter_table('completion_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_completion_claim_workspace_id'))
        batch_op.drop_index('ix_completion_claim_time')
    op.drop_table('completion_claim')
