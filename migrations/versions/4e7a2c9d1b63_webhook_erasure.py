"""webhook erasure

Revision ID: 4e7a2c9d1b63
Revises: b7e2d4c61f05
Create Date: 2026-12-07 01:00:00.000000

Deliveries name the response (response.completed) or contact (lead.qualified) whose data their body carries, so an
erasure finds them; a delivery whose response or contact was erased before it went out is "cancelled". Deliveries
written before stay without a link (NULL).
"""
import json

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
    _link_existing_deliveries()


def _link_existing_deliveries():
    """Deliveries written before this revision name their response or contact only in their body: read it, so an
    erasure finds them too."""
    delivery = sa.table(
        'webhook_delivery',
        sa.column('id', sa.Integer), sa.column('event', sa.String), sa.column('payload', sa.Text),
        sa.column('response_id', sa.Integer), sa.column('contact_id', sa.Integer),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(delivery.c.id, delivery.c.event, delivery.c.payload).where(
            delivery.c.event.in_(['response.completed', 'lead.qualified'])
        )
    ).all()
    for delivery_id, event, payload in rows:
        try:
            data = json.loads(payload).get('data') or {}
            found = data.get('response' if event == 'response.completed' else 'contact') or {}
            object_id = int(found['id'])
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        column = 'response_id' if event == 'response.completed' else 'contact_id'
        connection.execute(sa.update(delivery).where(delivery.c.id == delivery_id).values({column: object_id}))


def downgrade():
    op.execute("UPDATE webhook_delivery SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_contact')
        batch_op.drop_index('ix_webhook_delivery_response')
        batch_op.drop_constraint(op.f('ck_webhook_delivery_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_webhook_delivery_status'), "status IN ('pending', 'delivered', 'failed')")
        batch_op.drop_column('contact_id')
        batch_op.drop_column('response_id')
