"""lead funnel to won: sales stages, won value, lost reason, stage history

Revision ID: d4a8e2f6c1b7
Revises: c9f1a7e3b2d6
Create Date: 2026-12-07 14:30:00.000000

A contact can now be sales-accepted, sales-qualified, won (with an order value) or lost (with a reason); every move
of a stage is a `stage_change` row. Existing contacts keep their stage (new, marketing_qualified, sales_ready).
Their earlier moves were not recorded, so each contact not at `new` gets one row from `new` to its stage, dated
when its stage last changed (marked as made by the score, the only thing that moved stages until now).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4a8e2f6c1b7'
down_revision = 'c9f1a7e3b2d6'
branch_labels = None
depends_on = None

STAGES = ('new', 'marketing_qualified', 'sales_ready', 'sales_accepted', 'sales_qualified', 'won', 'lost')
OLD_STAGES = ('new', 'marketing_qualified', 'sales_ready')
REASONS = ('price', 'competitor', 'no_budget', 'no_need', 'timing', 'no_response', 'other')
CHANGED_BY = ('score', 'dashboard', 'api')


def upgrade():
    op.create_table('stage_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=False),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('api_token_id', sa.Integer(), nullable=True),
    sa.Column('order_value', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('lost_reason', sa.String(length=20), nullable=True),
    sa.Column('lost_note', sa.String(length=500), server_default='', nullable=False),
    sa.CheckConstraint(f"changed_by IN {CHANGED_BY!r}", name=op.f('ck_stage_change_changed_by')),
    sa.CheckConstraint(f"from_stage IN {STAGES!r}", name=op.f('ck_stage_change_from_stage')),
    sa.CheckConstraint('from_stage <> to_stage', name=op.f('ck_stage_change_moved')),
    sa.CheckConstraint(f"to_stage IN {STAGES!r}", name=op.f('ck_stage_change_to_stage')),
    sa.ForeignKeyConstraint(['api_token_id'], ['api_token.id'], name=op.f('fk_stage_change_api_token_id_api_token'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_stage_change_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_stage_change_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_stage_change_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_change'))
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index('ix_stage_change_contact', ['contact_id', 'changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_change_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_value', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('lost_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('lost_note', sa.String(length=500), server_default='', nullable=False))
        batch_op.drop_constraint(op.f('ck_contact_stage'), type_='check')
        batch_op.create_check_constraint(op.f('ck_contact_stage'), f"stage IN {STAGES!r}")
        batch_op.create_check_constraint(op.f('ck_contact_won_with_value'), "(stage = 'won') = (order_value IS NOT NULL)")
        batch_op.create_check_constraint(
            op.f('ck_contact_order_value_not_negative'), 'order_value IS NULL OR order_value >= 0'
        )
        batch_op.create_check_constraint(op.f('ck_contact_lost_with_reason'), "(stage = 'lost') = (lost_reason IS NOT NULL)")
        batch_op.create_check_constraint(
            op.f('ck_contact_lost_reason'), f"lost_reason IS NULL OR lost_reason IN {REASONS!r}"
        )

    op.execute(
        "INSERT INTO stage_change (workspace_id, contact_id, from_stage, to_stage, changed_at, changed_by, lost_note) "
        "SELECT workspace_id, id, 'new', stage, COALESCE(stage_changed_at, created_at), 'score', '' "
        "FROM contact WHERE stage <> 'new'"
    )


def downgrade():
    # the older code knows the marketing stages only: a lead sales moved on goes back to sales-ready
    op.execute("UPDATE contact SET stage = 'sales_ready', order_value = NULL, lost_reason = NULL "
               f"WHERE stage NOT IN {OLD_STAGES!r}")
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contact_lost_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_contact_lost_with_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_contact_order_value_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_contact_won_with_value'), type_='check')
        batch_op.drop_constraint(op.f('ck_contact_stage'), type_='check')
        batch_op.create_check_constraint(op.f('ck_contact_stage'), f"stage IN {OLD_STAGES!r}")
        batch_op.drop_column('lost_note')
        batch_op.drop_column('lost_reason')
        batch_op.drop_column('order_value')

    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_change_workspace_id'))
        batch_op.drop_index('ix_stage_change_contact')

    op.drop_table('stage_change')
