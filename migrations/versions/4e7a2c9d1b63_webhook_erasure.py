"""webhook erasure

Revision ID: 4e7a2c9d1b63
Revises: b7e2d4c61f05
Create Date: 2026-12-07 01:00:00.000000

Deliveries name the response (response.completed) or contact (lead.qualified) whose data their body carries, so an
erasure finds them; a delivery whose response or contact was erased before it went out is "cancelled". Deliveries
written before stay without a link (NULL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4e7a2c9d1b63'
down_revision = 'b7e2d4c61f05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f('ck_webhook_delivery_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_webhook_delivery_status'), "status IN ('pending', 'delivered', 'failed', 'cancelled')"
        )
        batch_op.create_index('ix_webhook_delivery_response', ['response_id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_contact', ['contact_id'], unique=False)


def downgrade():
    op.execute("UPDATE webhook_delivery SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_contact')
        batch_op.drop_index('ix_webhook_delivery_response')
        batch_op.drop_constraint(op.f('ck_webhook_delivery_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_webhook_delivery_status'), "status IN ('pending', 'delivered', 'failed')")
        batch_op.drop_column('contact_id')
        batch_op.drop_column('response_id')
